"""A campaign runner killed with SIGKILL mid-campaign, then `mystery campaign resume`: every planned call
is dialled exactly once (SIPp, the independent far end, counts the INVITEs), the calls that were on
the line when the runner died are adopted from what their dialers left, no recording is lost; on a
SQLite file and on the PostgreSQL server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import wave
from collections import Counter
from pathlib import Path

import pytest

from mystery.store import planned, repo
from mystery_core.store.engine import open_store
from tests.dial.conftest import dialer_env

pytestmark = [pytest.mark.sip, pytest.mark.slow]

CALLS = 6


def _journal(tmp_path: Path, call_key: str) -> str:
    """The text of a call's journal (the dialer writes `placing` in it just before its INVITE), or ""."""
    path = tmp_path / "recordings" / "resume-me" / f".{call_key}.journal.jsonl"
    try:
        return path.read_text()
    except OSError:
        return ""


@pytest.mark.parametrize("calls_per_process", ["1", "2"])
def test_a_runner_killed_mid_campaign_resumes_without_dialling_any_call_twice(sipp_uas, tmp_path: Path,
                                                                               database_url: str,
                                                                               calls_per_process: str) -> None:
    """With 2 calls per dialer process too: a process that outlives the runner is found by either call id."""
    sipp = sipp_uas("uas_answer.xml", calls=CALLS, timeout_s=300, RING_MS=200, ANSWER_MS=300)
    scenario = tmp_path / "hotel.yaml"
    scenario.write_text(f"""\
name: resume-me
client: Test Hotel
concurrency: 2
lines:
  desk: "{sipp.uri}"
calls:
  - line: desk
    count: {CALLS}
    steps:
      - {{action: hangup, on: answered, offset_s: 3}}
""")
    env = {**dialer_env(tmp_path), "MYSTERY_DATABASE_URL": database_url,
           "MYSTERY_SIP_CALLS_PER_PROCESS": calls_per_process}
    command = [sys.executable, "-m", "mystery", "campaign"]
    runner = subprocess.Popen([*command, "run", str(scenario), "--no-analysis"], cwd=tmp_path, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    engine = open_store(database_url)
    deadline = time.time() + 90
    campaign_id = None
    while time.time() < deadline:   # wait for a call done and calls on the line: then kill the runner alone
        assert runner.poll() is None, runner.stderr.read() if runner.stderr else ""
        try:
            campaign_id = repo.find_campaign(engine, "resume-me")["id"]
            tally = planned.counts(engine, campaign_id)
        except Exception:  # noqa: BLE001 - the runner is still creating the store
            time.sleep(0.1)
            continue
        placed = [r["call_key"] for r in planned.planned(engine, campaign_id) if r["state"] == "dialling"
                  and "placing" in _journal(tmp_path, r["call_key"])]
        if tally["done"] >= 1 and placed:    # a call done, and one on the line (its INVITE sent)
            break
        time.sleep(0.1)
    os.kill(runner.pid, signal.SIGKILL)
    runner.wait()
    assert campaign_id is not None
    dialling = [r["call_key"] for r in planned.planned(engine, campaign_id) if r["state"] == "dialling"]
    assert set(placed) <= set(dialling)

    done = subprocess.run([*command, "resume", "resume-me", "--no-analysis"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=240)
    assert 0 == done.returncode, done.stderr[-2000:]
    assert 0 == sipp.wait(timeout=60)
    rows = planned.planned(engine, campaign_id)
    assert {"done": CALLS} == dict(Counter(r["state"] for r in rows))
    def said(row: dict, words: str) -> bool:
        return any(words in h.get("detail", "") for h in row["history"])

    by_key = {r["call_key"]: r for r in rows}
    for key in dialling:   # each call left on the line: its dialer's result adopted, or never placed and dialled now
        assert said(by_key[key], "adopted") != said(by_key[key], "never placed"), by_key[key]["history"]
    for key in placed:     # a call whose INVITE was out: its dialer outlived the runner and its result was kept
        assert said(by_key[key], "adopted") and by_key[key]["attempts"] == 1, by_key[key]["history"]
    assert all(r["attempts"] == 1 for r in rows if r["call_key"] not in dialling)
    invites = Counter(m.call_id for m in sipp.messages() if m.method == "INVITE" and not m.sent)
    assert {r["call_key"]: 1 for r in rows} == dict(invites)   # one INVITE per planned call, none twice
    calls = repo.load_calls(engine, campaign_id)
    assert sorted(r["call_key"] for r in rows) == sorted(c.call_id for c in calls)
    for call in calls:
        assert call.outcome == "answered", (call.call_id, call.outcome, call.sip_reason)
        with wave.open(str(call.recording)) as w:
            seconds = w.getnframes() / w.getframerate()
        assert abs(seconds - (call.duration_s - call.recording_offset_s)) < 0.5, call.call_id
    assert "finished" == repo.find_campaign(engine, "resume-me")["status"]
    leftovers = sorted(p.name for p in (tmp_path / "recordings").rglob(".*"))
    assert [] == leftovers                         # no journal, result file or recorder temporary left
    engine.dispose()
