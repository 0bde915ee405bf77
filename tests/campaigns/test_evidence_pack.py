"""Evidence a regulator accepts (issue 17 part 3): findings that carry their rule, citation, certainty and
reasoning; a pack of outputs whose manifest of SHA-256 sums is signed with Ed25519 and checked by `campaigns
verify`; numbers pseudonymised with a keyed hash in every export; suppression entries with their scope."""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from campaigns.cli import main
from campaigns.output_pack import write_manifest

LOG = """call_id,start,callee,caller_id,campaign,purpose,disposition,duration_s,agent
a1,2026-03-02T11:00:00+01:00,+33142345678,,camp,canvassing,no_answer,30,a1
a2,2026-03-03T11:00:00+01:00,+33142345678,,camp,canvassing,no_answer,30,a1
a3,2026-03-04T11:00:00+01:00,+33142345678,,camp,canvassing,no_answer,30,a1
a4,2026-03-05T11:00:00+01:00,+33142345678,,camp,canvassing,no_answer,30,a1
a5,2026-03-06T11:00:00+01:00,+33142345678,,camp,canvassing,refused,30,a1
h1,2026-04-06T11:00:00+02:00,+33687654321,,camp2,canvassing,answered,30,a1
late,2026-03-16T20:30:00+01:00,+33687654321,,camp,canvassing,opt_out,30,a1"""
NUMBERS = ("+33142345678", "+33687654321", "33142345678", "33687654321", "0142345678", "0687654321")
KEY = b"pseudonymisation key of this test"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    """(our signing key, another one); each with its .pub next to it."""
    ours, other = tmp_path / "ours.key", tmp_path / "other.key"
    assert 0 == run("keygen", str(ours))[0]
    assert 0 == run("keygen", str(other))[0]
    return ours, other


def audit_pack(write, tmp_path: Path, key: Path, *extra: str, name: str = "pack") -> Path:  # type: ignore[no-untyped-def]
    log = write("log.csv", LOG)
    pack = tmp_path / name
    code, _ = run("audit", "--no-store", "--log", str(log), "--rules", "fr-2023", "--output", str(tmp_path / "t.txt"),
                  "--pack", str(pack), "--signing-key", str(key), *extra)
    assert 3 == code  # findings, and rules not evaluated (no --oppositions...)
    return pack


def findings(pack: Path) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in (pack / "findings.jsonl").read_text().splitlines()]
    return [row for row in rows if row.get("record") != "coverage"]


def test_each_finding_carries_its_rule_citation_certainty_and_reasoning(write, tmp_path, keys):  # type: ignore[no-untyped-def]
    pack = audit_pack(write, tmp_path, keys[0])
    by_call = {(f["call_id"], f["rule"]): f for f in findings(pack)}

    holiday = by_call[("h1", "fr-2023.holiday")]
    assert ("V", "No calls on public holidays") == (holiday["certainty"], holiday["rule_text"][:27])
    assert "C. trav. art. L3133-1" in holiday["citation"]
    assert "2026-04-06 is Easter Monday, a public holiday in the calendar FR (holidays package)" in holiday["reasoning"]
    frequency = by_call[("a5", "fr-2023.frequency")]
    counted = next(line for line in frequency["reasoning"] if line.startswith("earlier attempts counted (4):"))
    assert all(call in counted for call in ("a1 2026-03-02T10:00:00Z", "a4 2026-03-05T10:00:00Z"))
    assert frequency["reasoning"][0].startswith("rule fr-2023.frequency: At most 4 attempts")
    assert "certainty V: verified against the text" in frequency["reasoning"][0]
    with (pack / "findings.csv").open() as handle:
        rows = [r for r in csv.DictReader(handle) if r["record"] == "violation"]
    assert {("a5", "fr-2023.frequency", "C. consom. art. D223-9 al. 3", "V")} <= {
        (r["call_id"], r["rule"], r["citation"], r["certainty"]) for r in rows}
    assert json.loads(rows[0]["reasoning"])[0].startswith("rule ")


