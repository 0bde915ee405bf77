"""Visible gaps (issue 15 part 3): what the audit could not judge is said in every output and in the exit code.

Each case of the issue's "Why" is run on both engines (row, the reference, and columnar), which must agree:
numbers libphonenumber cannot place, a log without a principal column, a callee living elsewhere than the
number says, a North-American area code that spans two zones. `FULL` gives fr-2023 every input it needs, so
that exit codes 0 and 1 (full coverage) can be told from 3 (gaps).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from campaigns.cli import main
from campaigns.model.phones import PhoneError, describe, describe_slow

HEADER = "call_id,start,callee,caller_id,campaign,purpose,disposition,duration_s,agent,dial_mode,principal,region"
ENGINES = ("row", "columnar")


@pytest.fixture
def full(write: Callable[[str, str], Path]) -> list[str]:
    """Inputs that leave no fr-2023 rule not evaluated (with a dial_mode column in the log)."""
    return ["--oppositions", str(write("oppositions.csv", "phone,listed_at,source\n+33199999999,2025-01-01,bloctel")),
            "--scrubs", str(write("scrubs.csv", "principal,source,scrubbed_at\nfirm,bloctel,2026-03-10\n"
                                                     "other,bloctel,2026-03-10")),
            "--campaigns", str(write("campaigns.csv", "campaign,principal,purpose\nc,firm,canvassing"))]


def _rows(*rows: str) -> str:
    return HEADER + "\n" + "\n".join(rows)


def _both(audit, log: Path, rules: str, *args: str):  # type: ignore[no-untyped-def]
    """Run both engines; they must give the same findings, coverage and exit code; the row engine's run."""
    runs = [audit(log, rules, "--engine", engine, *args) for engine in ENGINES]
    row, columnar = runs
    assert columnar.summary["engine"] == "columnar", columnar.summary.get("engine_note")
    assert (row.exit_code, row.violations, row.coverage) == (columnar.exit_code, columnar.violations, columnar.coverage)
    assert row.summary["warnings"] == columnar.summary["warnings"]
    return row


def test_a_clean_fully_covered_log_exits_0(write, audit, full):  # type: ignore[no-untyped-def]
    log = write("log.csv", _rows("ok,2026-03-16T11:00:00+01:00,+33612345678,,c,canvassing,answered,30,a,manual,,"))
    run = _both(audit, log, "fr-2023", *full)

    assert (0, [], "full") == (run.exit_code, run.violations, run.summary["coverage"])
    assert {"evaluated"} == {c["status"] for c in run.coverage.values()}


def test_a_number_in_a_range_phonenumbers_does_not_know_is_judged_in_its_countrys_zone(write, audit, full):  # type: ignore[no-untyped-def]
    """+33 4 00...: a possible French number in no listed range, called at 00:30 Paris (was: no zone, exit 0)."""
    log = write("log.csv", _rows("night,2026-03-16T00:30:00+01:00,+33400111111,,c,canvassing,no_answer,0,a,manual,,"))
    run = _both(audit, log, "fr-2023", *full)

    assert 1 == run.exit_code
    assert ["fr-2023.hours"] == run.rules_of("night")
    assert "country" == run.violations[0]["evidence"]["zone_basis"]
    assert ["Europe/Paris"] == run.violations[0]["zones"]


def test_a_martinique_number_in_an_unknown_range_is_judged_on_martinique_sundays(write, audit, full):  # type: ignore[no-untyped-def]
    log = write("log.csv", _rows("sun,2026-03-15T11:00:00-04:00,+596100111111,,c,canvassing,no_answer,0,a,manual,,"))
    run = _both(audit, log, "fr-2023", *full)

    assert (1, ["fr-2023.weekend"]) == (run.exit_code, run.rules_of("sun"))
    assert ("country", ["America/Martinique"]) == (run.violations[0]["evidence"]["zone_basis"],
                                                   run.violations[0]["zones"])


def test_a_number_that_is_not_possible_is_a_rejected_row_with_its_reason(write, audit, full):  # type: ignore[no-untyped-def]
    log = write("log.csv", _rows("ok,2026-03-16T11:00:00+01:00,+33612345678,,c,canvassing,answered,30,a,manual,,",
                                 "short,2026-03-16T11:00:00+01:00,+33123,,c,canvassing,answered,30,a,manual,,"))
    run = _both(audit, log, "fr-2023", *full)

    assert (3, 2, 1, 1) == (run.exit_code, run.summary["rows"], run.summary["attempts"], run.summary["rejected"])
    assert "callee: not a possible number: '+33123' (too short for +33)" in run.stderr
    assert "gaps" == run.summary["coverage"]


