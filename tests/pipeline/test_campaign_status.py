"""`mystery campaign status NAME`: calls per state, the next call due, and every call not done, read from the
planned-call table of a real SQLite store (no call is dialled)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from console.cli import main
from mystery.records import CallResult
from mystery.scenario.plan import CallPlan
from mystery.store import planned, repo
from mystery_core.store.engine import open_store


def test_status_counts_states_and_lists_what_is_left(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = open_store(url)
    campaign_id = repo.create_campaign(engine, "week-12", {"name": "week-12"})
    plans = [CallPlan(uri="sip:desk@127.0.0.1", call_id=f"week-12-{n:04d}", line=line)
             for n, line in enumerate(["desk", "desk", "spa"], start=1)]
    planned.add_planned(engine, campaign_id, plans, ["2026-03-23T09:10:00+00:00", "2026-03-23T11:45:00+00:00",
                                                     "2026-03-24T08:05:00+00:00"])
    assert "mine" == planned.claim(engine, campaign_id, "week-12-0001", None)
    planned.move(engine, "week-12-0001", "done", result=CallResult(
        call_id="week-12-0001", target_uri="sip:desk@127.0.0.1", outcome="answered",
        started_at="2026-03-23T09:10:00Z"), campaign_id=campaign_id)
    assert "mine" == planned.claim(engine, campaign_id, "week-12-0003", None)
    planned.move(engine, "week-12-0003", "planned", "never placed: the runner stopped before its dialer's INVITE")
    engine.dispose()
    result = CliRunner().invoke(main, ["--database-url", url, "campaign", "status", "week-12"])
    assert 0 == result.exit_code, result.output
    lines = result.output.splitlines()
    assert "campaign week-12: running; 3 planned calls: 2 planned, 1 done" == lines[0]
    assert "next: week-12-0002 (desk) due 2026-03-23T11:45:00+00:00" == lines[1]
    text = " ".join(result.output.split())
    assert "week-12-0002" in text and "week-12-0003" in text and "never" in text   # (the reason wraps in its cell)
    assert "week-12-0001" not in text.split("Calls not done", 1)[1]
