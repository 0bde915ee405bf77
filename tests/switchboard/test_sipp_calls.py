"""SIPp (an independent UAC) calls the switchboard through kamailio; SIPp's own trace is the reference.

Every test reads the switchboard's ground truth only to compare it with what SIPp saw.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

import pytest

from switchboard import RunningSwitchboard
from tests.switchboard.sipp import SippRun, answered_call, cancelled_call, refused_call, run_sipp

pytestmark = [pytest.mark.sip, pytest.mark.xdist_group("switchboard")]


def truth_for(sb: RunningSwitchboard, call_ids: set[str], timeout_s: float = 10) -> dict[str, dict[str, Any]]:
    """Ground-truth records of these calls (a record lands right after its call ends)."""
    deadline = time.time() + timeout_s
    while True:
        found = {r["call_id"]: r for r in sb.records() if r["call_id"] in call_ids}
        if len(found) == len(call_ids) or time.time() > deadline:
            return found
        time.sleep(0.1)


def first(messages: list, *, sent: bool, status: int | None = None, method: str | None = None) -> float:
    for m in messages:
        if m.sent == sent and (status is None or m.status == status) and (method is None or m.method == method):
            return m.at
    raise AssertionError(f"no {'sent' if sent else 'received'} {status or method} in {[m.first_line for m in messages]}")


def phases(record: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [p for p in record["phases"] if p["name"] == name]


def call(sb: RunningSwitchboard, tmp_path: Path, ports: tuple[int, int], line: str, xml: str, **kw: Any) -> SippRun:
    return run_sipp(tmp_path, f"127.0.0.1:{sb.port}", line, xml, local_port=ports[0], media_port=ports[1], **kw)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


@pytest.mark.timing
def test_ring_delay_matches_sipp_timestamps_over_24_calls_with_more_than_4_at_once(
    switchboard: RunningSwitchboard, tmp_path: Path, sipp_ports: tuple[int, int]
) -> None:
    """PDD and ring time seen by SIPp agree with the switchboard's truth within 20 ms (p95),
    while 12 calls overlap across 3 worker processes behind kamailio."""
    run = call(switchboard, tmp_path, sipp_ports, "timed", answered_call(1000), calls=24, limit=12, rate=40)
    assert 0 == run.returncode, run.stderr[-2000:]
    by_call = run.by_call()
    truth = truth_for(switchboard, set(by_call))
    assert 24 == len(truth)
    ring_errors, pdd_errors = [], []
    for call_id, msgs in by_call.items():
        rec = truth[call_id]
        invite = first(msgs, sent=True, method="INVITE")
        ringing = first(msgs, sent=False, status=180)
        ok = first(msgs, sent=False, status=200)
        ring_errors.append(abs((ok - ringing) - (rec["answered_at"] - rec["first_provisional_at"])))
        # the caller's post-dial delay starts when the proxy got the INVITE, before any failover
        pdd_errors.append(abs((ringing - invite) - (rec["first_provisional_at"] - rec["proxy_invite_at"])))
        # the switchboard keeps to its plan; a loaded machine may only make it late, never early
        late = (rec["answered_at"] - rec["first_provisional_at"]) - rec["planned"]["ring_s"]
        assert -0.002 < late < 0.1
    numbers = {
        "calls": len(ring_errors),
        "ring_error_ms": {"p50": 1000 * statistics.median(ring_errors), "p95": 1000 * percentile(ring_errors, 0.95),
                          "max": 1000 * max(ring_errors)},
        "pdd_error_ms": {"p50": 1000 * statistics.median(pdd_errors), "p95": 1000 * percentile(pdd_errors, 0.95),
                         "max": 1000 * max(pdd_errors)},
    }
    # concurrency from the truth: the most calls up at the same moment, and how many workers took them
    edges = sorted([(r["invite_at"], 1) for r in truth.values()] + [(r["ended_at"], -1) for r in truth.values()])
    level = peak = 0
    for _at, step in edges:
        level += step
        peak = max(peak, level)
    numbers["max_concurrent_calls"] = peak
    numbers["workers_used"] = len({r["worker"] for r in truth.values()})
    print(json.dumps(numbers))
    assert numbers["ring_error_ms"]["p95"] < 20
    assert numbers["pdd_error_ms"]["p95"] < 20
    assert peak > 4
    assert 3 == numbers["workers_used"]


def test_busy_line_answers_486_without_the_internal_marker(
    switchboard: RunningSwitchboard, tmp_path: Path, sipp_ports: tuple[int, int]
) -> None:
    run = call(switchboard, tmp_path, sipp_ports, "busy", refused_call(486))
    assert 0 == run.returncode, run.stderr[-2000:]
    (call_id,) = run.by_call()
    rec = truth_for(switchboard, {call_id})[call_id]
    assert ("busy", 486, "switchboard") == (rec["outcome"], rec["final_status"], rec["hangup_by"])
    final = [m for m in run.messages if m.status == 486]
    assert "SIP/2.0 486 Busy Here" == final[0].first_line
    trace = (tmp_path / f"messages-busy-{sipp_ports[0]}.log").read_text()
    assert "X-Mystery-Simulated" not in trace


def test_busy_after_ringing_rings_first(switchboard: RunningSwitchboard, tmp_path: Path, sipp_ports: tuple[int, int]) -> None:
    run = call(switchboard, tmp_path, sipp_ports, "ringbusy", refused_call(486))
    assert 0 == run.returncode, run.stderr[-2000:]
    (call_id, msgs), = run.by_call().items()
    rec = truth_for(switchboard, {call_id})[call_id]
    sipp_ring = first(msgs, sent=False, status=486) - first(msgs, sent=False, status=180)
    (ring,) = phases(rec, "ring")
    assert ring["end"] - ring["start"] == pytest.approx(sipp_ring, abs=0.05)
    assert 0.5 <= ring["end"] - ring["start"] < 0.6
    assert ("busy", 486) == (rec["outcome"], rec["final_status"])


def test_declined_line_answers_603(switchboard: RunningSwitchboard, tmp_path: Path, sipp_ports: tuple[int, int]) -> None:
    run = call(switchboard, tmp_path, sipp_ports, "declined", refused_call(603))
    assert 0 == run.returncode, run.stderr[-2000:]
    (call_id,) = run.by_call()
    assert "rejected" == truth_for(switchboard, {call_id})[call_id]["outcome"]


def test_no_answer_rings_until_the_caller_cancels(
    switchboard: RunningSwitchboard, tmp_path: Path, sipp_ports: tuple[int, int]
) -> None:
    run = call(switchboard, tmp_path, sipp_ports, "noanswer", cancelled_call(2000))
    assert 0 == run.returncode, run.stderr[-2000:]
    (call_id, msgs), = run.by_call().items()
    rec = truth_for(switchboard, {call_id})[call_id]
    assert (None, "caller", "ringing") == (rec["answered_at"], rec["hangup_by"], rec["outcome"])
    (ring,) = phases(rec, "ring")
    sipp_ring = first(msgs, sent=True, method="CANCEL") - first(msgs, sent=False, status=180)
    assert ring["end"] - ring["start"] == pytest.approx(sipp_ring, abs=0.05)  # one sample: the p95 bound is checked over 24 calls above


def test_closed_line_plays_its_message_and_hangs_up(
    switchboard: RunningSwitchboard, tmp_path: Path, sipp_ports: tuple[int, int]
) -> None:
    run = call(switchboard, tmp_path, sipp_ports, "closed", answered_call(10000))
    assert 0 == run.returncode, run.stderr[-2000:]
    (call_id, msgs), = run.by_call().items()
    rec = truth_for(switchboard, {call_id})[call_id]
    assert ("closed_message", "switchboard") == (rec["outcome"], rec["hangup_by"])
    (message,) = phases(rec, "closed_message")
    bye = first(msgs, sent=False, method="BYE")
    answered = first(msgs, sent=False, status=200)
    assert 0.5 < message["end"] - message["start"] < 3
    assert bye - answered == pytest.approx(rec["ended_at"] - rec["answered_at"], abs=0.05)


def test_ivr_receives_rfc2833_digit_and_follows_the_choice(
    switchboard: RunningSwitchboard, tmp_path: Path, sipp_ports: tuple[int, int]
) -> None:
    run = call(switchboard, tmp_path, sipp_ports, "ivr", answered_call(4000, dtmf=[("1", 1000)]))
    assert 0 == run.returncode, run.stderr[-2000:]
    (call_id, msgs), = run.by_call().items()
    rec = truth_for(switchboard, {call_id})[call_id]
    ack = first(msgs, sent=True, method="ACK")
    assert ["1"] == [d["digit"] for d in rec["dtmf"]]
    assert rec["dtmf"][0]["at"] - ack == pytest.approx(1.0, abs=0.25)
    (menu,) = phases(rec, "menu")
    assert "1" == menu["detail"]["digit"]
    prompt = phases(rec, "ivr_prompt")[0]
    assert "1" == prompt["detail"]["interrupted_by"]  # barge-in: the digit cut the prompt short
    assert ("ivr_dead_end", "caller") == (rec["outcome"], rec["hangup_by"])


@pytest.mark.parametrize(("line", "kind", "ring_s"), [("early", "ringback", 1.0), ("early_announce", "announcement", 1.5)])
def test_early_media_sends_183_then_answers(
    switchboard: RunningSwitchboard, tmp_path: Path, sipp_ports: tuple[int, int], line: str, kind: str, ring_s: float
) -> None:
    run = call(switchboard, tmp_path, sipp_ports, line, answered_call(500))
    assert 0 == run.returncode, run.stderr[-2000:]
    (call_id, msgs), = run.by_call().items()
    rec = truth_for(switchboard, {call_id})[call_id]
    assert [183] == [p["status"] for p in rec["provisional"]]
    (early,) = phases(rec, "early_media")
    assert kind == early["detail"]["kind"]
    sipp_early = first(msgs, sent=False, status=200) - first(msgs, sent=False, status=183)
    assert early["end"] - early["start"] == pytest.approx(sipp_early, abs=0.05)
    assert sipp_early == pytest.approx(ring_s, abs=0.05)
    if kind == "announcement":
        (announcement,) = phases(rec, "announcement")
        assert early["start"] <= announcement["start"] < announcement["end"] <= early["end"]


def test_line_outside_opening_hours_plays_the_closed_message(
    switchboard: RunningSwitchboard, tmp_path: Path, sipp_ports: tuple[int, int]
) -> None:
    run = call(switchboard, tmp_path, sipp_ports, "nighttime", answered_call(10000))
    assert 0 == run.returncode, run.stderr[-2000:]
    (call_id,) = run.by_call()
    rec = truth_for(switchboard, {call_id})[call_id]
    assert ("closed_message", None) == (rec["outcome"], rec["agent"])
    assert ["outside opening hours"] == [n["text"] for n in rec["notes"] if "hours" in n["text"]]


def test_agent_replies_after_the_caller_stops_talking(
    switchboard: RunningSwitchboard, tmp_path: Path, sipp_ports: tuple[int, int]
) -> None:
    """SIPp plays 7 s of speech from 0.5 s after the answer; the agent's reply comes after it ends."""
    run = call(switchboard, tmp_path, sipp_ports, "agent", answered_call(20000, speech_at_ms=500))
    assert 0 == run.returncode, run.stderr[-2000:]
    (call_id, msgs), = run.by_call().items()
    rec = truth_for(switchboard, {call_id})[call_id]
    ack = first(msgs, sent=True, method="ACK")
    caller = phases(rec, "caller_speech")
    assert caller, "no caller speech detected"
    assert caller[0]["start"] - ack == pytest.approx(0.5, abs=1.5)
    speech_end = max(p["end"] for p in caller)
    assert speech_end - ack == pytest.approx(0.5 + 7.05, abs=0.6)
    turns = phases(rec, "agent_speech")
    kinds = [t["detail"]["kind"] for t in turns]
    assert "greeting" == kinds[0]
    reply = next(t for t in turns if t["detail"]["kind"] == "reply")
    assert reply["start"] > speech_end
    assert reply["start"] - speech_end < 2.0
    assert ("human", "switchboard") == (rec["outcome"], rec["hangup_by"])


