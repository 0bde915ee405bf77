"""Several calls in one dialer process (`sip.calls_per_process`), against SIPp over 127.0.0.1: each call
is stored with its own recording and its own SIP messages; a process killed with SIGKILL mid-call leaves
every one of its calls `crashed_after_invite` with the audio it had, and none is dialled again."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
import wave
from array import array
from collections import Counter
from pathlib import Path

import pytest

from mystery.dial import CallPlan, Step
from mystery.dial.runner import DialerCrashed, Packer, run_calls_together
from mystery.records import CallResult
from mystery.store import planned, repo
from mystery_core.store.engine import open_store
from tests.dial.conftest import dialer_env

pytestmark = [pytest.mark.sip, pytest.mark.slow]


def _channels(path: str) -> tuple[array, array, float]:
    """(caller samples, callee samples, seconds) of a two-channel recording."""
    with wave.open(path) as w:
        assert (2, 2) == (w.getnchannels(), w.getsampwidth())
        samples = array("h")
        samples.frombytes(w.readframes(w.getnframes()))
        return samples[0::2], samples[1::2], w.getnframes() / w.getframerate()


def _loud(samples: array) -> int:
    return sum(1 for s in samples if abs(s) > 1000)


def test_three_calls_in_one_process_are_each_stored_with_their_own_recording(sipp_uas, tmp_path: Path) -> None:
    sipp = sipp_uas("uas_answer.xml", calls=3, RING_MS=100, ANSWER_MS=200)
    steps = (Step("say", "Hello, I would like to book a room.", on="answered", offset_s=0.5),
             Step("hangup", on="answered", offset_s=3.5))
    plans = [CallPlan(uri=sipp.uri, steps=steps, recordings_dir=str(tmp_path / "recordings"), call_id=f"pack-{n}",
                      max_seconds=30) for n in range(3)]
    pids: list[int] = []
    outcomes = asyncio.run(run_calls_together(plans, pids.append))
    assert 1 == len(pids)                                   # one dialer process for the three calls
    assert 0 == sipp.wait(timeout=30)
    results = [o for o in outcomes if isinstance(o, CallResult)]
    assert [p.call_id for p in plans] == [r.call_id for r in results]
    assert 3 == len({r.recording for r in results})
    for result in results:
        assert "answered" == result.outcome, (result.call_id, result.sip_reason)
        assert "plan" == result.extra["end_reason"]
        caller, callee, seconds = _channels(str(result.recording))
        assert result.duration_s is not None
        assert abs(seconds - (result.duration_s - result.recording_offset_s)) < 0.3, result.call_id
        assert _loud(caller) > 8000 * 0.5                   # our line, on the left
        assert _loud(callee) > 8000 * 0.5                   # SIPp's speech, on the right
        sent = [m for m in result.extra["sip_messages"] if m["direction"] == "sent" and m["message"] == "INVITE"]
        assert 1 == len(sent), result.extra["sip_messages"]   # its own messages only, from the shared log
    invites = Counter(m.call_id for m in sipp.messages() if m.method == "INVITE" and not m.sent)
    assert {p.call_id: 1 for p in plans} == dict(invites)
    assert [] == sorted(p.name for p in (tmp_path / "recordings").glob(".*"))   # no journal or temporary left


def test_the_packer_puts_calls_that_start_together_into_one_process(sipp_uas, tmp_path: Path) -> None:
    sipp = sipp_uas("uas_answer.xml", calls=3, RING_MS=100, ANSWER_MS=100)
    steps = (Step("hangup", on="answered", offset_s=1.0),)
    plans = [CallPlan(uri=sipp.uri, steps=steps, recordings_dir=str(tmp_path / "recordings"), call_id=f"packer-{n}",
                      max_seconds=30) for n in range(3)]
    pids: dict[str, int] = {}

    async def dial_all() -> list[CallResult]:
        packer = Packer(2)
        return list(await asyncio.gather(*(packer.dial(p, lambda pid, p=p: pids.__setitem__(p.call_id, pid))
                                            for p in plans)))

    results = asyncio.run(dial_all())
    assert ["answered"] * 3 == [r.outcome for r in results]
    assert [2, 1] == sorted(Counter(pids.values()).values(), reverse=True)   # 2 in one process, 1 in another
    assert 0 == sipp.wait(timeout=30)


def _dialer_pid(journal: Path) -> int:
    """The dialer process a call's journal names (its first line: the call's start)."""
    return int(json.loads(journal.read_text().splitlines()[0])["start"]["pid"])


def test_a_dialer_process_killed_mid_call_leaves_each_of_its_calls_crashed_after_invite(sipp_uas,
                                                                                       tmp_path: Path) -> None:
    calls = 3
    sipp = sipp_uas("uas_answer.xml", calls=calls, timeout_s=120, RING_MS=100, ANSWER_MS=200)
    scenario = tmp_path / "hotel.yaml"
    scenario.write_text(f"""\
