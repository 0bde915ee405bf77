"""A long campaign analyses when a day's calls have ended: run_calls runs the analysis once no call is on
the line and the next is far enough away, and a call due meanwhile waits for it.

The dialer here is a stand-in coroutine that takes 0.2 s and returns a result (no SIP: what is tested is
when the analysis runs among the calls, which real calls would only make slower to show)."""

from __future__ import annotations

import asyncio
import threading
import time

from mystery.pipeline.runner import Gates, Quiet, run_calls
from mystery.records import CallResult
from mystery.scenario.plan import CallPlan


def test_the_analysis_runs_in_the_gap_between_days_and_calls_due_meanwhile_wait() -> None:
    start = time.time()
    due = {"day1-a": start, "day1-b": start + 0.3, "day2-a": start + 2.5, "day2-b": start + 2.8}
    plans = [CallPlan(uri="sip:desk@127.0.0.1", call_id=key) for key in due]
    log: list[tuple[str, float, float]] = []
    analysing = threading.Event()

    async def stand_in_dialer(plan: CallPlan) -> CallResult:
        assert not analysing.is_set(), "a call started during the analysis"
        began = time.time()
        await asyncio.sleep(0.2)
        log.append((plan.call_id, began - start, time.time() - start))
        return CallResult(call_id=plan.call_id, target_uri=plan.uri, outcome="answered", started_at="")

    analyses: list[tuple[float, float, list[str]]] = []

    def analyse() -> None:
        analysing.set()
        began = time.time() - start
        time.sleep(2.5 - began + 0.4)          # runs past day 2's first due time: that call must wait
        analyses.append((began, time.time() - start, [key for key, _, _ in log]))
        analysing.clear()

    gates = Gates(due, {}, {})
    asyncio.run(run_calls(plans, 2, lambda result: None, dialer=stand_in_dialer, gates=gates,
                          quiet=Quiet(after_s=1.0, analyse=analyse)))
    assert 1 == len(analyses)                                     # once, after day 1; none at the very end
    began, ended, done_before = analyses[0]
    assert ["day1-a", "day1-b"] == done_before                    # day 1's calls, all ended
    assert 0.5 <= began < 1.5                                     # as soon as the gap ahead was >= 1 s
    starts = {key: began_at for key, began_at, _ in log}
    assert starts["day2-a"] >= ended                              # due at 2.5 s, started after the analysis
    assert [key for key, _, _ in sorted(log, key=lambda entry: entry[1])] == list(due)