def test_agent_name_wording_and_voice_differ_between_two_calls(
    switchboard: RunningSwitchboard, tmp_path: Path, sipp_ports: tuple[int, int]
) -> None:
    run = call(switchboard, tmp_path, sipp_ports, "agent", answered_call(12000), calls=2, rate=10)
    assert 0 == run.returncode, run.stderr[-2000:]
    recs = list(truth_for(switchboard, set(run.by_call())).values())
    assert 2 == len(recs)
    a, b = (r["agent"] for r in recs)
    assert a["name"] != b["name"]
    assert (a["voice"], a["speed_wpm"], a["pitch"]) != (b["voice"], b["speed_wpm"], b["pitch"])
    greetings = [phases(r, "agent_speech")[0]["detail"] for r in recs]
    assert greetings[0]["text"] != greetings[1]["text"]
    assert greetings[0]["file"] != greetings[1]["file"]  # a different rendering, not the same recording


def test_queue_with_one_agent_makes_the_second_caller_really_wait(
    switchboard: RunningSwitchboard, tmp_path: Path, sipp_ports: tuple[int, int]
) -> None:
    run = call(switchboard, tmp_path, sipp_ports, "queue1", answered_call(25000), calls=2, rate=4)
    assert 0 == run.returncode, run.stderr[-2000:]
    recs = sorted(truth_for(switchboard, set(run.by_call())).values(), key=lambda r: r["invite_at"])
    assert 2 == len(recs)
    first_call, second_call = recs
    (q1,), (q2,) = phases(first_call, "queue"), phases(second_call, "queue")
    (agent1,), (agent2,) = phases(first_call, "agent"), phases(second_call, "agent")
    assert q1["detail"]["waited_s"] < 0.3
    # the second caller is served only once the single agent is free again, on whichever worker
    assert agent2["start"] >= agent1["end"]
    assert q2["detail"]["waited_s"] > 2.0
    assert phases(second_call, "hold_music") and phases(second_call, "announcement")
    assert ("human", "human") == (first_call["outcome"], second_call["outcome"])


