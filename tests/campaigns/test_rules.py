"""Rule packs as data, and the counting choices of reference section 7 at their edges."""

from __future__ import annotations

import pytest

from campaigns.checks.registry import known_checks
from campaigns.rules.load import available_packs, load_pack_file, load_packs
from mystery_core.errors import InputError

HEADER = "call_id,start,callee,caller_id,campaign,purpose,disposition,duration_s,agent,principal,region,ring_s"


def _log(write, rows):  # type: ignore[no-untyped-def]
    lines = []
    for row in rows:
        cid, start, phone, disposition = row[:4]
        extra = row[4] if len(row) > 4 else {}
        lines.append(f"{cid},{start},{phone},,{extra.get('campaign', 'camp')},{extra.get('purpose', 'canvassing')},"
                     f"{disposition},{extra.get('duration', 30)},a1,{extra.get('principal', 'acme')},"
                     f"{extra.get('region', '')},{extra.get('ring', '')}")
    return write("log.csv", HEADER + "\n" + "\n".join(lines))


def test_every_built_in_rule_has_a_stable_id_citation_certainty_and_known_check():
    packs = load_packs(available_packs())
    names = {p.name for p in packs}
    assert {"fr-2023", "fr-2026", "gdpr", "us-federal", "us-states", "uk", "ca", "de", "policy", "fr-survey"} <= names
    for pack in packs:
        for rule in pack.rules:
            assert rule.id.startswith(pack.name + ".")
            assert rule.citation and rule.certainty in {"V", "S", "U", "V/S"}
            assert rule.check in known_checks()
    french = {r.id for p in packs for r in p.rules}
    assert {"fr-2023.hours", "fr-2023.weekend", "fr-2023.holiday", "fr-2023.frequency", "fr-2023.refusal",
            "fr-2023.opposition", "fr-2026.consent", "gdpr.objection", "policy.min_gap",
            "policy.max_per_day"} <= french


def test_a_broken_pack_names_its_file_line_and_field(write):  # type: ignore[no-untyped-def]
    path = write("bad.yaml", """
pack: acme
rules:
  - id: acme.hours
    check: time_of_day
    citation: house rule
    certainty: V
    params: {windows: ["9am-5pm"]}
""")
    with pytest.raises(InputError) as error:
        load_pack_file(path)
    assert f"{path}:3: rules[0].params: acme.hours: invalid literal for int() with base 10: '9am'" == \
        str(error.value)


def test_a_bad_rule_field_names_its_own_line(write):  # type: ignore[no-untyped-def]
    path = write("bad.yaml", """
pack: acme
rules:
  - id: acme.hours
    check: time_of_day
    citation: house rule
    certainty: maybe
    params: {windows: ["09:00-17:00"]}
""")
    with pytest.raises(InputError) as error:
        load_pack_file(path)
    assert f"{path}:6: rules[0].certainty: expected V, S or U, got 'maybe'" == str(error.value)
    fixed = path.read_text().replace("certainty: maybe", "certainty: V\n    in_forse: {from: 2026-01-01}")
    path.write_text(fixed)
    with pytest.raises(InputError) as error:
        load_pack_file(path)
    assert str(error.value).startswith(
        f"{path}:7: rules[0].in_forse: unknown key (expected one of: certainty, ")


def test_the_fifth_attempt_in_30_calendar_days_is_flagged_with_the_four_earlier_ones(write, audit):  # type: ignore[no-untyped-def]
    # Days 1, 8, 15, 22 and 30 (local dates): the 30-day window counting the day of the call holds all five.
    dates = ["2026-03-02", "2026-03-09", "2026-03-16", "2026-03-23", "2026-03-31", "2026-04-08"]
    log = _log(write, [(f"c{i}", f"{d}T11:00:00+0{1 if d < '2026-03-29' else 2}:00", "+33142345678", "no_answer")
                       for i, d in enumerate(dates)])
    run = audit(log, "fr-2023")

    assert ["c4"] == [v["call_id"] for v in run.violations]  # c5 (8 April): only 3 earlier in its window
    evidence = run.violations[0]["evidence"]
    assert (5, ["c0", "c1", "c2", "c3"]) == (evidence["count_including_this"],
                                             [a["call_id"] for a in evidence["earlier_attempts"]])


