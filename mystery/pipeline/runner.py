"""Run a campaign: a pool of dialer processes (one call each) under a concurrency limit.

Each call runs in its own `python -m mystery.dial.worker` process: pjsua2 allows one Endpoint
and at most 4 calls per process, a crash loses one call, not the campaign, and Python work is
spread over the cores. Results are stored as each call ends, so an interrupted campaign keeps
what it measured.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from mystery.dial.runner import DialerCrashed, run_call_async
from mystery.pipeline.adopt import adopt
from mystery.pipeline.trunk import trunk_failure
from mystery.records import CallResult
from mystery.scenario.load import Scenario
from mystery.scenario.plan import Account, CallPlan
from mystery.schedule import call_plan, schedule_calls
from mystery.schedule.calendar import plan_calendar
from mystery.store import planned, repo
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
    on_result: Callable[[CallResult], None],
    dialer: Callable[[CallPlan], Awaitable[CallResult]] = run_call_async,
    crashed: list[CrashedCall] | None = None,
    retries: int = 1,
    gates: Gates | None = None,
) -> list[CallResult]:
    """Dial every plan with at most `concurrency` in flight; `on_result` sees each as it ends. With
    `gates`, a call waits for its due time, then for room under its site's cap.

    A dialer process that dies without a result before placing its call is retried `retries` times;
    one that dies after (the far end may have rung: a second call would be a second test of the
    client) or dies again goes to `crashed` (when given) and the campaign carries on, else the error
    is raised.
    """
    check_ports(plans, concurrency)
    semaphore = asyncio.Semaphore(concurrency)
    results: list[CallResult] = []

    async def one(plan: CallPlan) -> None:
        wait = gates.wait_s(plan.call_id) if gates is not None else 0.0
        if wait > 0:
            await asyncio.sleep(wait)
        async with gates.site(plan.call_id) if gates is not None else contextlib.nullcontext(), semaphore:
            if gates is not None and gates.paused:   # the trunk failed: this call stays planned
                return
            for attempt in range(retries + 1):
                try:
                    result = await dialer(plan)
                    break
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
        on_result(result)

    await asyncio.gather(*(one(plan) for plan in plans))
    return results


class Gates:
    """When each call may start: its due time (epoch seconds; none = at once) and its site's calls-at-once cap.

    The planner already placed calls so that no cap is exceeded while each lasts its planned length;
    the gate holds the cap when a call runs longer (the next one to that site waits, and starts late)."""

    def __init__(self, due: dict[str, float], site_of: dict[str, str], site_caps: dict[str, int],
                 clock: Callable[[], float] = time.time) -> None:
        self.due, self.site_of, self.clock = due, site_of, clock
        self.semaphores = {site: asyncio.Semaphore(cap) for site, cap in site_caps.items()}
        self.paused = ""    # why no further call may start (a trunk failure)

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


def run_campaign(
    engine: Engine,
    campaign_id: int,
    account: Account,
    concurrency: int,
    on_start: Callable[[int], None] | None = None,
    progress: Callable[[CallResult], None] | None = None,
) -> CampaignRun:
    """Dial the campaign's `planned` calls from its planned-call table, each state change committed as it
    happens (mystery.store.planned): first settling the calls a stopped runner left `dialling`
    (mystery.pipeline.adopt), so a resumed campaign never dials a call twice. `on_start` is told how many
    calls are left to dial."""
    repo.set_campaign_status(engine, campaign_id, "running")
    for row in planned.planned(engine, campaign_id):
        if row["state"] == "dialling":
            adopt(engine, campaign_id, row, account)
    rows = [row for row in planned.planned(engine, campaign_id) if row["state"] == "planned"]
    plans = [planned.plan_of(row, account) for row in rows]
    sites = (repo.find_campaign(engine, str(campaign_id))["scenario"] or {}).get("sites") or {}
    gates = Gates({r["call_key"]: datetime.fromisoformat(r["due_at"]).timestamp() for r in rows if r["due_at"]},
                  {r["call_key"]: r["site"] for r in rows if r["site"]},
                  {name: int(site.get("concurrency") or 1) for name, site in sites.items()})
    if on_start is not None:
        on_start(len(plans))

    async def dial(plan: CallPlan) -> CallResult:
        planned.move(engine, plan.call_id, "dialling")
        try:
            return await run_call_async(plan, on_spawn=lambda pid: planned.set_pid(engine, plan.call_id, pid))
        except DialerCrashed as crash:
            if not crash.placed:   # never rang: run_calls may dial it again
                planned.move(engine, plan.call_id, "planned", f"dialer crashed before the INVITE: {crash}"[:500])
            raise

    def store(result: CallResult) -> None:
        why = trunk_failure(result, account)
        if why:   # not the hotel's doing: no call stored, and no further call until the trunk is fixed
            planned.move(engine, result.call_id, "planned", f"trunk failure: {why}"[:500])
            gates.paused = gates.paused or why
            return
        state = "crashed_after_invite" if result.outcome == "unknown" else "done"
        planned.move(engine, result.call_id, state, result=result, campaign_id=campaign_id)
        if progress is not None:
            progress(result)

    crashed: list[CrashedCall] = []
    try:
        results = asyncio.run(run_calls(plans, concurrency, store, dialer=dial, crashed=crashed, gates=gates))
    except BaseException:
        repo.finish_campaign(engine, campaign_id, status="interrupted")
        raise
    for crash in crashed:
        if crash.partial is None:
            planned.move(engine, crash.plan.call_id, "failed", f"dialer crashed {crash.crashes} times before "
                         f"the INVITE: {crash.error}"[:500])
    left = planned.counts(engine, campaign_id)
    status = ("paused" if gates.paused else "interrupted" if left["planned"] or left["dialling"]
              else "finished" if not crashed else "finished_with_errors")
    repo.finish_campaign(engine, campaign_id, status=status)
    kept = tuple(sorted((r for r in results if not trunk_failure(r, account)), key=lambda r: r.call_id))
    return CampaignRun(campaign_id, kept, tuple(crashed), paused=gates.paused)


def dial_scenario(
    engine: Engine,
    scenario: Scenario,
    name: str,
    concurrency: int,
    recordings_dir: Path,
    account: Account,
    on_start: Callable[[int], None] | None = None,
    progress: Callable[[CallResult], None] | None = None,
    now: datetime | None = None,
    seed: int | None = None,
) -> CampaignRun:
    """Create the campaign `name` in the store with its planned calls, then dial them (`run_campaign`):
    a scheduled scenario's calls at their times on its calendar plan (`now`, `seed`: as for
    `mystery campaign plan`), the others at once.

    `on_start` is told how many calls were planned before the first is dialled; each result is stored
    (and given to `progress`) as its call ends.
    """
    key = campaign_key(name)
    due: list[str | None] | None = None
    sites: list[str] | None = None
    if scenario.scheduled:   # on the calendar: each call at its planned time, in its site's cap
        calendar = plan_calendar(scenario, now or datetime.now(UTC), seed)
        plans = [call_plan(scenario, scenario.groups[c.group], c.number, recordings_dir, account, key)
                 for c in calendar.calls]
        due = [None if c.at is None else c.at.isoformat() for c in calendar.calls]
        sites = [c.site for c in calendar.calls]
    else:
        plans = schedule_calls(scenario, recordings_dir, account, key)
    check_ports(plans, concurrency)
    campaign_id = repo.create_campaign(engine, name, scenario.to_json(), scenario.path, scenario.client)
    planned.add_planned(engine, campaign_id, plans, due, sites)
    return run_campaign(engine, campaign_id, account, concurrency, on_start, progress)


def campaign_key(name: str) -> str:
    """A file-system-safe key for the campaign's recordings folder."""
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in name).strip("-")
    return safe or datetime.now(UTC).strftime("campaign-%Y%m%d-%H%M%S")
