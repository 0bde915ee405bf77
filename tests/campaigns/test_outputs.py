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

    # 3: a finding, and rules not evaluated (no --oppositions, --scrubs, --campaigns; no dial_mode column)
    assert 3 == _run("--log", str(log), "--rules", "fr-2023", "--format", "csv", "--output", str(out_csv)).exit_code
    assert 3 == _run("--log", str(log), "--rules", "fr-2023", "--format", "html", "--output", str(out_html)).exit_code

    with out_csv.open() as handle:
        rows = [row for row in csv.DictReader(handle) if row["record"] == "violation"]
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
    assert 3 == _run("--log", str(log), "--rules", "fr-2023", "--format", "csv", "--output", str(out_csv)).exit_code
    with out_csv.open() as handle:
        rows = [row for row in csv.DictReader(handle) if row["record"] == "violation"]
    assert [("'=HYPERLINK(\"http://x\",\"y\")", "+33687654321")] == [(r["call_id"], r["phone"]) for r in rows]


def test_table_output_and_text_summary(write):  # type: ignore[no-untyped-def]
    log = write("log.csv", LOG)
    result = _run("--log", str(log), "--rules", "fr-2023")

    assert "late     fr-2023.hours" in result.stdout
    assert f"{log}: 2 rows read = 2 attempts + 0 rejected" in result.stderr
    assert "parameters: windows=[\"10:00-13:00\", \"14:00-20:00\"]" in result.stderr
    assert "total: 1 violation(s), 0 rejected log row(s), 0 rejected input row(s); coverage gaps; exit code 3" \
        in result.stderr
    assert "fr-2023.opposition: not evaluated: 0 evaluated; not evaluated on 2 (field oppositions absent (no " \
        "--oppositions file))" in result.stdout


def test_a_clean_log_exits_0_and_the_evidence_pack_makes_it_reproducible(write, tmp_path):  # type: ignore[no-untyped-def]
    log = write("log.csv", LOG.rsplit("\n", 1)[0].replace(",agent\n", ",agent,dial_mode\n") + ",manual")
    every_input = ["--oppositions", str(write("oppositions.csv", "phone,listed_at,source")),
                   "--scrubs", str(write("scrubs.csv", "principal,source,scrubbed_at\nfirm,bloctel,2026-03-01")),
                   "--campaigns", str(write("campaigns.csv", "campaign,principal,purpose\ncamp,firm,canvassing"))]
    evidence = tmp_path / "evidence.json"
    result = _run("--log", str(log), "--rules", "fr-2026", "--evidence", str(evidence), "--param",
                  "fr-2023.frequency.max_attempts=3", *every_input)

    assert 0 == result.exit_code, result.stdout
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

    assert 3 == outcome.exit_code  # a finding, and rules not evaluated
    assert ["late"] == [record["call_id"] for line in violations.read_text().splitlines()
                        if "call_id" in (record := json.loads(line))]
    data = json.loads(summary.read_text())
    assert (1, 1) == (data["violations"], data["run_id"])
    assert "phone,person_id,principal,purpose,reason,since,until" == stop.read_text().splitlines()[0]
    assert [] == sorted(p.name for p in tmp_path.rglob("*.part"))
