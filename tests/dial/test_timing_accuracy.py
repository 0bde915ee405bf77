"""Dialer SIP timings against ground truth over many calls (accuracy, not speed).

24 calls, 4 dialer processes at a time (the campaign's way: `run_call_async` under a
semaphore), random ring and answer delays at a SIPp UAS. Truth 1: SIPp's own -trace_msg
stamps (the requirement: p95 within 20 ms). Truth 2, when tcpdump can run: the kernel's
capture stamps of the same packets on lo, i.e. the wire. `pytest -s` prints both.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics

import pytest

from mystery.dial import CallPlan, Step, run_call_async
from tests.dial.conftest import Capture

pytestmark = [pytest.mark.sip, pytest.mark.slow]

CALLS, CONCURRENCY = 24, 4


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def wire_messages(packets, sip_port: int) -> dict[str, list[tuple[float, bool, str]]]:
    """Call-ID -> [(time, sent by SIPp, first line)] from captured SIP packets."""
    calls: dict[str, list] = {}
    for t, source, destination, payload in packets:
        if sip_port not in (source, destination):
            continue
        text = payload.decode(errors="replace")
        call_id = next((line.split(":", 1)[1].strip() for line in text.split("\r\n")
                        if line.lower().startswith(("call-id:", "i:"))), "")
        calls.setdefault(call_id, []).append((t, source == sip_port, text.split("\r\n", 1)[0]))
    return calls


def truth_times(messages) -> tuple[float, float, float, float]:
    """(INVITE received, 180 sent, 200 sent, BYE received) from (t, sent, first line) triples."""
    invite = next(t for t, sent, line in messages if not sent and line.startswith("INVITE"))
    ringing = next(t for t, sent, line in messages if sent and line.startswith("SIP/2.0 180"))
    ok = next(t for t, sent, line in messages if sent and line.startswith("SIP/2.0 200") and t > ringing)
    bye = next(t for t, sent, line in messages if not sent and line.startswith("BYE"))
    return invite, ringing, ok, bye


def errors_against(results, truth_by_call) -> dict[str, list[float]]:
    errors: dict[str, list[float]] = {"pdd": [], "time_to_answer": [], "ring": [], "talk": []}
    for result in results:
        invite, ringing, ok, bye = truth_times(truth_by_call[result.call_id])
        errors["pdd"].append(abs(result.pdd_s - (ringing - invite)))
        errors["time_to_answer"].append(abs(result.time_to_answer_s - (ok - invite)))
        errors["ring"].append(abs(result.ring_s - (ok - ringing)))
        errors["talk"].append(abs(result.talk_s - (bye - ok)))
    return errors


def show(title: str, errors: dict[str, list[float]]) -> None:
    print(f"\n{title}")
    for name, values in errors.items():
        print(f"  {name:15s} |error| ms: p50 {statistics.median(values) * 1000:6.2f}  "
              f"p95 {percentile(values, 0.95) * 1000:6.2f}  max {max(values) * 1000:6.2f}  (n={len(values)})")


@pytest.mark.timing
def test_pdd_and_answer_times_match_sipp_p95_within_20_ms(sipp_uas, tmp_path):
    sipp = sipp_uas("uas_answer.xml", calls=CALLS, RING_MS=50, RING_MAX_MS=1500, ANSWER_MS=100, ANSWER_MAX_MS=2500)
    plans = [CallPlan(uri=sipp.uri, steps=(Step("hangup", on="answered", offset_s=0.5),), ring_timeout_s=15,
                      max_seconds=20, recordings_dir=str(tmp_path / "recordings"), call_id=f"accuracy-{n}")
             for n in range(CALLS)]

    async def dial_all():
        semaphore = asyncio.Semaphore(CONCURRENCY)

        async def one(plan):
            async with semaphore:
                return await run_call_async(plan)

        return await asyncio.gather(*(one(plan) for plan in plans))

    capture = Capture(tmp_path / "sip.pcap", "udp", "and", "port", str(sipp.port)) if Capture.available() else None
    with capture or contextlib.nullcontext():
        results = asyncio.run(dial_all())
    assert 0 == sipp.wait(timeout=60)
    assert ["answered"] * CALLS == [r.outcome for r in results]

    by_call: dict[str, list] = {}
    for m in sipp.messages():
        by_call.setdefault(m.call_id, []).append((m.t, m.sent, m.first_line))
    vs_sipp = errors_against(results, by_call)
    show("dialer vs SIPp -trace_msg stamps", vs_sipp)
    if capture is not None:
        show("dialer vs the wire (tcpdump on lo)", errors_against(results, wire_messages(capture.packets(), sipp.port)))
    for name in ("pdd", "time_to_answer", "ring"):
        assert percentile(vs_sipp[name], 0.95) <= 0.020, (name, vs_sipp[name])