def test_the_frequency_cap_counts_per_principal_across_numbers_and_operators(write, audit):  # type: ignore[no-untyped-def]
    persons = write("persons.csv", "person_id,phone\nP,+33612345678\nP,+33142345678")
    rows = [(f"c{i}", f"2026-03-{2 + i:02d}T11:00:00+01:00", ["+33612345678", "+33142345678"][i % 2], "busy",
             {"campaign": f"op{i % 2}"}) for i in range(5)]
    rows.append(("other", "2026-03-07T11:00:00+01:00", "+33142345678", "busy", {"principal": "other-brand"}))
    run = audit(_log(write, rows), "fr-2023", "--persons", str(persons))

    assert ["c4"] == [v["call_id"] for v in run.violations if v["rule"] == "fr-2023.frequency"]


def test_failed_dials_do_not_count_unless_configured(write, audit):  # type: ignore[no-untyped-def]
    rows = [(f"c{i}", f"2026-03-{2 + i:02d}T11:00:00+01:00", "+33142345678", "failed") for i in range(4)]
    rows.append(("c4", "2026-03-09T11:00:00+01:00", "+33142345678", "answered"))
    log = _log(write, rows)

    assert 0 == audit(log, "fr-2023").count("fr-2023.frequency")
    assert 1 == audit(log, "fr-2023", "--param", "fr-2023.frequency.count_failed=true").count("fr-2023.frequency")


def test_refusal_bar_ends_at_midnight_after_sixty_full_days(write, audit):  # type: ignore[no-untyped-def]
    # Refused on Tue 3 March 2026: sixty full days run 4 March to 2 May; recontact from Sun 3 May 00:00.
    log = _log(write, [("refusal", "2026-03-03T11:00:00+01:00", "+33142345678", "refused"),
                       ("day60", "2026-04-30T11:00:00+02:00", "+33142345678", "answered"),
                       ("day62", "2026-05-04T11:00:00+02:00", "+33142345678", "answered")])
    run = audit(log, "fr-2023")
    assert ["fr-2023.refusal"] == run.rules_of("day60")
    assert "2026-05-02T22:00:00Z" == run.violations[0]["evidence"]["earliest_recontact_utc"]
    assert [] == run.rules_of("day62")

    by_timestamp = audit(log, "fr-2023", "--param", "fr-2023.refusal.start=timestamp")
    assert "2026-05-02T10:00:00Z" == by_timestamp.violations[0]["evidence"]["earliest_recontact_utc"]


def test_out_of_hours_consent_exempts_days_and_hours_but_not_the_objection(write, audit):  # type: ignore[no-untyped-def]
    consents = write("consents.csv", "phone,person_id,given_at,withdrawn_at,scope\n"
                                     "+33142345678,,2026-01-01,,out_of_hours")
    log = _log(write, [("sunday", "2026-03-15T21:00:00+01:00", "+33142345678", "answered")])

    assert [] == audit(log, "fr-2023", "--consents", str(consents)).violations
    assert ["fr-2023.hours", "fr-2023.weekend"] == audit(log, "fr-2023").rules_of("sunday")


def test_consent_validity_window_and_optional_expiry(write, audit):  # type: ignore[no-untyped-def]
    consents = write("consents.csv", "phone,person_id,given_at,withdrawn_at,scope\n"
                                     "+33142345678,,2025-09-01,,canvassing")
    log = _log(write, [("fresh", "2026-08-12T11:00:00+02:00", "+33142345678", "answered"),
                       ("other", "2026-08-12T11:05:00+02:00", "+33687654321", "answered")])

    run = audit(log, "fr-2026", "--consents", str(consents))
    assert ([], ["fr-2026.consent"]) == (run.rules_of("fresh"), run.rules_of("other"))
    expired = audit(log, "fr-2026", "--consents", str(consents), "--param", "fr-2026.consent.max_age_days=300")
    assert ["fr-2026.consent"] == expired.rules_of("fresh")


def test_consent_rule_without_a_consents_file_is_not_evaluated(write, audit):  # type: ignore[no-untyped-def]
    log = _log(write, [("c", "2026-08-12T11:00:00+02:00", "+33142345678", "answered")])
    run = audit(log, "fr-2026")

    consent = next(r for r in run.summary["rules"] if r["rule"] == "fr-2026.consent")
    assert (0, {"field consents absent (no --consents file)": 1}) == (consent["violations"],
                                                                     consent["not_evaluated"])


