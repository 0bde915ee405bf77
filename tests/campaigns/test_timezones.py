"""The callee's local time: multi-zone numbers, DST change days, overseas French numbers, Morocco."""

from __future__ import annotations

from campaigns.model.localtime import local
from campaigns.model.phones import describe

HEADER = "call_id,start,callee,caller_id,campaign,purpose,disposition,duration_s,agent"


def _log(write, rows: list[tuple[str, str, str]]):  # type: ignore[no-untyped-def]
    return write("log.csv", HEADER + "\n" + "\n".join(
        f"{cid},{start},{phone},,camp,canvassing,answered,30,a1" for cid, start, phone in rows))


def test_a_split_area_code_uses_the_most_restrictive_window(write, audit):  # type: ignore[no-untyped-def]
    # +1 208 (Idaho) maps to America/Boise and America/Los_Angeles, and its area code's prefixes to America/Denver
    # too (the area code's every zone): 08:30 in Boise is 07:30 in Los Angeles.
    assert ("America/Boise", "America/Denver", "America/Los_Angeles") == describe("+12085551234").zones
    log = _log(write, [("early", "2026-06-10T14:30:00Z", "+12085551234"),
                       ("ok", "2026-06-10T15:30:00Z", "+12085551234"),
                       ("late", "2026-06-11T03:30:00Z", "+12085551234")])
    run = audit(log, "us-federal")

    assert ["us-federal.hours"] == run.rules_of("early")
    early = next(v for v in run.violations if v["call_id"] == "early")
    assert ["America/Los_Angeles"] == early["evidence"]["outside_in"]
    assert [] == run.rules_of("ok")
    # 21:30 in Boise (and Denver) is 20:30 in Los Angeles: outside in Mountain time only, still a violation.
    late = next(v for v in run.violations if v["call_id"] == "late")
    assert ["America/Boise", "America/Denver"] == late["evidence"]["outside_in"]


def test_us_window_on_the_spring_forward_day_follows_the_wall_clock(write, audit):  # type: ignore[no-untyped-def]
    # 2026-03-08: New York jumps from 02:00 EST to 03:00 EDT. 12:30Z is 08:30 EDT (allowed);
    # with a fixed winter offset it would wrongly read 07:30. 11:30Z is 07:30 EDT (too early).
    log = _log(write, [("after_jump", "2026-03-08T12:30:00Z", "+12125551234"),
                       ("too_early", "2026-03-08T11:30:00Z", "+12125551234")])
    run = audit(log, "us-federal")

    assert [] == run.rules_of("after_jump")
    assert ["us-federal.hours"] == run.rules_of("too_early")
    assert run.violations[0]["local_time"].startswith("2026-03-08T07:30:00-04:00")


def test_french_window_after_the_autumn_change_uses_the_new_offset(write, audit):  # type: ignore[no-untyped-def]
    # 2026-10-25 Paris goes back to UTC+1. Monday 26 Oct 09:30Z is 10:30 local (allowed); 08:30Z is 09:30.
    log = _log(write, [("ok", "2026-10-26T09:30:00Z", "+33142345678"),
                       ("early", "2026-10-26T08:30:00Z", "+33142345678"),
                       ("dst_sunday", "2026-10-25T10:30:00Z", "+33142345678")])
    run = audit(log, "fr-2023")

    assert [] == run.rules_of("ok")
    assert ["fr-2023.hours"] == run.rules_of("early")
    assert ["fr-2023.weekend"] == run.rules_of("dst_sunday")


