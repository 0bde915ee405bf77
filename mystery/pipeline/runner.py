"""The pool of dialer processes (one call each) under a concurrency limit, due times and site caps.

Each call runs in its own `python -m mystery.dial.worker` process: pjsua2 allows one Endpoint
and at most 4 calls per process, a crash loses one call, not the campaign, and Python work is
spread over the cores. Each result goes to the caller's `on_result` as its call ends
(mystery.pipeline.campaign stores it with the planned call's new state).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from mystery.dial.runner import DialerCrashed, run_call_async
from mystery.records import CallResult
from mystery.scenario.plan import CallPlan
from mystery_core.errors import InputError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CampaignRun:
    campaign_id: int
    results: tuple[CallResult, ...]
    crashed: tuple[CrashedCall, ...] = ()
    paused: str = ""     # why the campaign paused (a trunk failure): resume once it is fixed


@dataclass(frozen=True)
class CrashedCall:
    """A call whose dialer process died without a result (twice, or once after placing the call): a bug
    to report, not an outcome. `crashes`: how many times it died; `partial`: what was stored of a placed
    call (outcome `unknown`, events up to the crash, partial recording), or None."""

    plan: CallPlan
    error: str
    crashes: int = 1
    partial: CallResult | None = None

    def describe(self) -> str:
        """One line for the console: how often it crashed and what was kept."""
        times = "once" if self.crashes == 1 else f"{self.crashes} times"
        if self.partial is None:
            kept = "not stored"
        else:
            recording = "a partial recording" if self.partial.recording else "no recording"
            kept = f"stored as outcome unknown with {len(self.partial.events)} SIP events and {recording}"
        return f"dialer crashed {times} on {self.plan.call_id} ({self.plan.line}); {kept}: {self.error}"


async def run_calls(
    plans: list[CallPlan],
    concurrency: int,
    on_result: Callable[[CallResult], list[CallPlan] | None],
    dialer: Callable[[CallPlan], Awaitable[CallResult]] = run_call_async,
    crashed: list[CrashedCall] | None = None,
    retries: int = 1,
    gates: Gates | None = None,
    quiet: Quiet | None = None,
) -> list[CallResult]:
    """Dial every plan with at most `concurrency` in flight; `on_result` sees each as it ends, and may
    return more plans to dial in this run (retries). With `gates`, a call waits for its due time, then
    for room under its site's cap. With `quiet` (and `gates`), the analysis runs whenever no call is on the
    line and the next is at least `quiet.after_s` away, and calls due meanwhile wait for it to end.

    A dialer process that dies without a result before placing its call is retried `retries` times;
    one that dies after (the far end may have rung: a second call would be a second test of the
    client) or dies again goes to `crashed` (when given) and the campaign carries on, else the error
    is raised.
    """
    check_ports(plans, concurrency)
    semaphore = asyncio.Semaphore(concurrency)
    results: list[CallResult] = []

    async def one(plan: CallPlan) -> None:
        if gates is not None:
            gates.waiting.add(plan.call_id)
            wait = gates.wait_s(plan.call_id)
            if wait > 0:
                await asyncio.sleep(wait)
            await gates.not_analysing.wait()
            gates.waiting.discard(plan.call_id)
        async with gates.site(plan.call_id) if gates is not None else contextlib.nullcontext(), semaphore, \
                _on_the_line(gates):
            if gates is not None and gates.paused:   # the trunk failed: this call stays planned
                return
            for attempt in range(retries + 1):
                try:
                    result = await dialer(plan)
                    break
                except TakenElsewhere:
                    return
                except DialerCrashed as error:
                    log.warning("dialer crashed on %s (attempt %d): %s", plan.call_id, attempt + 1, error)
                    if attempt < retries and not error.placed:  # a placed call is never dialled twice
                        continue
                    if crashed is None:
                        raise
                    crashed.append(CrashedCall(plan, str(error), attempt + 1, error.partial))
                    if error.partial is not None:   # the call rang: what it left is a result, never lost
                        results.append(error.partial)
                        on_result(error.partial)
                    return
        results.append(result)
        more = on_result(result)
        if more:
            await asyncio.gather(*(one(extra) for extra in more))

    async def analyse_when_quiet(gates: Gates, quiet: Quiet) -> None:
        while True:
            await asyncio.sleep(min(5.0, quiet.after_s / 4))
            if quiet_now(gates.on_the_line, gates.ended_since_analysis, gates.next_due_in(), quiet.after_s):
                gates.ended_since_analysis = 0
                gates.not_analysing.clear()
                try:
                    await asyncio.to_thread(quiet.analyse)
                except Exception:   # an analysis that fails never stops the calls; the final pass retries
                    log.exception("analysis between calls failed")
                finally:
                    gates.not_analysing.set()

    watcher = asyncio.create_task(analyse_when_quiet(gates, quiet)) if gates is not None and quiet else None
    try:
        await asyncio.gather(*(one(plan) for plan in plans))
    finally:
        if watcher is not None:
            watcher.cancel()
    return results


@contextlib.asynccontextmanager
async def _on_the_line(gates: Gates | None) -> AsyncIterator[None]:
    """Count a call on the line while it is dialled (for the analysis between calls)."""
    if gates is None:
        yield
        return
    gates.on_the_line += 1
    try:
        yield
    finally:
        gates.on_the_line -= 1
        gates.ended_since_analysis += 1


@dataclass(frozen=True)
class Quiet:
    """Analysis between calls: `analyse` runs (in a thread) once no call is on the line and the next call is
    at least `after_s` away (the end of a day's calls on a calendar), with calls ended since the last run."""

    after_s: float
    analyse: Callable[[], None]


def quiet_now(on_the_line: int, ended_since_analysis: int, next_due_in: float | None, after_s: float) -> bool:
    """Time to analyse between calls: none on the line, some ended since the last analysis, and the next one
    waiting is at least `after_s` away (None: none waits, the campaign's final pass is the caller's)."""
    return on_the_line == 0 and ended_since_analysis > 0 and next_due_in is not None and next_due_in >= after_s


class TakenElsewhere(Exception):
    """Another dialer host took this call first (campaigns shared by several hosts): not ours to dial."""


class Gates:
    """When each call may start: its due time (epoch seconds; none = at once) and its site's calls-at-once cap.

    The planner already placed calls so that no cap is exceeded while each lasts its planned length;
    the gate holds the cap when a call runs longer (the next one to that site waits, and starts late)."""

    def __init__(self, due: dict[str, float], site_of: dict[str, str], site_caps: dict[str, int],
                 clock: Callable[[], float] = time.time) -> None:
        self.due, self.site_of, self.clock = due, site_of, clock
        self.semaphores = {site: asyncio.Semaphore(cap) for site, cap in site_caps.items()}
        self.paused = ""    # why no further call may start (a trunk failure)
        self.waiting: set[str] = set()          # calls not started yet
        self.on_the_line = 0
        self.ended_since_analysis = 0
        self.not_analysing = asyncio.Event()
        self.not_analysing.set()

    def next_due_in(self) -> float | None:
        """Seconds until the next waiting call is due (0 for one due at once); None when none waits."""
        if not self.waiting:
            return None
        return max(0.0, min(self.wait_s(call_id) for call_id in self.waiting))

    def wait_s(self, call_id: str) -> float:
        return self.due.get(call_id, 0.0) - self.clock() if call_id in self.due else 0.0

    def site(self, call_id: str) -> Any:
        return self.semaphores.get(self.site_of.get(call_id, ""), contextlib.nullcontext())


def check_ports(plans: list[CallPlan], concurrency: int) -> None:
    """Refuse, before any call is placed, a fixed SIP port that several dialer processes would share.

    Each call is its own process with its own SIP transport: with `sip.port` fixed, the second one
    at the same moment cannot bind it.
    """
    fixed = sorted({plan.account.port for plan in plans if plan.account.port})
    if fixed and concurrency > 1 and len(plans) > 1:
        raise InputError("sip.port", None, f"the fixed port {fixed[0]} serves one call at a time, but the campaign "
                                           f"dials {concurrency} at once: set sip.port to 0 (a free port for each "
                                           "call) or the concurrency to 1")
