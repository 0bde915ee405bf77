"""JSON lines written as bytes to the file under the text stream are the bytes the text stream wrote before."""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from campaigns import output as report
from campaigns.engines.audit import AuditRequest, run_audit
from campaigns.model.records import Violation
from campaigns.output_explain import RuleLookup
from mystery_core import jsontext

HEADER = "call_id,start,callee,caller_id,campaign,purpose,disposition,duration_s,agent,principal"
DISPOSITIONS = ["no_answer"] * 8 + ["answered"] * 5 + ["busy", "voicemail", "refused", "opt_out"]


def _log(path: Path, rows: int = 2400) -> Path:
    """Calls to 300 persons over 40 days at any hour (1 May, 8 May and Ascension Day among them): hours, holiday,
    weekend, frequency and refusal findings, French accents in their texts."""
    rng = random.Random(15)
    start = datetime(2026, 4, 27, 6, tzinfo=UTC)
    lines = [HEADER]
    for i in range(rows):
        moment = start + timedelta(seconds=i * 40 * 86400 // rows + rng.randrange(0, 3600))
        lines.append(f"c{i},{moment.isoformat()},+336{rng.randrange(300):08d},,camp{i % 3},canvassing,"
                     f"{rng.choice(DISPOSITIONS)},{rng.randrange(0, 200)},ag,acme")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_json_lines_through_the_byte_stream_are_the_text_streams_bytes(tmp_path, lang):  # type: ignore[no-untyped-def]
    found: list[Violation] = []
    outcome = run_audit(AuditRequest(log=_log(tmp_path / "log.csv"), rules=("fr-2023",)), found.append,
                        lambda row: None)
    assert len(found) > 2 * report.JSON_LINES_BATCH  # more than one batch, and a part batch at the end
    assert {"fr-2023.hours", "fr-2023.holiday", "fr-2023.frequency", "fr-2023.refusal"} <= {v.rule for v in found}
    rule_of = RuleLookup(("fr-2023",), {})
    evidence = [jsontext.dumps(v.evidence) if i % 2 else None for i, v in enumerate(found)]  # given, or made here

    text = io.StringIO()
    before = report.ViolationWriter("json", text, rule_of, lang)
    path = tmp_path / "findings.jsonl"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write("")
        now = report.ViolationWriter("json", handle, rule_of, lang, binary=handle.buffer)
        for v, ev in zip(found, evidence, strict=True):
            before.write(v, ev)
            now.write(v, ev)
        before.close(outcome)
        now.close(outcome)

    expected = text.getvalue().encode("utf-8")
    assert expected.count(b"\n") == len(found) + len(outcome.stats)  # a line per finding, then per rule's coverage
    if lang == "fr":
        assert not expected.isascii()
    assert expected == path.read_bytes()