def test_possible_and_impossible_numbers_are_told_apart_alike_by_both_describers() -> None:
    for raw in ("+33400111111", "+596100111111", "+18505551234", "+33612345678"):
        assert describe_slow(raw) == describe(raw)
    for raw in ("+33123", "+3361234567890"):
        with pytest.raises(PhoneError, match="not a possible number"):
            describe(raw)


def test_without_a_principal_every_campaign_counts_as_one_principal_with_a_warning(write, audit):  # type: ignore[no-untyped-def]
    """5 answered attempts in 5 days by one firm's two campaigns, no principal column: D223-9's cap of 4 is
    broken under the most restrictive reading (was: one principal per campaign, no finding, no warning)."""
    rows = [f"a{d},2026-03-{15 + d}T11:00:00+01:00,+33612345678,,{'shoes' if d % 2 else 'boots'},canvassing,answered,"
            f"30,a,manual,," for d in range(1, 6)]
    log = write("log.csv", _rows(*rows))
    run = _both(audit, log, "fr-2023")

    assert ["fr-2023.frequency"] == run.rules_of("a5")
    finding = run.violations[0]
    assert "assumed_single" == finding["evidence"]["principal_basis"]
    assert "boots, shoes" in run.summary["warnings"][0] and "assumed_single" in run.summary["warnings"][0]
    assert 3 == run.exit_code  # no --oppositions, --scrubs or --campaigns: those rules are not evaluated
    assert "field oppositions absent (no --oppositions file)" in run.coverage["fr-2023.opposition"]["not_evaluated"]


def test_a_principal_column_keeps_two_firms_apart_without_a_warning(write, audit, full):  # type: ignore[no-untyped-def]
    rows = [f"a{d},2026-03-{15 + d}T11:00:00+01:00,+33612345678,,c,canvassing,answered,30,a,manual,"
            f"{'firm' if d % 2 else 'other'}," for d in range(1, 6)]
    log = write("log.csv", _rows(*rows))
    run = _both(audit, log, "fr-2023", *full)

    assert (0, [], []) == (run.exit_code, run.violations, run.summary["warnings"])


def test_a_mobile_whose_holder_lives_in_reunion_is_judged_on_reunion_time(write, audit, full):  # type: ignore[no-untyped-def]
    """+33 6... called at 20:30 Réunion (17:30 Paris): region 974 in the log, or in the persons file."""
    persons = write("persons.csv", "person_id,phone,region\nP2,+33612345679,974")
    log = write("log.csv", _rows("col,2026-03-16T20:30:00+04:00,+33612345678,,c,canvassing,answered,30,a,manual,,974",
                                 "file,2026-03-16T20:30:00+04:00,+33612345679,,c,canvassing,answered,30,a,manual,,",
                                 "paris,2026-03-16T20:30:00+04:00,+33612345670,,c,canvassing,answered,30,a,manual,,"))
    run = _both(audit, log, "fr-2023", *full, "--persons", str(persons))

    assert 1 == run.exit_code
    assert (["fr-2023.hours"], ["fr-2023.hours"], []) == (run.rules_of("col"), run.rules_of("file"),
                                                         run.rules_of("paris"))
    assert {("residence", ("Indian/Reunion",))} == {(v["evidence"]["zone_basis"], tuple(v["zones"]))
                                                    for v in run.violations}


def test_a_reunion_mobile_whose_holder_lives_in_paris_is_judged_on_paris_time(write, audit, full):  # type: ignore[no-untyped-def]
    """+262 692...: 20:30 in Réunion is 17:30 in Paris; region 75 makes it a daytime call, without it a late one."""
    log = write("log.csv", _rows("paris,2026-03-16T20:30:00+04:00,+262692123456,,c,canvassing,answered,30,a,manual,,75",
                                 "there,2026-03-16T20:30:00+04:00,+262692123457,,c,canvassing,answered,30,a,manual,,"))
    run = _both(audit, log, "fr-2023", *full)

    assert ([], ["fr-2023.hours"]) == (run.rules_of("paris"), run.rules_of("there"))
    assert "zone_basis" not in run.violations[0]["evidence"]  # the number's own zone


def test_a_reunion_resident_is_called_under_reunions_holidays(write, audit, full):  # type: ignore[no-untyped-def]
    """20 December (abolition of slavery, FR-974) is a working day in Paris; a Sunday is avoided here."""
    log = write("log.csv", _rows("hol,2027-12-20T11:00:00+04:00,+33612345678,,c,canvassing,answered,30,a,manual,,974"))
    run = _both(audit, log, "fr-2023,policy", *full)

    assert ["policy.regional_holidays"] == run.rules_of("hol")  # a regional day: policy, not D223-9