def test_bloctel_applies_up_to_10_august_and_consent_from_11_august(write, audit):  # type: ignore[no-untyped-def]
    opp = write("opp.csv", "phone,listed_at,source\n+33142345678,2025-01-01,bloctel")
    consents = write("consents.csv", "phone,person_id,given_at,withdrawn_at,scope")
    log = _log(write, [("aug10", "2026-08-10T11:00:00+02:00", "+33142345678", "answered"),
                       ("aug11", "2026-08-11T11:00:00+02:00", "+33142345678", "answered")])
    run = audit(log, "fr-2026", "--oppositions", str(opp), "--consents", str(consents),
                "--param", "fr-2023.frequency.max_attempts=9")

    assert ["fr-2023.opposition"] == run.rules_of("aug10")
    assert ["fr-2026.consent"] == run.rules_of("aug11")


@pytest.mark.parametrize("engine", ["columnar", "row"])
def test_bloctel_must_be_scrubbed_at_least_every_31_days_until_the_switch(write, audit, engine):  # type: ignore[no-untyped-def]
    scrubs = write("scrubs.csv", "principal,source,scrubbed_at\nacme,bloctel,2026-02-01\nacme,bloctel,2026-03-10\n"
                                 "acme,tps,2026-03-01\nbeta,bloctel,2025-12-01\n,bloctel,2026-03-01\n"
                                 "acme,pacitel,2026-03-01\n")
    log = _log(write, [("stale", "2026-03-05T11:00:00+01:00", "+33142345678", "answered"),  # 32 days after 1 Feb
                       ("fresh", "2026-03-12T11:00:00+01:00", "+33142345678", "answered"),
                       ("never", "2026-03-12T11:30:00+01:00", "+33142345679", "answered", {"principal": "gamma"}),
                       ("old", "2026-03-12T11:45:00+01:00", "+33142345670", "answered", {"principal": "beta"}),
                       ("after_switch", "2026-08-12T11:00:00+02:00", "+33142345671", "answered")])
    run = audit(log, "fr-2023", "--scrubs", str(scrubs), "--engine", engine)

    assert ["fr-2023.scrub"] == run.rules_of("stale")
    stale = next(v for v in run.violations if v["call_id"] == "stale")
    assert "acme's last bloctel scrub was 32 days before the call (2026-02-01)" in stale["message"]
    assert "2026-02-01T00:00:00+00:00" == stale["evidence"]["last_scrub"]["scrubbed_at"]
    assert [] == run.rules_of("fresh")
    assert ["fr-2023.scrub"] == run.rules_of("never")
    assert next(v for v in run.violations if v["call_id"] == "never")["evidence"]["last_scrub"] is None
    assert ["fr-2023.scrub"] == run.rules_of("old")
    assert [] == run.rules_of("after_switch")  # the Bloctel regime ended on 2026-08-10
    assert "scrubs.csv:6: principal: empty" in run.stderr
    assert "scrubs.csv:7: source: expected one of bloctel" in run.stderr


def test_the_scrub_rule_without_a_scrubs_file_is_not_evaluated(write, audit):  # type: ignore[no-untyped-def]
    run = audit(_log(write, [("c", "2026-03-05T11:00:00+01:00", "+33142345678", "answered")]), "fr-2023")

    scrub = next(r for r in run.summary["rules"] if r["rule"] == "fr-2023.scrub")
    assert (0, {"field scrubs absent (no --scrubs file)": 1}) == (scrub["violations"], scrub["not_evaluated"])


def test_policy_min_gap_spans_a_persons_numbers(write, audit):  # type: ignore[no-untyped-def]
    persons = write("persons.csv", "person_id,phone\nP,+33612345678\nP,+33142345678")
    log = _log(write, [("mobile", "2026-03-16T11:00:00+01:00", "+33612345678", "no_answer"),
                       ("landline", "2026-03-16T11:25:00+01:00", "+33142345678", "answered"),
                       ("next_day", "2026-03-17T11:30:00+01:00", "+33142345678", "answered")])
    run = audit(log, "policy", "--persons", str(persons))

    assert ["policy.min_gap"] == run.rules_of("landline")
    assert [] == run.rules_of("next_day")


