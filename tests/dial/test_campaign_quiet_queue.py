"""On PostgreSQL, a worker of the campaign's job queue analyses in the calendar's quiet gaps: two groups of
real calls (SIPp as the far end) separated by a gap longer than --analyse-when-quiet (windows compressed into
seconds), and the analysis runs once, between them: after group 1's calls have ended with their results
stored, before group 2's first INVITE, and not again once the last call has ended (that final pass is the
`campaign run`/`resume` command's). The analysis here is a stand-in that records what the store held when it
ran (the real one, segments and transcripts, would only make the test slower; when it runs is what is tested)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mystery.pipeline.campaign import run_campaign
from mystery.pipeline.queue import defer
from mystery.scenario.plan import Account, CallPlan
from mystery.store import planned, repo
from mystery_core.store.engine import open_store

pytestmark = [pytest.mark.sip, pytest.mark.slow]

DUE_S = (1.0, 1.5, 16.0, 16.5)     # group 1, then group 2 after a gap of about 14 s (the worker starts in ~5 s)
QUIET_S = 3.0


@pytest.mark.postgres
def test_a_queue_worker_analyses_between_the_groups_and_not_after_the_last_call(
        postgres_url: str, sipp_uas, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MYSTERY_RECORDINGS_DIR", str(tmp_path / "recordings"))
    monkeypatch.setenv("MYSTERY_HOST_ID", "host-a")
    sipp = sipp_uas("uas_hangs_up.xml", calls=len(DUE_S), timeout_s=120, RING_MS=100, TALK_MS=600)
    engine = open_store(postgres_url)
    campaign_id = repo.create_campaign(engine, "days", {"name": "days"})
    now = datetime.now(UTC)
    plans = [CallPlan(uri=sipp.uri, call_id=f"days-{n}", line="desk", recordings_dir=str(tmp_path / "recordings"),
                      max_seconds=20) for n in range(1, len(DUE_S) + 1)]
    planned.add_planned(engine, campaign_id, plans, [(now + timedelta(seconds=s)).isoformat() for s in DUE_S])
    defer(engine, planned.planned(engine, campaign_id))
    analyses: list[tuple[float, float, dict[str, str], int]] = []

    def analyse(analysed_id: int) -> None:
        began = time.time()
        states = {r["call_key"]: r["state"] for r in planned.planned(engine, analysed_id)}
        time.sleep(0.5)
        analyses.append((began, time.time(), states, len(repo.load_calls(engine, analysed_id))))

    run = run_campaign(engine, campaign_id, Account(), 2, analyse=analyse, quiet_s=QUIET_S)
    assert 0 == sipp.wait(timeout=60)
    assert ["days-1", "days-2", "days-3", "days-4"] == sorted(r.call_id for r in run.results)
    assert 1 == len(analyses)                                        # between the groups, none at the end
    began, ended, states, stored = analyses[0]
    assert {"days-1": "done", "days-2": "done", "days-3": "planned", "days-4": "planned"} == states
    assert 2 == stored                                               # group 1's results, in the store
    invites = {m.call_id: m.t for m in sipp.messages() if m.method == "INVITE" and not m.sent}
    byes = {m.call_id: m.t for m in sipp.messages() if m.method == "BYE" and m.sent}
    assert max(byes["days-1"], byes["days-2"]) < began               # after group 1's calls ended
    assert ended < min(invites["days-3"], invites["days-4"])         # before group 2's first INVITE
    assert "finished" == repo.find_campaign(engine, "days")["status"]
    engine.dispose()