def test_an_area_code_spanning_two_zones_is_judged_in_both(write, audit):  # type: ignore[no-untyped-def]
    """+1 850 555...: phonenumbers says New York only, but 850's prefixes span Chicago too. 13:30 UTC in
    January is 08:30 Eastern and 07:30 Central: before us-federal's 08:00."""
    log = write("log.csv", _rows("early,2027-01-12T13:30:00Z,+18505551234,,c,canvassing,answered,30,a,manual,,",
                                 "later,2027-01-12T14:30:00Z,+18505551234,,c,canvassing,answered,30,a,manual,,"))
    run = _both(audit, log, "us-federal", "--default-region", "US")

    assert (["us-federal.hours"], []) == (run.rules_of("early"), run.rules_of("later"))
    finding = run.violations[0]
    assert ("area_code", ["America/Chicago", "America/New_York"]) == (finding["evidence"]["zone_basis"],
                                                                      finding["zones"])
    assert ["America/Chicago"] == finding["evidence"]["outside_in"]


def test_a_number_with_no_zone_is_a_gap_exit_3_with_or_without_findings(write, audit, full):  # type: ignore[no-untyped-def]
    """+1 200 555...: possible, in no known range, and +1 has many countries and zones: not evaluated."""
    log = write("log.csv", _rows("nz,2026-03-16T11:00:00+01:00,+12005550100,,c,canvassing,answered,30,a,manual,,",
                                 "night,2026-03-16T23:00:00+01:00,+33612345678,,c,canvassing,answered,30,a,manual,,"))
    with_finding = _both(audit, log, "fr-2023,us-federal", *full)
    alone = _both(audit, write("alone.csv", _rows(
        "nz,2026-03-16T11:00:00+01:00,+12005550100,,c,canvassing,answered,30,a,manual,,")), "fr-2023", *full)

    assert (3, ["fr-2023.hours"]) == (with_finding.exit_code, with_finding.rules_of("night"))
    assert (3, []) == (alone.exit_code, alone.violations)
    reason = "callee country unknown (invalid number)"
    assert {reason: 1} == with_finding.coverage["us-federal.hours"]["not_evaluated"]
    assert ("partly evaluated", {reason: 1}) == (with_finding.coverage["fr-2023.hours"]["status"],
                                                 with_finding.coverage["fr-2023.hours"]["not_evaluated"])


def test_coverage_is_in_every_output_format(write, tmp_path, full):  # type: ignore[no-untyped-def]
    log = write("log.csv", _rows("night,2026-03-16T00:30:00+01:00,+33612345678,,c,canvassing,answered,30,a,,,"))
    evidence = tmp_path / "evidence.json"

    def run(fmt: str) -> tuple[int, str]:
        out = tmp_path / f"out.{fmt}"
        result = CliRunner().invoke(main, ["audit", "--no-store", "--log", str(log), "--rules", "fr-2023",
                                           "--format", fmt, "--output", str(out), "--evidence", str(evidence), *full])
        return result.exit_code, out.read_text()

    reason = "field dial_mode absent"
    code, table = run("table")
    assert 3 == code  # an empty dial_mode leaves fr-2023.caller_id not evaluated
    assert "coverage: GAPS" in table and f"fr-2023.caller_id: not evaluated: 0 evaluated; not evaluated on 1 " \
        f"({reason})" in table
    _, lines = run("json")
    records = [json.loads(line) for line in lines.splitlines()]
    coverage = {r["rule"]: r for r in records if r.get("record") == "coverage"}
    assert {reason: 1} == coverage["fr-2023.caller_id"]["not_evaluated"]
    assert ("evaluated", 1, 1) == tuple(coverage["fr-2023.hours"][k] for k in ("status", "evaluated", "violations"))
    _, text = run("csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert ["violation"] == [r["record"] for r in rows if r["record"] != "coverage"]
    caller = next(r for r in rows if r["record"] == "coverage" and r["rule"] == "fr-2023.caller_id")
    assert {reason: 1} == json.loads(caller["evidence"])["not_evaluated"]
    _, page = run("html")
    assert "Coverage: GAPS" in page and reason in page
    assert ("gaps", 3) == tuple(json.loads(evidence.read_text())[k] for k in ("coverage", "exit_code"))


def test_help_states_the_exit_codes() -> None:
    text = CliRunner().invoke(main, ["audit", "--help"]).output
    assert "3  coverage gaps" in text and "2  unusable input" in text and "1  findings" in text
