"""The audit library leaves the garbage collector alone; turning it off is the caller's choice."""

from __future__ import annotations

import gc
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from campaigns.engines import audit as audit_module
from campaigns.engines.audit import AuditRequest, collector_tuned_for_audit, run_audit
from campaigns.engines.columnar import reading

HEADER = "call_id,start,callee,caller_id,campaign,purpose,disposition,duration_s,agent,principal"
DISPOSITIONS = ["no_answer"] * 8 + ["answered"] * 5 + ["busy", "voicemail", "failed", "refused", "opt_out"]


def _log(path: Path, rows: int) -> Path:
    """Calls to 300 persons over 20 days at any hour (the same persons whatever the length)."""
    rng = random.Random(11)
    start = datetime(2026, 4, 27, 6, tzinfo=UTC)
    lines = [HEADER]
    for i in range(rows):
        moment = start + timedelta(seconds=i * 20 * 86400 // rows + rng.randrange(-900, 900))
        person = rng.randrange(300)
        lines.append(f"c{i},{moment.isoformat()},+336{person:08d},+33162000001,camp{i % 3},canvassing,"
                     f"{rng.choice(DISPOSITIONS)},{rng.randrange(300)},ag1,acme")
    path.write_text("\n".join(lines) + "\n")
    return path


def _audit(log: Path, engine: str, watch: list[Any] | None = None) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def progress(done: int) -> None:
        if watch is not None:
            watch.append((gc.isenabled(), gc.get_threshold(), gc.get_freeze_count()))

    run_audit(AuditRequest(log=log, rules=("fr-2023",), engine=engine), lambda v: found.append(v.as_json()),
              lambda r: None, progress)
    return found


@pytest.mark.parametrize("engine", ["columnar", "row"])
def test_run_audit_leaves_the_collector_as_it_found_it(tmp_path, monkeypatch, engine):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(reading, "BLOCK_BYTES", 20000)
    monkeypatch.setattr(audit_module, "FREEZE_EVERY", 300)
    log = _log(tmp_path / "log.csv", 3000)
    before = (gc.isenabled(), gc.get_threshold(), gc.get_freeze_count())
    watch: list[Any] = []

    _audit(log, engine, watch)

    assert len(watch) > 3
    assert {before} == set(watch)
    assert before == (gc.isenabled(), gc.get_threshold(), gc.get_freeze_count())


def test_the_tuning_turns_collection_off_inside_and_puts_it_back_after():  # type: ignore[no-untyped-def]
    assert gc.isenabled()
    with collector_tuned_for_audit():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_tuned_for_audit():
        raise RuntimeError("the audit failed")
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_tuned_for_audit():
            pass
        assert not gc.isenabled()  # it was off: it stays off
    finally:
        gc.enable()


@pytest.mark.parametrize("engine", ["columnar", "row"])
def test_with_the_collector_off_the_audit_finds_the_same_and_leaves_no_garbage_per_row(tmp_path, engine):  # type: ignore[no-untyped-def]
    short, long = _log(tmp_path / "short.csv", 2000), _log(tmp_path / "long.csv", 6000)
    garbage = []
    for log in (short, long):
        reference = _audit(log, engine)
        gc.collect()
        with collector_tuned_for_audit():
            tuned = _audit(log, engine)
            garbage.append(gc.collect())  # objects that only a collection frees: cycles
        assert reference == tuned
        assert len(reference) > 300
    assert garbage[1] <= garbage[0]  # three times the rows, no more cycles: none is made per row