def test_us_state_rules_federal_dnc_ring_time_and_abandonment(write, audit):  # type: ignore[no-untyped-def]
    opp = write("opp.csv", "phone,listed_at,source\n+14155550101,2026-01-01,dnc\n+14155550102,2026-03-01,dnc\n"
                           "+12155550100,2025-06-01,state_dnc")
    rows = [
        ("fl_late", "2026-03-16T20:30:00-04:00", "+13055550100", "answered"),  # Florida: 8-20
        ("tx_sunday", "2026-03-15T10:00:00-05:00", "+12145550100", "answered"),  # Texas Sunday: from 12:00
        ("dnc_old", "2026-03-16T10:00:00-07:00", "+14155550101", "answered"),
        ("dnc_new", "2026-03-16T10:05:00-07:00", "+14155550102", "answered"),  # listed < 31 days ago
        ("short_ring", "2026-03-16T10:10:00-07:00", "+14155550103", "no_answer", {"ring": 9}),
        ("pa_list", "2026-03-16T10:00:00-04:00", "+12155550100", "answered"),  # on Pennsylvania's own list
    ]
    rows += [(f"ab{i}", f"2026-03-17T1{i % 9}:0{i % 6}:00-07:00", f"+1415555{1000 + i}",
              "abandoned" if i < 2 else "answered") for i in range(20)]
    run = audit(_log(write, rows), "us-federal,us-states", "--oppositions", str(opp))

    assert ["us-states.hours"] == run.rules_of("fl_late")
    assert ["us-states.hours"] == run.rules_of("tx_sunday")
    assert ["us-federal.dnc"] == run.rules_of("dnc_old")
    assert [] == run.rules_of("dnc_new")
    assert ["us-federal.ring"] == run.rules_of("short_ring")
    assert ["us-states.dnc"] == run.rules_of("pa_list")
    abandonment = next(v for v in run.violations if v["rule"] == "us-federal.abandonment")
    assert (2, 25) == (abandonment["evidence"]["abandoned"], abandonment["evidence"]["live_calls"])


def test_uk_tps_and_72h_redial_and_canada_weekend_hours(write, audit):  # type: ignore[no-untyped-def]
    opp = write("opp.csv", "phone,listed_at,source\n+442071838750,2026-01-01,tps")
    rows = [("tps", "2026-03-16T11:00:00+00:00", "+442071838750", "answered"),
            ("drop", "2026-03-16T11:00:00+00:00", "+442079460000", "abandoned"),
            ("redial", "2026-03-17T11:00:00+00:00", "+442079460000", "answered"),
            ("ca_sat", "2026-03-14T18:30:00-04:00", "+14165550100", "answered")]
    run = audit(_log(write, rows), "uk,ca", "--oppositions", str(opp))

    assert ["uk.tps"] == run.rules_of("tps")
    assert ["uk.redial_72h"] == run.rules_of("redial")
    assert ["ca.hours"] == run.rules_of("ca_sat")


def test_germany_needs_documented_consent(write, audit):  # type: ignore[no-untyped-def]
    consents = write("consents.csv", "phone,person_id,given_at,withdrawn_at,scope\n+4930123456,,2025-01-01,,all")
    log = _log(write, [("ok", "2026-03-16T11:00:00+01:00", "+4930123456", "answered"),
                       ("cold", "2026-03-16T11:00:00+01:00", "+4930654321", "answered")])
    run = audit(log, "de", "--consents", str(consents))

    assert ([], ["de.consent"]) == (run.rules_of("ok"), run.rules_of("cold"))


