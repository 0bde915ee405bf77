"""Dialer SIP timings against SIPp's own message timestamps over many calls (accuracy vs ground truth).

24 calls, 4 dialer processes at a time (the campaign's way: `run_call_async` under a
semaphore), random ring and answer delays. PDD, time to answer, ring and talk time are each
compared with SIPp's -trace_msg stamps; p95 must stay within 20 ms. `pytest -s` prints the
error distribution.
"""

from __future__ import annotations

import asyncio
import statistics

import pytest

from mystery.dial import CallPlan, Step, run_call_async

pytestmark = [pytest.mark.sip, pytest.mark.slow]

CALLS, CONCURRENCY = 24, 4


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


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

    results = asyncio.run(dial_all())
    assert 0 == sipp.wait(timeout=60)
    by_call: dict[str, list] = {}
    for message in sipp.messages():
        by_call.setdefault(message.call_id, []).append(message)
    errors: dict[str, list[float]] = {"pdd": [], "time_to_answer": [], "ring": [], "talk": []}
    for result in results:
        assert "answered" == result.outcome, result
        trace = by_call[result.call_id]
        invite = next(m.t for m in trace if not m.sent and m.method == "INVITE")
        ringing = next(m.t for m in trace if m.sent and m.code == 180)
        ok = next(m.t for m in trace if m.sent and m.code == 200)
        bye = next(m.t for m in trace if not m.sent and m.method == "BYE")
        errors["pdd"].append(abs(result.pdd_s - (ringing - invite)))
        errors["time_to_answer"].append(abs(result.time_to_answer_s - (ok - invite)))
        errors["ring"].append(abs(result.ring_s - (ok - ringing)))
        errors["talk"].append(abs(result.talk_s - (bye - ok)))
    for name, values in errors.items():
        print(f"{name:15s} |error| ms: p50 {statistics.median(values) * 1000:6.2f}  "
              f"p95 {percentile(values, 0.95) * 1000:6.2f}  max {max(values) * 1000:6.2f}  (n={len(values)})")
    for name in ("pdd", "time_to_answer", "ring"):
        assert percentile(errors[name], 0.95) <= 0.020, (name, errors[name])
