"""Two dialer hosts share one campaign on the PostgreSQL server (MYSTERY_HOST_ID tells them apart on this
machine) through procrastinate's job queue: each planned call is one job, run by one worker; each hotel's
calls-at-once cap of 1 holds across both (its jobs share a procrastinate lock); a host killed with SIGKILL
mid-call and restarted settles the call it left on the line without dialling it again, and the job its dead
worker left `doing` goes back to the queue and finds the call settled. Host A starts with `campaign run`
(stores the campaign, then works its queue) or, the campaign stored beforehand, with `campaign worker`
like host B. SIPp, the far end of both hotels, counts the INVITEs. On SQLite a second runner is refused.
Each PostgreSQL test has a schema of its own (tests/conftest.py: postgres_url)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from mystery.pipeline.campaign import store_scenario
from mystery.pipeline.queue import queue_of
from mystery.scenario.load import load_scenario
from mystery.scenario.plan import Account
from mystery.store import planned, repo
from mystery_core.store.engine import open_store
from tests.dial.conftest import dialer_env

pytestmark = [pytest.mark.sip, pytest.mark.slow]

PER_HOTEL = 3


def scenario_text(uri_host: str, name: str) -> str:
    return f"""\
name: {name}
client: Test Chain
concurrency: 1
sites:
  opera: {{timezone: UTC, concurrency: 1}}
  louvre: {{timezone: UTC, concurrency: 1}}
lines:
  opera: {{uri: "sip:opera@{uri_host}", site: opera}}
  louvre: {{uri: "sip:louvre@{uri_host}", site: louvre}}
calls:
  - line: opera
    count: {PER_HOTEL}
    steps: [{{action: hangup, on: answered, offset_s: 2}}]
  - line: louvre
    count: {PER_HOTEL}
    steps: [{{action: hangup, on: answered, offset_s: 2}}]
"""


def assert_one_invite_each_one_call_at_a_time(sipp, rows: list[dict]) -> None:  # type: ignore[no-untyped-def]
    """SIPp's log: exactly one INVITE per planned call, and never two calls at once to one hotel."""
    messages = sipp.messages()
    invites = [m for m in messages if m.method == "INVITE" and not m.sent]
    assert {r["call_key"]: 1 for r in rows} == dict(Counter(m.call_id for m in invites))   # never twice
    byes = {m.call_id: m.t for m in messages if m.method == "BYE" and not m.sent}
    spans: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for m in invites:
        spans[m.first_line.split("sip:", 1)[1].split("@", 1)[0]].append((m.t, byes[m.call_id]))
    for hotel, calls in spans.items():             # one call at a time to each hotel, whichever host dialled
        calls.sort()
        assert all(end <= start for (_, end), (start, _) in zip(calls, calls[1:], strict=False)), (hotel, calls)


def jobs(engine: Engine, campaign_id: int) -> list[dict]:  # type: ignore[type-arg]
    """The campaign's procrastinate jobs, each with its events in order."""
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(text(
            "SELECT j.id, j.queueing_lock, j.lock, j.status::text AS status, "
            "array(SELECT e.type::text FROM procrastinate_events e WHERE e.job_id = j.id ORDER BY e.id) AS events "
            "FROM procrastinate_jobs j WHERE j.queue_name = :q"), {"q": queue_of(campaign_id)}).mappings()]


@pytest.mark.postgres
@pytest.mark.parametrize("first", ["run", "worker"])
def test_two_hosts_share_a_campaign_and_a_killed_host_resumes_its_call(sipp_uas, tmp_path: Path, postgres_url: str,
                                                                       first: str) -> None:
    sipp = sipp_uas("uas_answer.xml", calls=2 * PER_HOTEL, timeout_s=300, RING_MS=200, ANSWER_MS=300)
    scenario = tmp_path / "chain.yaml"
    scenario.write_text(scenario_text(f"127.0.0.1:{sipp.port}", "chain"))
    mystery = [sys.executable, "-m", "mystery", "campaign"]

    def env(host: str) -> dict[str, str]:
        return {**dialer_env(tmp_path), "MYSTERY_DATABASE_URL": postgres_url, "MYSTERY_HOST_ID": host}

    def start(host: str, *args: str) -> subprocess.Popen:
        return subprocess.Popen([*mystery, *args], cwd=tmp_path, env=env(host), stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)

    engine = open_store(postgres_url)
    if first == "worker":   # stored = queued: one job per planned call, each hotel its procrastinate lock
        campaign = store_scenario(engine, load_scenario(str(scenario)), "chain", 1, tmp_path / "recordings", Account())
        queued = jobs(engine, campaign)
        assert {r["call_key"] for r in planned.planned(engine, campaign)} == {j["queueing_lock"] for j in queued}
        assert 2 * PER_HOTEL == len(queued) and {"todo"} == {j["status"] for j in queued}
        assert {f"mystery-site:{campaign}:opera", f"mystery-site:{campaign}:louvre"} == {j["lock"] for j in queued}
        host_a = start("host-a", "worker", "chain")
    else:
        host_a = start("host-a", "run", str(scenario), "--no-analysis")
    deadline, campaign_id = time.time() + 60, None
    while campaign_id is None and time.time() < deadline:
        try:
            campaign_id = repo.find_campaign(engine, "chain")["id"]
        except Exception:  # noqa: BLE001 - host A is still creating the campaign
            time.sleep(0.1)
    assert campaign_id is not None, host_a.stderr.read() if host_a.poll() is not None and host_a.stderr else ""
    host_b = start("host-b", "worker", "chain")

    def journal(key: str) -> str:
        path = tmp_path / "recordings" / "chain" / f".{key}.journal.jsonl"
        return path.read_text() if path.exists() else ""

    placed: list[str] = []
    while not placed and time.time() < deadline:   # host A on the line, its INVITE out: kill it alone
        assert host_a.poll() is None, host_a.stderr.read() if host_a.stderr else ""
        placed = [r["call_key"] for r in planned.planned(engine, campaign_id)
                  if r["state"] == "dialling" and r["host"] == "host-a" and "placing" in journal(r["call_key"])]
        time.sleep(0.05)
    assert placed
    os.kill(host_a.pid, signal.SIGKILL)
    host_a.wait()
    time.sleep(3)                                  # host B goes on alone meanwhile
    restarted = subprocess.run([*mystery, "worker", "chain"], cwd=tmp_path, env=env("host-a"), capture_output=True,
                               text=True, timeout=240)
    assert 0 == restarted.returncode, restarted.stderr[-2000:]
    assert 0 == host_b.wait(timeout=240), host_b.stderr.read() if host_b.stderr else ""
    assert 0 == sipp.wait(timeout=60)

    rows = planned.planned(engine, campaign_id)
    assert {"done": 2 * PER_HOTEL} == dict(Counter(r["state"] for r in rows))
    hosts = {h["detail"] for r in rows for h in r["history"] if h["state"] == "dialling"}
    assert {"on host-a", "on host-b"} <= hosts
    (left,) = placed
    by_key = {r["call_key"]: r for r in rows}
    assert any("adopted" in h.get("detail", "") for h in by_key[left]["history"]) and by_key[left]["attempts"] == 1
    ran = {j["queueing_lock"]: j for j in jobs(engine, campaign_id)}
    assert {r["call_key"]: "succeeded" for r in rows} == {k: j["status"] for k, j in ran.items()}
    assert "deferred_for_retry" in ran[left]["events"], ran[left]   # its dead worker's job went back to the queue
    assert_one_invite_each_one_call_at_a_time(sipp, rows)
    assert "finished" == repo.find_campaign(engine, "chain")["status"]
    engine.dispose()