name: killed-dialer
client: Test Hotel
concurrency: {calls}
lines:
  desk: "{sipp.uri}"
calls:
  - line: desk
    count: {calls}
    steps:
      - {{action: say, value: "Good morning, do you have a room for tonight?", on: answered, offset_s: 0.3}}
      - {{action: hangup, on: answered, offset_s: 20}}
""")
    env = {**dialer_env(tmp_path), "MYSTERY_SIP_CALLS_PER_PROCESS": str(calls)}
    runner = subprocess.Popen([sys.executable, "-m", "mystery", "campaign", "run", str(scenario), "--no-analysis"],
                              cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    killed: list[int] = []

    def kill_when_all_answered() -> None:   # SIGKILL the dialer once every call is answered and talking
        deadline = time.time() + 60
        while time.time() < deadline and runner.poll() is None:
            journals = sorted((tmp_path / "recordings").rglob(".*.journal.jsonl"))
            if len(journals) == calls and all('"200"' in j.read_text() for j in journals):
                time.sleep(3.0)
                pids = {_dialer_pid(j) for j in journals}
                for pid in pids:
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                return
            time.sleep(0.1)

    watcher = threading.Thread(target=kill_when_all_answered)
    watcher.start()
    out, err = runner.communicate(timeout=120)
    watcher.join()
    assert 1 == len(killed), (killed, err[-2000:])       # the three calls were in one process
    engine = open_store(env["MYSTERY_DATABASE_URL"])
    campaign_id = repo.find_campaign(engine, "killed-dialer")["id"]
    rows = planned.planned(engine, campaign_id)
    assert {"crashed_after_invite": calls} == dict(Counter(r["state"] for r in rows)), [r["history"] for r in rows]
    assert all(r["attempts"] == 1 for r in rows)        # none dialled again
    stored = repo.load_calls(engine, campaign_id)
    assert sorted(r["call_key"] for r in rows) == sorted(c.call_id for c in stored)
    for call in stored:
        assert "unknown" == call.outcome
        assert call.extra["recording_partial"] is True
        caller, callee, seconds = _channels(str(call.recording))
        assert seconds > 1.5, call.call_id                   # the audio up to the kill is kept
        assert _loud(caller) > 800 and _loud(callee) > 800   # both sides of the talk, as far as written
        assert any(e.kind == "200" for e in call.events)
    sipp.process.kill()
    sipp.process.wait()
    invites = Counter(m.call_id for m in sipp.messages() if m.method == "INVITE" and not m.sent)
    assert {r["call_key"]: 1 for r in rows} == dict(invites)   # one INVITE per planned call
    assert [] == sorted(p.name for p in (tmp_path / "recordings").rglob(".*"))   # no journal or temporary left
    engine.dispose()


def test_a_process_that_dies_before_its_invites_leaves_calls_to_dial_again(tmp_path: Path) -> None:
    """Bad input in a shared process: every call gets the error, none is reported as placed."""
    plans = [CallPlan(uri="sip:nobody@127.0.0.1:9", recordings_dir=str(tmp_path), call_id=f"bad-{n}",
                      steps=(Step("say", str(tmp_path / "missing.wav"), on="answered"),)) for n in range(2)]
    outcomes = asyncio.run(run_calls_together(plans))
    assert 2 == len(outcomes)
    assert all(not isinstance(o, CallResult | DialerCrashed) for o in outcomes), outcomes
    assert all("missing.wav" in str(o) for o in outcomes)


def test_warm_dialers_place_their_calls_and_the_idle_ones_end_with_the_packer(sipp_uas, tmp_path: Path) -> None:
    sipp = sipp_uas("uas_answer.xml", calls=2, RING_MS=100, ANSWER_MS=100)
    steps = (Step("hangup", on="answered", offset_s=1.0),)
    plans = [CallPlan(uri=sipp.uri, steps=steps, recordings_dir=str(tmp_path / "recordings"), call_id=f"warm-{n}",
                      max_seconds=30) for n in range(2)]
    pids: list[int] = []

    async def dial_all() -> tuple[list[CallResult], list[int]]:
        packer = Packer(2, spare=1)
        await packer.warm_up()
        warm = [(await task).pid for task in packer.pool]
        results = await asyncio.gather(*(packer.dial(p, pids.append) for p in plans))
        idle = [(await task) for task in packer.pool]    # the spare started for the next calls
        await packer.close()
        assert all(proc.returncode == 0 for proc in idle)   # no call came: it ended without one
        return list(results), warm

    results, warm = asyncio.run(dial_all())
    assert ["answered", "answered"] == [r.outcome for r in results]
    assert warm == sorted(set(pids))          # both calls went to the process started before them
    assert 0 == sipp.wait(timeout=30)
