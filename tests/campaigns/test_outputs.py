"""Audit outputs: the four formats, the text summary, the evidence pack, exit codes."""

from __future__ import annotations

import csv
import hashlib
import json

from bs4 import BeautifulSoup
from click.testing import CliRunner

from campaigns.cli import main

LOG = """call_id,start,callee,caller_id,campaign,purpose,disposition,duration_s,agent
ok,2026-03-16T11:00:00+01:00,+33142345678,,camp,canvassing,answered,30,a1
late,2026-03-16T20:30:00+01:00,+33687654321,,camp,canvassing,answered,30,a1"""


def _run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["audit", "--no-store", *args])


def test_csv_and_html_outputs_carry_the_violation_and_its_evidence(write, tmp_path):  # type: ignore[no-untyped-def]
    log = write("log.csv", LOG)
    out_csv, out_html = tmp_path / "v.csv", tmp_path / "v.html"

    assert 1 == _run("--log", str(log), "--rules", "fr-2023", "--format", "csv", "--output", str(out_csv)).exit_code
    assert 1 == _run("--log", str(log), "--rules", "fr-2023", "--format", "html", "--output", str(out_html)).exit_code

    with out_csv.open() as handle:
        rows = list(csv.DictReader(handle))
    assert [("late", "fr-2023.hours", "+33687654321")] == [(r["call_id"], r["rule"], r["phone"]) for r in rows]
    assert "2026-03-16T20:30:00+01:00 Europe/Paris" == json.loads(rows[0]["evidence"])["local_time"]
    page = BeautifulSoup(out_html.read_text(), "html.parser")
    cells = [td.get_text() for td in page.find_all("table")[1].find_all("td")]
    assert ["late", "fr-2023.hours"] == cells[:2]
    assert "C. consom. art. L242-16" in page.get_text()


def test_csv_exports_never_hand_a_spreadsheet_a_formula(write, tmp_path):  # type: ignore[no-untyped-def]
    """A log's call id is text from outside: `=HYPERLINK(...)` opened in a spreadsheet would run."""
    log = write("log.csv", LOG.replace("\nlate,", '\n"=HYPERLINK(""http://x"",""y"")",'))
    out_csv = tmp_path / "v.csv"
    assert 1 == _run("--log", str(log), "--rules", "fr-2023", "--format", "csv", "--output", str(out_csv)).exit_code
    with out_csv.open() as handle:
        rows = list(csv.DictReader(handle))
    assert [("'=HYPERLINK(\"http://x\",\"y\")", "+33687654321")] == [(r["call_id"], r["phone"]) for r in rows]


def test_table_output_and_text_summary(write):  # type: ignore[no-untyped-def]
    log = write("log.csv", LOG)
    result = _run("--log", str(log), "--rules", "fr-2023")

    assert "late     fr-2023.hours" in result.stdout
    assert f"{log}: 2 rows read = 2 attempts + 0 rejected" in result.stderr
    assert "parameters: windows=[\"10:00-13:00\", \"14:00-20:00\"]" in result.stderr
    assert "total: 1 violation(s), 0 rejected log row(s), 0 rejected input row(s); exit code 1" in result.stderr


def test_a_clean_log_exits_0_and_the_evidence_pack_makes_it_reproducible(write, tmp_path):  # type: ignore[no-untyped-def]
    log = write("log.csv", LOG.rsplit("\n", 1)[0])
    evidence = tmp_path / "evidence.json"
    result = _run("--log", str(log), "--rules", "fr-2026", "--evidence", str(evidence), "--param",
                  "fr-2023.frequency.max_attempts=3")

    assert 0 == result.exit_code
    pack = json.loads(evidence.read_text())
    assert hashlib.sha256(log.read_bytes()).hexdigest() == pack["inputs"]["log"]["sha256"]
    assert {"fr-2026", "fr-2023", "gdpr"} == {p["name"] for p in pack["packs"]}
    assert {"fr-2023.frequency.max_attempts": "3"} == pack["parameter_overrides"]
    assert 3 == next(r for r in pack["rules"] if r["id"] == "fr-2023.frequency")["params"]["max_attempts"]
    assert pack["tool"]["libraries"]["phonenumbers"] == "9.0.43"


def test_an_audit_with_its_files_and_its_store_record_is_one_library_call(write, tmp_path):  # type: ignore[no-untyped-def]
    from campaigns.engines.audit import AuditRequest
    from campaigns.jobs import AuditOutputs, audit_with_outputs

    log = write("log.csv", LOG)
    violations, summary, stop = tmp_path / "out" / "v.jsonl", tmp_path / "s.json", tmp_path / "stop.csv"
    outputs = AuditOutputs(fmt="json", violations=str(violations), summary=str(summary), suppression=str(stop),
                           database_url=f"sqlite:///{tmp_path / 'store.db'}")
    outcome = audit_with_outputs(AuditRequest(log=log, rules=("fr-2023",)), outputs)

    assert 1 == outcome.exit_code
    assert ["late"] == [json.loads(line)["call_id"] for line in violations.read_text().splitlines()]
    data = json.loads(summary.read_text())
    assert (1, 1) == (data["violations"], data["run_id"])
    assert "phone,person_id,principal,reason,since,until" == stop.read_text().splitlines()[0]
    assert [] == sorted(p.name for p in tmp_path.rglob("*.part"))
