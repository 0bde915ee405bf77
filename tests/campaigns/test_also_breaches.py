"""One finding per act everywhere it is read: `also_breaches` in the CSV output, in the store (SQLite file and the
real PostgreSQL, and on rows stored before revision c0003) and in the guard's HTTP answers (issue 17)."""

from __future__ import annotations

import csv
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from campaigns.cli import main
from campaigns.store.repo import load_rule_violations, load_violations
from mystery_core.store.engine import make_engine
from tests.campaigns.conftest import store_upgraded_from
from tests.campaigns.test_guard import KEY, _call, _check

HEADER = "call_id,start,callee,caller_id,campaign,purpose,disposition,duration_s,agent,principal"
# C. consom. D223-9 al. 3 (60 days after a refusal) and GDPR art. 21 (an objection) describe the same act: a
# canvassing call 10 days after an opt-out said on a survey call is one finding, fr-2023.refusal, also
# breaching gdpr.objection; 70 days after, gdpr.objection alone.
LOG = (HEADER + "\n"
       "poll,2026-03-02T11:00:00+01:00,+33142345678,,poll,survey,opt_out,30,a1,acme\n"
       "day10,2026-03-12T11:00:00+01:00,+33142345678,,camp,canvassing,answered,30,a1,acme\n"
       "day70,2026-05-11T11:00:00+02:00,+33142345678,,camp,canvassing,answered,30,a1,acme\n")


def _log(tmp_path: Path) -> Path:
    path = tmp_path / "log.csv"
    path.write_text(LOG, encoding="utf-8")
    return path


@pytest.mark.parametrize("engine", ["columnar", "row"])
def test_the_csv_output_lists_the_rules_a_finding_stands_for(tmp_path, engine):  # type: ignore[no-untyped-def]
    out = tmp_path / "v.csv"
    result = CliRunner().invoke(main, ["audit", "--log", str(_log(tmp_path)), "--rules", "fr-2023", "--format",
                                       "csv", "--output", str(out), "--no-store", "--engine", engine])
    assert 3 == result.exit_code, result.output  # findings, and coverage gaps (no dial_mode, registry)
    with out.open(encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["record"] == "violation"]
    assert [("day10", "fr-2023.refusal", "gdpr.objection"), ("day70", "gdpr.objection", "")] == \
        [(r["call_id"], r["rule"], r["also_breaches"]) for r in rows]


def test_the_store_keeps_also_breaches_on_sqlite_and_postgresql(audit, tmp_path, database_url):  # type: ignore[no-untyped-def]
    run = audit(_log(tmp_path), "fr-2023", database_url=database_url)
    engine = make_engine(database_url)
    try:
        stored = load_violations(engine, run.summary["run_id"])
        page = load_rule_violations(engine, run.summary["run_id"], "fr-2023.refusal")
    finally:
        engine.dispose()
    assert [("day10", "fr-2023.refusal", ["gdpr.objection"]), ("day70", "gdpr.objection", [])] == \
        [(v["call_id"], v["rule"], v["also_breaches"]) for v in stored]
    assert [["gdpr.objection"]] == [v["also_breaches"] for v in page]
    # what the store reads back is what the JSON output said
    assert [v.get("also_breaches", []) for v in run.violations] == [v["also_breaches"] for v in stored]


def test_findings_stored_before_c0003_read_back_with_no_also_breaches(database_url):  # type: ignore[no-untyped-def]
    engine = make_engine(database_url)
    try:
        store_upgraded_from(
            engine, "c0002",
            "INSERT INTO campaigns_audit_runs (id, started_at, log_path, packs, params) VALUES "
            "(1, '2026-03-02T10:00:00+00:00', 'old.csv', '[]', '{}')",
            "INSERT INTO campaigns_violations (run_id, call_id, rule, phone, person_id, campaign, principal,"
            " local_time, message, evidence, source, line, started_at_utc) VALUES (1, 'old-1',"
            " 'fr-2023.hours', '+33142345678', '', 'camp', 'acme', '2026-03-02T21:00:00+01:00', 'late',"
            " '{}', 'old.csv', 2, '2026-03-02T20:00:00+00:00')")
        stored = load_violations(engine, 1)
    finally:
        engine.dispose()
    assert [("old-1", [])] == [(v["call_id"], v["also_breaches"]) for v in stored]


@pytest.fixture
def guard(write, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    persons = write("persons.csv", "person_id,phone\nP1,+33142345678")
    oppositions = write("opp.csv", "phone,listed_at,source")
    registry = write("campaigns.csv", "campaign,principal,purpose\nsolar,SolarCo,canvassing\npoll,SolarCo,survey")
    scrubs = write("scrubs.csv", "principal,source,scrubbed_at\nSolarCo,bloctel,2026-03-01\nSolarCo,bloctel,2026-04-01"
                                 "\nSolarCo,bloctel,2026-05-01")
    process = subprocess.Popen(
        [sys.executable, "-m", "campaigns", "--database-url", f"sqlite:///{tmp_path / 'guard.db'}", "guard", "serve",
         "--port", "0", "--rules", "fr-2023", "--api-key", KEY, "--persons", str(persons), "--oppositions",
         str(oppositions), "--campaigns", str(registry), "--scrubs", str(scrubs)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = process.stdout.readline()  # type: ignore[union-attr]
    assert line.startswith("guard listening on "), process.stderr.read()  # type: ignore[union-attr]
    try:
        yield line.split()[-1]
    finally:
        process.terminate()
        assert 0 == process.wait(timeout=20)
        process.stdout.close()  # type: ignore[union-attr]
        process.stderr.close()  # type: ignore[union-attr]


def test_the_guard_answers_one_reason_per_act_with_its_also_breaches(guard):  # type: ignore[no-untyped-def]
    status, _ = _call("POST", f"{guard}/v1/attempts", {"attempt_id": "poll", "phone": "+33142345678",
                                                       "campaign": "poll", "started_at": "2026-03-02T11:00:00+01:00",
                                                       "disposition": "opt_out"})
    assert 201 == status
    status, day10 = _check(guard, phone="+33142345678", campaign="solar", at="2026-03-12T11:00:00+01:00")
    assert 200 == status
    reasons: list[dict[str, Any]] = day10["reasons"]
    assert [("fr-2023.refusal", ["gdpr.objection"])] == [(r["rule"], r.get("also_breaches")) for r in reasons]
    # the absorbed objection has no end: the kept reason and the answer say so
    assert (True, None, True) == (reasons[0]["permanent"], reasons[0]["until"], day10["permanent_block"])
    _, day70 = _check(guard, phone="+33142345678", campaign="solar", at="2026-05-11T11:00:00+02:00")
    assert [("gdpr.objection", None)] == [(r["rule"], r.get("also_breaches")) for r in day70["reasons"]]