@pytest.mark.parametrize("engine", ["columnar", "row"])
def test_spain_hours_in_every_zone_of_a_mobile_regional_holidays_consent_and_robinson(write, audit, engine):  # type: ignore[no-untyped-def]
    """A Spanish mobile may be in Madrid or the Canaries (an hour behind): 09:30 in Madrid is 08:30 there.
    Maundy Thursday is a holiday in Madrid (region MD) but not a national one."""
    consents = write("consents.csv", "phone,person_id,given_at,withdrawn_at,scope\n" + "\n".join(
        f"{phone},,2025-01-01,,canvassing" for phone in ("+34612345678", "+34912345678", "+34928123456")))
    opp = write("opp.csv", "phone,listed_at,source\n+34912345679,2025-01-01,robinson")
    rows = [("madrid_ok", "2026-03-16T10:00:00+01:00", "+34912345678", "answered"),
            ("mobile_early", "2026-03-16T09:30:00+01:00", "+34612345678", "answered"),
            ("canary_late", "2026-03-16T21:30:00+01:00", "+34928123456", "answered"),  # 20:30 in the Canaries
            ("madrid_late", "2026-03-16T21:30:00+01:00", "+34912345678", "answered"),
            ("saturday", "2026-03-21T11:00:00+01:00", "+34912345678", "answered"),
            ("holy_thursday_md", "2026-04-02T11:00:00+02:00", "+34912345678", "answered", {"region": "MD"}),
            ("holy_thursday", "2026-04-02T11:00:00+02:00", "+34928123456", "answered"),
            ("no_consent", "2026-03-17T11:00:00+01:00", "+34912345670", "answered"),
            ("robinson", "2026-03-17T11:00:00+01:00", "+34912345679", "answered")]
    run = audit(_log(write, rows), "es", "--consents", str(consents), "--oppositions", str(opp), "--engine", engine)

    assert [] == run.rules_of("madrid_ok")
    assert ["es.hours"] == run.rules_of("mobile_early")
    outside = next(v for v in run.violations if v["call_id"] == "mobile_early")
    assert ["Atlantic/Canary"] == outside["evidence"]["outside_in"]
    assert [] == run.rules_of("canary_late")
    assert ["es.hours"] == run.rules_of("madrid_late")
    assert ["es.weekend"] == run.rules_of("saturday")
    assert ["es.holiday"] == run.rules_of("holy_thursday_md")
    assert "calendar ES-MD" in next(v for v in run.violations if v["call_id"] == "holy_thursday_md")["message"]
    assert [] == run.rules_of("holy_thursday")
    assert ["es.consent"] == run.rules_of("no_consent")
    assert ["es.consent", "es.robinson"] == run.rules_of("robinson")


def test_the_suppression_export_lists_objections_on_every_number_and_live_refusals(write, audit, tmp_path):  # type: ignore[no-untyped-def]
    persons = write("persons.csv", "person_id,phone\nP,+33612345678\nP,+33142345678")
    log = _log(write, [("stop", "2026-03-16T11:00:00+01:00", "+33612345678", "opt_out"),
                       ("no", "2026-03-16T11:30:00+01:00", "+33687654321", "refused")])
    export = tmp_path / "suppress.csv"
    audit(log, "fr-2023", "--persons", str(persons), "--suppression", str(export))

    lines = export.read_text().splitlines()
    assert "phone,person_id,principal,purpose,reason,since,until" == lines[0]
    assert ["+33142345678,P,acme,all,objection (call stop),2026-03-16T10:00:00Z,",
            "+33612345678,P,acme,all,objection (call stop),2026-03-16T10:00:00Z,",
            "+33687654321,,acme,canvassing newspaper,refusal (call no),2026-03-16T10:30:00Z,2026-05-16"] == lines[1:]


def test_automated_calls_must_show_an_npv_number_and_a_log_without_dial_mode_is_not_evaluated(write, audit):  # type: ignore[no-untyped-def]
    base = "call_id,start,callee,caller_id,campaign,purpose,disposition,duration_s,agent"
    with_mode = write("modes.csv", base + ",dial_mode\n"
                      "npv,2026-03-16T11:00:00+01:00,+33142345678,+33162000001,c,survey,answered,30,a1,predictive\n"
                      "mobile,2026-03-16T11:05:00+01:00,+33142345679,+33612345678,c,survey,answered,30,a1,predictive\n"
                      "manual,2026-03-16T11:10:00+01:00,+33142345670,+33612345678,c,survey,answered,30,a1,manual")
    without = write("plain.csv", base + "\nx,2026-03-16T11:00:00+01:00,+33142345678,+33612345678,c,survey,answered,30,a1")

    run = audit(with_mode, "fr-2023")
    assert ([], ["fr-2023.caller_id"], []) == (run.rules_of("npv"), run.rules_of("mobile"), run.rules_of("manual"))
    assert "mobile" == next(v for v in run.violations if v["call_id"] == "mobile")["evidence"]["caller_id_kind"]
    plain = audit(without, "fr-2023")
    rule = next(r for r in plain.summary["rules"] if r["rule"] == "fr-2023.caller_id")
    assert {"field dial_mode absent from the log": 1} == rule["not_evaluated"]