def test_verify_accepts_the_pack_and_detects_one_changed_byte_in_any_file(write, tmp_path, keys):  # type: ignore[no-untyped-def]
    ours = keys[0]
    pack = audit_pack(write, tmp_path, ours)
    public = f"{ours}.pub"
    names = sorted(p.name for p in pack.iterdir())
    assert ["evidence.json", "findings.csv", "findings.jsonl", "manifest.json", "manifest.sig", "report.html",
            "summary.json", "summary.txt", "suppression.csv"] == names
    manifest = json.loads((pack / "manifest.json").read_text())
    assert hashlib.sha256((pack / "report.html").read_bytes()).hexdigest() == manifest["outputs"]["report.html"]["sha256"]
    assert hashlib.sha256(LOG.encode() + b"\n").hexdigest() == manifest["inputs"]["log"]["sha256"]
    code, out = run("verify", str(pack), "--public-key", public)
    assert 0 == code, out
    assert "pack intact: 7 file(s) checked, 0 problem(s)" in out

    for name in names:
        copy = tmp_path / f"changed-{name}"
        shutil.copytree(pack, copy)
        data = bytearray((copy / name).read_bytes())
        middle = len(data) // 2
        data[middle] ^= 0x01  # one bit of one byte
        (copy / name).write_bytes(bytes(data))
        code, out = run("verify", str(copy), "--public-key", public)
        assert 1 == code, (name, out)
        blamed = "manifest.sig" if name in ("manifest.json", "manifest.sig") else name
        assert f"FAIL  {blamed}:" in out, (name, out)

    code, out = run("verify", str(pack), "--public-key", public, "--inputs")
    assert 0 == code
    assert f"ok  input log: {tmp_path / 'log.csv'}" in out
    assert "note  input pack:fr-2023: fr-2023.yaml not found here, not checked" in out
    (tmp_path / "log.csv").write_text(LOG.replace("a5,", "a6,") + "\n")
    code, out = run("verify", str(pack), "--public-key", public, "--inputs")
    assert 1 == code
    assert f"FAIL  input log: {tmp_path / 'log.csv'} differs from the file the audit read (SHA-256)" in out
    (tmp_path / "log.csv").write_text(LOG + "\n")

    extra = tmp_path / "extra"
    shutil.copytree(pack, extra)
    (extra / "notes.txt").write_text("added later")
    (extra / "summary.txt").unlink()
    code, out = run("verify", str(extra), "--public-key", public)
    assert 1 == code
    assert "FAIL  notes.txt: in the pack but not in the manifest" in out
    assert "FAIL  summary.txt: listed in the manifest, missing from the pack" in out


def test_verify_rejects_a_pack_signed_with_another_key(write, tmp_path, keys):  # type: ignore[no-untyped-def]
    ours, other = keys
    signed_by_other = audit_pack(write, tmp_path, other, name="other")
    code, out = run("verify", str(signed_by_other), "--public-key", f"{ours}.pub")
    assert 1 == code
    assert "FAIL  manifest.sig: the signature does not match manifest.json" in out

    # the findings edited and the manifest rebuilt and re-signed by whoever edited them
    pack = audit_pack(write, tmp_path, ours)
    lines = (pack / "findings.jsonl").read_text().splitlines()
    (pack / "findings.jsonl").write_text("\n".join(lines[1:]) + "\n")  # one finding removed
    (pack / "manifest.json").unlink()
    (pack / "manifest.sig").unlink()
    write_manifest(pack, {}, other, {})
    assert 1 == run("verify", str(pack), "--public-key", f"{ours}.pub")[0]
    assert 0 == run("verify", str(pack), "--public-key", f"{other}.pub")[0]
    code, out = run("verify", str(pack))  # no trusted key: intact under its own key, and it says so
    assert 0 == code
    assert "not checked against a key you trust" in out


def test_pseudonymised_exports_hold_no_number_and_keyed_hashes_stable_per_key(write, tmp_path, keys):  # type: ignore[no-untyped-def]
    key_file, other_key = tmp_path / "pseudo.key", tmp_path / "other-pseudo.key"
    key_file.write_bytes(KEY)
    other_key.write_bytes(b"another key, as long as the first")
    pack = audit_pack(write, tmp_path, keys[0], "--pseudonymise", str(key_file))
    again = audit_pack(write, tmp_path, keys[0], "--pseudonymise", str(key_file), name="again")
    other = audit_pack(write, tmp_path, keys[0], "--pseudonymise", str(other_key), name="other")

    for path in pack.iterdir():
        text = path.read_text()
        assert not [n for n in NUMBERS if n in text], path.name
    expected = "pn:" + hmac.new(KEY, b"+33142345678", hashlib.sha256).hexdigest()[:20]
    rows = findings(pack)
    frequency = next(f for f in rows if f["rule"] == "fr-2023.frequency")
    assert expected == frequency["phone"]
    assert {expected} == {a["phone"] for a in frequency["evidence"]["earlier_attempts"]}
    assert [f["phone"] for f in rows] == [f["phone"] for f in findings(again)]
    assert not {f["phone"] for f in rows} & {f["phone"] for f in findings(other)}
    with (pack / "suppression.csv").open() as handle:
        suppression = list(csv.DictReader(handle))
    assert {(expected, "canvassing newspaper", "2026-05-06")} <= {(r["phone"], r["purpose"], r["until"]) for r in suppression}
    assert 0 == run("verify", str(pack), "--public-key", f"{keys[0]}.pub")[0]
    assert json.loads((pack / "evidence.json").read_text())["exports"] == {"pseudonymised": True, "lang": "en"}

    short = tmp_path / "short.key"
    short.write_bytes(b"short")
    code, out = run("audit", "--no-store", "--log", str(tmp_path / "log.csv"), "--rules", "fr-2023",
                    "--pseudonymise", str(short))
    assert 2 == code


