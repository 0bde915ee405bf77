"""The streaming audit's memory measures must not change what it finds."""

from __future__ import annotations

import gc
import random
from datetime import UTC, datetime, timedelta

from campaigns.engines import audit as audit_module
from campaigns.engines.audit import AuditRequest, run_audit

HEADER = "call_id,start,callee,caller_id,campaign,purpose,disposition,duration_s,agent,principal"
DISPOSITIONS = ["no_answer"] * 8 + ["answered"] * 5 + ["busy", "voicemail", "failed", "refused", "opt_out"]


def _generated_log(path, rows: int = 4000):  # type: ignore[no-untyped-def]
    """Calls to 600 persons over 40 days at any hour: every French rule fires on some of them."""
    rng = random.Random(7)
    start = datetime(2026, 4, 27, 6, tzinfo=UTC)  # spans 1 May, 8 May and Ascension Day
    lines = [HEADER]
    for i in range(rows):
        moment = start + timedelta(seconds=i * 40 * 86400 // rows + rng.randrange(-900, 900))
        person = rng.randrange(600)
        phone = f"+336{person:08d}" if rng.random() < 0.7 else f"+331{person:08d}"
        lines.append(f"c{i},{moment.isoformat()},{phone},+33162000001,camp{i % 3},canvassing,"
                     f"{rng.choice(DISPOSITIONS)},{rng.randrange(300)},ag1,acme")
    path.write_text("\n".join(lines) + "\n")
    return path


def _audit(log):  # type: ignore[no-untyped-def]
    found = []
    outcome = run_audit(AuditRequest(log=log, rules=("fr-2023",)), lambda v: found.append(v.as_json()),
                        lambda r: None)
    return found, outcome.violations


def test_freezing_the_history_out_of_the_collector_finds_the_same_violations(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    log = _generated_log(tmp_path / "log.csv")
    threshold = gc.get_threshold()
    reference, count = _audit(log)  # 4,000 rows: below FREEZE_EVERY, nothing is frozen

    monkeypatch.setattr(audit_module, "FREEZE_EVERY", 7)
    frozen, frozen_count = _audit(log)

    assert count > 500
    assert {v["rule"] for v in reference} >= {"fr-2023.hours", "fr-2023.weekend", "fr-2023.holiday",
                                               "fr-2023.frequency", "fr-2023.refusal"}
    assert (reference, count) == (frozen, frozen_count)
    assert 0 == gc.get_freeze_count()  # everything handed back to the collector
    assert threshold == gc.get_threshold()