def test_an_overseas_number_written_like_a_metropolitan_one_is_judged_in_its_own_zone(write, audit):  # type: ignore[no-untyped-def]
    # 0692... is a Réunion mobile; phonenumbers would read +33 692 (invalid, no zone).
    info = describe("0692123456", "FR")
    assert ("+262692123456", "RE") == (info.e164, info.country)
    assert ("Indian/Mayotte", "Indian/Reunion") == info.zones
    assert "+262692123456" == describe("+33692123456", "FR").e164
    # 10:30 in Paris is 12:30 in Mayotte and 13:30 in Réunion: outside the window in Réunion.
    # 06:30Z is 10:30 in Réunion but 09:30 in Mayotte: the most restrictive zone flags it too.
    log = _log(write, [("paris_time", "2026-03-16T10:30:00+01:00", "0692123456"),
                       ("mayotte_early", "2026-03-16T06:30:00Z", "0692123456"),
                       ("ok", "2026-03-16T07:30:00Z", "0692123456")])
    run = audit(log, "fr-2023")

    paris = next(v for v in run.violations if v["call_id"] == "paris_time")
    assert "+262692123456" == paris["phone"]
    assert ["Indian/Reunion"] == paris["evidence"]["outside_in"]
    assert ["Indian/Mayotte"] == next(v for v in run.violations if v["call_id"] == "mayotte_early")["evidence"][
        "outside_in"]
    assert [] == run.rules_of("ok")


def test_a_moroccan_number_uses_casablanca_not_the_canaries(write, audit, tmp_path):  # type: ignore[no-untyped-def]
    info = describe("+212612345678")
    assert ("Africa/Casablanca",) == info.zones
    # In January the Canaries are UTC+0 and Morocco UTC+1: 09:30Z is 10:30 in Casablanca.
    assert 630 == local("Africa/Casablanca", 1768210200.0).minute  # 2026-01-12T09:30:00Z
    pack = write("morocco.yaml", """
pack: test-ma
title: test window from 10:00
countries: [MA]
purposes: [canvassing]
rules:
  - id: test-ma.hours
    check: time_of_day
    citation: test
    certainty: U
    params: {windows: ["10:00-20:00"]}
""")
    log = _log(write, [("winter", "2026-01-12T09:30:00Z", "+212612345678")])
    run = audit(log, str(pack))

    assert [] == run.rules_of("winter")
    assert 1 == next(r for r in run.summary["rules"] if r["rule"] == "test-ma.hours")["evaluated"]


def test_a_number_with_no_zone_is_not_evaluated_rather_than_compliant(write, audit):  # type: ignore[no-untyped-def]
    log = _log(write, [("drama", "2026-03-16T11:00:00Z", "+447700900123")])
    run = audit(log, "uk,policy", "--param", "policy.max_per_day.max_attempts=5")

    hours = next(r for r in run.summary["rules"] if r["rule"] == "uk.tps")
    assert {"callee country unknown (invalid number)": 1} == hours["not_evaluated"]
    assert [] == run.violations


def test_fast_evidence_times_agree_with_zoneinfo_in_every_zone():
    """local_iso / utc_iso format whole seconds from the cached offsets; they must print what zoneinfo
    prints, in every IANA zone, at random instants and around every offset change from 1990 to 2040."""
    import random
    from zoneinfo import available_timezones

    from campaigns.model.localtime import local_iso, local_iso_reference, utc_iso, utc_iso_reference

    rng = random.Random(11)
    start, end = 631152000, 2208988800  # 1990 .. 2040
    disagree = []
    checked = 0
    for zone in sorted(available_timezones()):
        instants = [rng.randrange(start, end) for _ in range(40)]
        # offset changes: scan every 12 h, then check the seconds around each change found
        previous = local_iso_reference(zone, start)[19:]
        for ts in range(start, end, 12 * 3600) if zone in ("Europe/Paris", "America/New_York",
                                                           "Australia/Lord_Howe", "Asia/Kathmandu") else ():
            offset = local_iso_reference(zone, ts)[19:]
            if offset != previous:
                low, high = ts - 12 * 3600, ts
                while high - low > 1:
                    middle = (low + high) // 2
                    if local_iso_reference(zone, middle)[19:] == previous:
                        low = middle
                    else:
                        high = middle
                instants += [high - 1, high, high + 1, high + 899, high + 900]
            previous = offset
        for ts in instants:
            checked += 1
            if local_iso(zone, ts) != local_iso_reference(zone, ts):
                disagree.append((zone, ts))
    for ts in [0, 1, 59.5, 86399.999999, -1, -86400.5, 1773225000, 1773225000.25, 4102444800, 4102444799] + [
            rng.randrange(0, 4102444800) for _ in range(2000)]:
        checked += 1
        if utc_iso(ts) != utc_iso_reference(ts):
            disagree.append(("UTC", ts))
    assert checked > 20000
    assert [] == disagree