def test_a_pack_needs_a_signing_key_and_an_empty_directory(write, tmp_path, keys):  # type: ignore[no-untyped-def]
    log = write("log.csv", LOG)
    assert 2 == run("audit", "--no-store", "--log", str(log), "--rules", "fr-2023", "--pack", str(tmp_path / "p"))[0]
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    assert 2 == run("audit", "--no-store", "--log", str(log), "--rules", "fr-2023", "--pack", str(tmp_path / "full"),
                    "--signing-key", str(keys[0]))[0]
    assert 2 == run("audit", "--no-store", "--log", str(log), "--rules", "fr-2023", "--pack", str(tmp_path / "p"),
                    "--signing-key", f"{keys[0]}.pub")[0]
    assert 2 == run("keygen", str(keys[0]))[0]  # never overwrites a key
    bad = write("bad.csv", "call_id,start\nx,y")
    assert 2 == run("audit", "--no-store", "--log", str(bad), "--rules", "fr-2023", "--pack", str(tmp_path / "p"),
                    "--signing-key", str(keys[0]))[0]
    assert not (tmp_path / "p").exists()  # unusable input: nothing written, not even the directory


def test_the_reasoning_names_each_earlier_attempts_purpose_when_the_check_records_it():  # type: ignore[no-untyped-def]
    """The frequency check's evidence does not carry the purpose of earlier attempts yet (issue 17 part 1 changes
    what counts); the reasoning writes it as soon as the evidence has it."""
    from campaigns.model.records import Violation
    from campaigns.output_explain import reasoning

    earlier = [{"call_id": "s1", "started_at_utc": "2026-03-02T10:00:00Z", "campaign": "care", "purpose": "service",
                "disposition": "answered"}]
    v = Violation("c5", "fr-2023.frequency", "+33142345678", "", "number", "camp", "acme",
                  "2026-03-06T11:00:00+01:00", ("Europe/Paris",), "attempt 5", {"earlier_attempts": earlier},
                  "log.csv", 6, "2026-03-06T10:00:00Z")
    assert ("earlier attempts counted (1): s1 2026-03-02T10:00:00Z campaign care purpose service "
            "disposition answered") in reasoning(v, None)
    assert ("tentatives antérieures comptées (1) : s1 2026-03-02T10:00:00Z campagne care finalité service "
            "résultat answered") in reasoning(v, None, "fr")


def test_pseudonymisation_reaches_numbers_at_any_depth_and_in_messages_but_not_times():  # type: ignore[no-untyped-def]
    from campaigns.model.records import Violation
    from campaigns.output_pseudonym import Pseudonymiser

    pseudo = Pseudonymiser(KEY)
    hashed = pseudo.phone("+33612345678")
    v = Violation("c1", "gdpr.objection", "+33612345678", "P", "person", "camp", "acme", "2026-03-06T11:00:00+01:00",
                  ("Europe/Paris",), "+33612345678 is on the bloctel list since 2026-01-01",
                  {"entry": {"phone": "0612345678", "listed_at": "2026-01-01T00:00:00+01:00"},
                   "numbers": ["+33612345678"], "note": "second number +33612345678 of the person"},
                  "log.csv", 2, "2026-03-06T10:00:00Z")
    out = pseudo.violation(v)
    assert hashed == out.phone == out.evidence["numbers"][0]
    assert f"{hashed} is on the bloctel list since 2026-01-01" == out.message
    assert pseudo.phone("0612345678") == out.evidence["entry"]["phone"]  # under a number's key: as written
    assert "2026-01-01T00:00:00+01:00" == out.evidence["entry"]["listed_at"]
    assert f"second number {hashed} of the person" == out.evidence["note"]
    assert "2026-03-06T11:00:00+01:00" == out.local_time
