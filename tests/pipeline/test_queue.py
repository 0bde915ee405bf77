"""The campaign's job queue on the real PostgreSQL server (procrastinate's own fetch function picks the jobs;
no call is dialled): deferring is idempotent, a site's jobs run in due order whatever order they were
queued in, a site taking two calls at once gets no lock (planned.claim counts its cap), and SQLite gets no
queue at all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text

from mystery.pipeline import queue
from mystery.scenario.plan import CallPlan
from mystery.store import planned, repo
from mystery_core.store.engine import open_store


def campaign(engine: Engine, sites: dict[str, int], calls: list[tuple[str, timedelta]]) -> int:
    """A campaign whose calls go to `sites` (name: cap), each (site, due in) in plan order."""
    campaign_id = repo.create_campaign(engine, "week", {"name": "week", "sites": {
        name: {"timezone": "UTC", "concurrency": cap} for name, cap in sites.items()}})
    now = datetime.now(UTC)
    plans = [CallPlan(uri=f"sip:{site}@127.0.0.1", call_id=f"week-{n:04d}", line=site)
             for n, (site, _) in enumerate(calls, start=1)]
    planned.add_planned(engine, campaign_id, plans, [(now + due).isoformat() for _, due in calls],
                        [site for site, _ in calls])
    return campaign_id


def fetch(engine: Engine, campaign_id: int) -> str | None:
    """The call key of the job procrastinate's worker would take now (it is then `doing`), or None."""
    with engine.begin() as conn:
        return conn.execute(text("SELECT queueing_lock FROM procrastinate_fetch_job_v2(ARRAY[:q]::varchar[], NULL)"),
                            {"q": queue.queue_of(campaign_id)}).scalar()


@pytest.mark.postgres
def test_a_sites_jobs_run_in_due_order_one_at_a_time_and_deferring_twice_adds_none(postgres_url: str) -> None:
    engine = open_store(postgres_url)
    past = timedelta(seconds=-1)
    campaign_id = campaign(engine, {"opera": 1, "spa": 2}, [
        ("opera", timedelta(hours=1)),   # queued first, due last: must not hold up the opera's call due now
        ("opera", past), ("opera", 2 * past), ("spa", past), ("spa", past)])
    assert 5 == queue.defer(engine, planned.planned(engine, campaign_id))
    assert 0 == queue.defer(engine, planned.planned(engine, campaign_id))   # one job per planned call, ever

    first = fetch(engine, campaign_id)
    assert "week-0003" == first                     # the earliest due of all
    taken = {first, fetch(engine, campaign_id), fetch(engine, campaign_id)}
    # the opera's next call waits for its lock: the two spa calls (cap 2, no lock) run beside the first
    assert {"week-0003", "week-0004", "week-0005"} == taken and fetch(engine, campaign_id) is None
    with engine.begin() as conn:   # the opera's call ends: its next call, due now, comes before the later one
        conn.execute(text("UPDATE procrastinate_jobs SET status = 'succeeded' WHERE queueing_lock = 'week-0003'"))
    assert "week-0002" == fetch(engine, campaign_id)
    assert fetch(engine, campaign_id) is None        # week-0001 is not due for an hour
    engine.dispose()


def test_sqlite_stores_get_no_queue(tmp_path: Path) -> None:
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    assert not queue.uses_queue(engine)
    assert not [name for name in inspect(engine).get_table_names() if name.startswith("procrastinate")]
    engine.dispose()


@pytest.mark.postgres
def test_a_claim_holds_a_cap_above_1_across_hosts_and_takes_a_call_once(postgres_url: str,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """What stands in for a procrastinate lock where a site takes two calls at once: planned.claim counts the
    site's calls `dialling` on every host, under the campaign's advisory lock."""
    engine = open_store(postgres_url)
    now = timedelta(0)
    campaign_id = campaign(engine, {"spa": 2}, [("spa", now), ("spa", now), ("spa", now)])
    monkeypatch.setenv("MYSTERY_HOST_ID", "host-a")
    assert "mine" == planned.claim(engine, campaign_id, "week-0001", 2)
    monkeypatch.setenv("MYSTERY_HOST_ID", "host-b")
    assert "taken" == planned.claim(engine, campaign_id, "week-0001", 2)   # a job run twice dials nothing
    assert "mine" == planned.claim(engine, campaign_id, "week-0002", 2)
    assert "full" == planned.claim(engine, campaign_id, "week-0003", 2)    # two on the line, one per host
    planned.move(engine, "week-0001", "done")
    assert "mine" == planned.claim(engine, campaign_id, "week-0003", 2)
    assert {"on host-a", "on host-b"} == {h["detail"] for r in planned.planned(engine, campaign_id)
                                          for h in r["history"] if h["state"] == "dialling"}
    engine.dispose()
