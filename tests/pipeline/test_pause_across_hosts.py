"""On PostgreSQL, a trunk failure seen by one host pauses the campaign for every host: the host that saw it
stores `paused` at once, and a worker on another host checks that status before each call and once a
second, so it starts no call of its own. Here the other host's failure is its stored status (set as this
worker starts, as that host would); the calls are due a few seconds later at a port where nothing listens,
so a worker that ignored the pause would place them and change their rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mystery.pipeline.campaign import run_campaign
from mystery.scenario.plan import Account, CallPlan
from mystery.store import planned, repo
from mystery_core.store.engine import open_store


@pytest.mark.postgres
def test_a_worker_starts_no_call_once_another_host_paused_the_campaign(
        postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MYSTERY_RECORDINGS_DIR", str(tmp_path / "recordings"))
    monkeypatch.setenv("MYSTERY_HOST_ID", "host-b")
    engine = open_store(postgres_url)
    campaign_id = repo.create_campaign(engine, "paused", {"name": "paused"})
    now = datetime.now(UTC)
    plans = [CallPlan(uri="sip:desk@127.0.0.1:9", call_id=f"paused-{n}", line="desk",
                      recordings_dir=str(tmp_path / "recordings"), max_seconds=5) for n in (1, 2)]
    planned.add_planned(engine, campaign_id, plans, [(now + timedelta(seconds=s)).isoformat() for s in (4, 5)])

    def other_host_pauses(_left: int) -> None:   # called once this worker has marked the campaign running
        repo.set_campaign_status(engine, campaign_id, "paused")

    run = run_campaign(engine, campaign_id, Account(), 2, on_start=other_host_pauses)
    assert run.paused and "another host" in run.paused
    assert run.results == ()
    rows = planned.planned(engine, campaign_id)
    assert [("planned", 0)] * 2 == [(r["state"], r["attempts"]) for r in rows]
    assert "paused" == repo.find_campaign(engine, "paused")["status"]
    engine.dispose()
