"""The motivating case (reference section 1.10): a polling institute calls a person's mobile on a
Sunday at 20:30 without opt-in, then his landline within 30 minutes, after he asked to be removed.

Run before 2026-08-11 (Bloctel regime) and after (opt-in regime), as canvassing and as a survey.
c1 is the call where he asked to be removed (legal in itself); c4 is a legal call to someone else.
"""

from __future__ import annotations

import pytest

BEFORE = {"c1": "2026-03-02T11:00:00+01:00", "c2": "2026-03-15T20:30:00+01:00", "c3": "2026-03-15T20:55:00+01:00",
          "c4": "2026-03-16T11:00:00+01:00"}
AFTER = {"c1": "2026-09-01T11:00:00+02:00", "c2": "2026-09-13T20:30:00+02:00", "c3": "2026-09-13T20:55:00+02:00",
         "c4": "2026-09-14T11:00:00+02:00"}
MOBILE, LANDLINE, OTHER = "+33612345678", "+33142345678", "+33687654321"


@pytest.fixture
def case(write):  # type: ignore[no-untyped-def]
    def _case(dates: dict[str, str], purpose: str) -> dict[str, str]:
        rows = [("c1", LANDLINE, "opt_out", 95), ("c2", MOBILE, "no_answer", 25), ("c3", LANDLINE, "answered", 60),
                ("c4", OTHER, "answered", 60)]
        log = write("log.csv", "call_id,start,callee,caller_id,campaign,purpose,disposition,duration_s,agent,"
                               "principal\n" + "\n".join(
            f"{cid},{dates[cid]},{phone},+33162000001,poll-a,{purpose},{disp},{dur},ag1,institut"
            for cid, phone, disp, dur in rows))
        persons = write("persons.csv", f"person_id,phone\nP1,{MOBILE}\nP1,{LANDLINE}\nP2,{OTHER}")
        oppositions = write("oppositions.csv", f"phone,listed_at,source\n{MOBILE},2025-01-10,bloctel")
        consents = write("consents.csv", "phone,person_id,given_at,withdrawn_at,scope\n"
                                         ",P1,2026-08-20T09:00:00+02:00,2026-09-01T11:02:00+02:00,canvassing\n"
                                         ",P2,2026-08-25T09:00:00+02:00,,canvassing")
        return {"log": log, "args": ["--persons", str(persons), "--oppositions", str(oppositions),
                                     "--consents", str(consents)]}

    return _case


def test_canvassing_before_the_switch_flags_day_hours_refusal_objection_and_bloctel(case, audit):  # type: ignore[no-untyped-def]
    files = case(BEFORE, "canvassing")
    run = audit(files["log"], "fr-2023,fr-2026", *files["args"])

    assert 3 == run.exit_code  # findings, and rules not evaluated (no --scrubs, --campaigns; no dial_mode)
    assert [] == run.rules_of("c1")
    # the refusal bar and the objection are one act within D223-9's 60 days: one finding (issue 17)
    assert ["fr-2023.hours", "fr-2023.opposition", "fr-2023.refusal", "fr-2023.weekend"] == run.rules_of("c2")
    assert ["fr-2023.hours", "fr-2023.refusal", "fr-2023.weekend"] == run.rules_of("c3")
    assert [] == run.rules_of("c4")
    by_rule = {(v["call_id"], v["rule"]): v for v in run.violations}
    hours = by_rule[("c3", "fr-2023.hours")]
    assert "2026-03-15T20:55:00+01:00 Europe/Paris" == hours["evidence"]["local_time"]
    assert "P1" == hours["person_id"]
    assert ["gdpr.objection"] == by_rule[("c3", "fr-2023.refusal")]["also_breaches"]
    assert "c1" == by_rule[("c3", "fr-2023.refusal")]["evidence"]["refusal"]["call_id"]
    assert "c1" == by_rule[("c2", "fr-2023.refusal")]["evidence"]["refusal"]["call_id"]
    assert "2025-01-10T00:00:00+00:00" == by_rule[("c2", "fr-2023.opposition")]["evidence"]["list_entry"]["listed_at"]


def test_canvassing_after_the_switch_flags_missing_consent_instead_of_bloctel(case, audit):  # type: ignore[no-untyped-def]
    files = case(AFTER, "canvassing")
    run = audit(files["log"], "fr-2023,fr-2026", *files["args"])

    assert [] == run.rules_of("c1")
    for call in ("c2", "c3"):
        assert ["fr-2023.hours", "fr-2023.refusal", "fr-2023.weekend", "fr-2026.consent"] == run.rules_of(call)
    assert [] == run.rules_of("c4")
    consent = next(v for v in run.violations if v["rule"] == "fr-2026.consent" and v["call_id"] == "c2")
    assert "2026-09-01T11:02:00+02:00" == consent["evidence"]["consents_seen"][0]["withdrawn_at"]
    opposition = next(r for r in run.summary["rules"] if r["rule"] == "fr-2023.opposition")
    assert {"not in force on 2026-09-01", "not in force on 2026-09-13", "not in force on 2026-09-14"} == \
        set(opposition["out_of_scope"])


@pytest.mark.parametrize("dates", [BEFORE, AFTER], ids=["before", "after"])
def test_a_genuine_survey_is_flagged_only_for_the_objection(case, audit, dates):  # type: ignore[no-untyped-def]
    files = case(dates, "survey")
    run = audit(files["log"], "fr-2023,fr-2026", *files["args"])

    assert ["gdpr.objection"] == run.rules_of("c2")
    assert ["gdpr.objection"] == run.rules_of("c3")
    assert 2 == len(run.violations)
    hours = next(r for r in run.summary["rules"] if r["rule"] == "fr-2023.hours")
    assert {"purpose survey (rule covers canvassing, newspaper)": 4} == hours["out_of_scope"]


def test_a_survey_under_the_ethics_pack_adds_sunday_and_the_second_call_within_24h(case, audit):  # type: ignore[no-untyped-def]
    files = case(BEFORE, "survey")
    run = audit(files["log"], "fr-2023,fr-survey", *files["args"])

    assert ["fr-survey.sunday", "gdpr.objection"] == run.rules_of("c2")
    assert ["fr-survey.min_gap", "fr-survey.sunday", "gdpr.objection"] == run.rules_of("c3")
    gap = next(v for v in run.violations if v["rule"] == "fr-survey.min_gap")
    assert "c2" == gap["evidence"]["previous_attempt"]["call_id"]
    assert 25.0 == gap["evidence"]["gap_minutes"]


def test_every_report_prints_the_interpretation_parameters(case, audit):  # type: ignore[no-untyped-def]
    files = case(BEFORE, "canvassing")
    run = audit(files["log"], "fr-2023", *files["args"])

    frequency = next(r for r in run.summary["rules"] if r["rule"] == "fr-2023.frequency")
    assert {"max_attempts": 4, "window_days": 30, "count_failed": False, "subject": "principal",
            "count_purposes": ["canvassing", "newspaper", "unknown"]} == frequency["params"]
    refusal = next(r for r in run.summary["rules"] if r["rule"] == "fr-2023.refusal")
    assert "next_local_day" == refusal["params"]["start"]
    assert 375000 == refusal["fine"]["exposure_high"]  # one breach type, not one fine per call
    assert ["log.csv: 4 rows read = 4 attempts + 0 rejected"] == [
        line.rsplit("/", 1)[1] for line in run.summary["reconciliation"][:1]]