def test_a_second_runner_on_one_sqlite_store_is_refused(sipp_uas, tmp_path: Path) -> None:
    sipp = sipp_uas("uas_answer.xml", calls=2 * PER_HOTEL, timeout_s=120, RING_MS=200, ANSWER_MS=300)
    scenario = tmp_path / "chain.yaml"
    scenario.write_text(scenario_text(f"127.0.0.1:{sipp.port}", "solo"))
    env = {**dialer_env(tmp_path), "MYSTERY_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}"}
    first = subprocess.Popen([sys.executable, "-m", "mystery", "campaign", "run", str(scenario), "--no-analysis"],
                             cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    engine = open_store(env["MYSTERY_DATABASE_URL"])
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if planned.counts(engine, repo.find_campaign(engine, "solo")["id"])["dialling"]:
                break
        except Exception:  # noqa: BLE001 - the first runner is still creating the store
            pass
        time.sleep(0.1)
    second = subprocess.run([sys.executable, "-m", "mystery", "campaign", "worker", "solo"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert 2 == second.returncode
    assert second.stderr.startswith("error: database_url: another campaign runner is using the SQLite store")
    assert 0 == first.wait(timeout=120), first.stderr.read() if first.stderr else ""
    assert 0 == sipp.wait(timeout=60)
    engine.dispose()


@pytest.mark.postgres
def test_sigint_to_a_worker_lets_its_call_end_and_leaves_the_rest_queued(sipp_uas, tmp_path: Path,
                                                                        postgres_url: str) -> None:
    """What the systemd unit's KillSignal=SIGINT relies on: procrastinate stops taking jobs, the call on the
    line ends with its result, the campaign is `interrupted`, and the next worker dials the rest, each once."""
    sipp = sipp_uas("uas_answer.xml", calls=2 * PER_HOTEL, timeout_s=300, RING_MS=200, ANSWER_MS=300)
    scenario = tmp_path / "chain.yaml"
    scenario.write_text(scenario_text(f"127.0.0.1:{sipp.port}", "chain"))
    engine = open_store(postgres_url)
    campaign_id = store_scenario(engine, load_scenario(str(scenario)), "chain", 1, tmp_path / "recordings", Account())
    env = {**dialer_env(tmp_path), "MYSTERY_DATABASE_URL": postgres_url, "MYSTERY_HOST_ID": "host-a"}
    worker = [sys.executable, "-m", "mystery", "campaign", "worker", "chain"]
    first = subprocess.Popen(worker, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True)
    deadline = time.time() + 90
    while time.time() < deadline and not planned.counts(engine, campaign_id)["dialling"]:
        assert first.poll() is None, first.stderr.read() if first.stderr else ""
        time.sleep(0.05)
    (on_the_line,) = [r["call_key"] for r in planned.planned(engine, campaign_id) if r["state"] == "dialling"]
    first.send_signal(signal.SIGINT)
    assert 0 == first.wait(timeout=120), first.stderr.read() if first.stderr else ""
    rows = {r["call_key"]: r for r in planned.planned(engine, campaign_id)}
    assert "done" == rows[on_the_line]["state"]           # ended with its result, not cut off
    assert "planned" in {r["state"] for r in rows.values()} and "interrupted" == repo.find_campaign(
        engine, "chain")["status"]
    rest = subprocess.run(worker, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
    assert 0 == rest.returncode, rest.stderr[-2000:]
    assert 0 == sipp.wait(timeout=60)
    rows_now = planned.planned(engine, campaign_id)
    assert {"done": 2 * PER_HOTEL} == dict(Counter(r["state"] for r in rows_now))
    assert_one_invite_each_one_call_at_a_time(sipp, rows_now)
    engine.dispose()
