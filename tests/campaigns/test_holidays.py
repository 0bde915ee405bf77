"""Public holidays: the national French calendar (D223-9 via C. trav. L3133-1, fr-2023.holiday) and the
regional days (Alsace-Moselle, overseas) as the client policy policy.regional_holidays, without a fine."""

from __future__ import annotations

HEADER = "call_id,start,callee,caller_id,campaign,purpose,disposition,duration_s,agent,region"


def _log(write, rows):  # type: ignore[no-untyped-def]
    return write("log.csv", HEADER + "\n" + "\n".join(
        f"{cid},{start},{phone},,camp,canvassing,answered,30,a1,{region}" for cid, start, phone, region in rows))


def test_a_french_public_holiday_is_flagged_with_its_name(write, audit):  # type: ignore[no-untyped-def]
    log = _log(write, [("ascension", "2026-05-14T11:00:00+02:00", "+33142345678", ""),
                       ("next_day", "2026-05-15T11:00:00+02:00", "+33142345678", "")])
    run = audit(log, "fr-2023", "--param", "fr-2023.frequency.max_attempts=9")

    assert ["fr-2023.holiday"] == run.rules_of("ascension")
    holiday = run.violations[0]
    assert "Ascension Day" == holiday["evidence"]["holiday"]
    assert "FR" == holiday["evidence"]["calendar"]
    assert [] == run.rules_of("next_day")


def test_good_friday_is_a_holiday_only_in_alsace_moselle(write, audit):  # type: ignore[no-untyped-def]
    good_friday = "2026-04-03T11:00:00+02:00"
    log = _log(write, [("bas_rhin", good_friday, "+33388000000", "67"),
                       ("moselle", good_friday, "+33387000000", "57"),
                       ("paris", good_friday, "+33142345678", ""),
                       ("st_stephen", "2025-12-26T11:00:00+01:00", "+33388000001", "68")])
    run = audit(log, "fr-2023,policy")

    assert ["policy.regional_holidays"] == run.rules_of("bas_rhin")
    assert ["policy.regional_holidays"] == run.rules_of("moselle")
    assert [] == run.rules_of("paris")
    assert ["policy.regional_holidays"] == run.rules_of("st_stephen")
    assert (3, 0) == (run.count("policy.regional_holidays"), run.count("fr-2023.holiday"))
    bas_rhin = next(v for v in run.violations if v["call_id"] == "bas_rhin")
    assert "FR-6AE/regional" == bas_rhin["evidence"]["calendar"]
    assert "called on a regional public holiday: Good Friday" in bas_rhin["message"]
    assert "also_breaches" not in bas_rhin
    policy = next(r for r in run.summary["rules"] if r["rule"] == "policy.regional_holidays")
    assert policy["fine"] is None
    assert [] == audit(log, "fr-2023").violations  # D223-9 itself cites the national days only


def test_the_alsace_moselle_option_can_apply_everywhere_or_nowhere(write, audit):  # type: ignore[no-untyped-def]
    log = _log(write, [("paris", "2026-04-03T11:00:00+02:00", "+33142345678", ""),
                       ("bas_rhin", "2026-04-03T11:30:00+02:00", "+33388000000", "67")])

    always = audit(log, "fr-2023,policy", "--param", "policy.regional_holidays.alsace_moselle=always")
    never = audit(log, "fr-2023,policy", "--param", "policy.regional_holidays.alsace_moselle=never")

    assert ["policy.regional_holidays"] == always.rules_of("paris")
    assert [] == never.rules_of("bas_rhin")
    params = next(r for r in never.summary["rules"] if r["rule"] == "policy.regional_holidays")["params"]
    assert "never" == params["alsace_moselle"]


def test_an_overseas_department_has_its_abolition_day(write, audit):  # type: ignore[no-untyped-def]
    # 20 December: abolition of slavery in La Réunion (C. trav. L3422-2); 2024-12-20 was a Friday.
    log = _log(write, [("reunion", "2024-12-20T11:00:00+04:00", "+262262123456", ""),
                       ("paris", "2024-12-20T11:00:00+01:00", "+33142345678", "")])
    run = audit(log, "fr-2023,policy")

    assert ["policy.regional_holidays"] == run.rules_of("reunion")
    assert [] == run.rules_of("paris")
    assert 0 == run.count("fr-2023.holiday")


def test_the_old_reading_with_every_regional_day_under_d223_9_is_a_parameter(write, audit):  # type: ignore[no-untyped-def]
    log = _log(write, [("reunion", "2024-12-20T11:00:00+04:00", "+262262123456", "")])
    run = audit(log, "fr-2023", "--param", "fr-2023.holiday.days=all")

    assert ["fr-2023.holiday"] == run.rules_of("reunion")
    assert "FR-974" == run.violations[0]["evidence"]["calendar"]