def test_switchboard_drops_the_caller_mid_queue(switchboard: RunningSwitchboard, tmp_path: Path, sipp_ports: tuple[int, int]) -> None:
    run = call(switchboard, tmp_path, sipp_ports, "drop", answered_call(10000))
    assert 0 == run.returncode, run.stderr[-2000:]
    (call_id, msgs), = run.by_call().items()
    rec = truth_for(switchboard, {call_id})[call_id]
    assert ("abandoned_in_queue", "switchboard") == (rec["outcome"], rec["hangup_by"])
    bye = first(msgs, sent=False, method="BYE")
    answered = first(msgs, sent=False, status=200)
    assert bye - answered == pytest.approx(2.0, abs=0.3)


def test_voicemail_records_the_caller_after_greeting_and_beep(
    switchboard: RunningSwitchboard, tmp_path: Path, sipp_ports: tuple[int, int]
) -> None:
    import wave

    run = call(switchboard, tmp_path, sipp_ports, "voicemail", answered_call(10000, speech_at_ms=1200))
    assert 0 == run.returncode, run.stderr[-2000:]
    (call_id,) = run.by_call()
    rec = truth_for(switchboard, {call_id})[call_id]
    assert ["voicemail_greeting", "voicemail_beep", "voicemail_record"] == [
        p["name"] for p in rec["phases"] if p["name"].startswith("voicemail")
    ]
    (recording,) = phases(rec, "voicemail_record")
    with wave.open(recording["detail"]["file"]) as w:
        seconds = w.getnframes() / w.getframerate()
        frames = w.readframes(w.getnframes())
    assert seconds == pytest.approx(recording["end"] - recording["start"], abs=0.2)
    assert max(abs(int.from_bytes(frames[i:i + 2], "little", signed=True)) for i in range(0, len(frames), 2)) > 1000
