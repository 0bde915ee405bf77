"""A campaign of calls from its planned-call table: create it, dial it, stop it, resume it.

The table (mystery.store.planned) is the source of truth: every call is a row before it is dialled
and each change of state is committed as it happens, so a runner stopped at any moment can be
resumed without dialling any call twice. Calls on a calendar wait for their time and their site's
cap (mystery.pipeline.runner.Gates); a call whose outcome the group's retry policy names gets an
extra planned call later, inside its windows; a failure of the trunk pauses the campaign.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import fcntl
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from mystery.dial.runner import Packer
from mystery.pipeline import queue
from mystery.pipeline.runner import CampaignRun, Gates, Quiet, check_ports, run_calls
from mystery.pipeline.session import Session, adopt_left_here, site_caps
from mystery.pipeline.trunk import trunk_failure
from mystery.records import CallResult
from mystery.scenario.load import CallGroup, Scenario
from mystery.scenario.plan import Account
from mystery.schedule import call_plan, interleaved_groups
from mystery.schedule.calendar import plan_calendar
from mystery.schedule.slots import open_runs
from mystery.store import planned, repo
from mystery_core.errors import InputError

MAX_SPARE = 8         # warm dialer processes kept ready for the next calls (about 50 MB each)


def run_campaign(
    engine: Engine,
    campaign_id: int,
    account: Account,
    concurrency: int,
    on_start: Callable[[int], None] | None = None,
    progress: Callable[[CallResult], None] | None = None,
    clock: Callable[[], float] = time.time,
    analyse: Callable[[int], None] | None = None,
    quiet_s: float = 0.0,
    calls_per_process: int = 1,
) -> CampaignRun:
    """Dial the campaign's `planned` calls, first settling the calls a stopped runner left `dialling`
    (mystery.pipeline.adopt). `on_start` is told how many calls are left to dial. On PostgreSQL several
    runners (dialer hosts, MYSTERY_HOST_ID) share a campaign: each call is claimed by one of them; on
    SQLite a second runner is refused. With `analyse` and `quiet_s`, the campaign is analysed whenever no
    call is on the line and the next is at least `quiet_s` away (a day's calls have ended). Calls that start
    together share dialer processes, up to `calls_per_process` each, started warm before their calls
    (mystery.dial.runner.Packer): the processes for the first calls at once before the first call, then a
    few spare ones."""
    quiet = Quiet(quiet_s, lambda: analyse(campaign_id)) if analyse is not None and quiet_s > 0 else None
    spare = min(MAX_SPARE, -(-concurrency // calls_per_process))
    if queue.uses_queue(engine):   # any number of workers on any number of hosts share the campaign's queue
        return queue.run_queued(engine, campaign_id, account, concurrency, Packer(calls_per_process, spare=spare),
                                on_start, progress, finish, quiet)
    with _one_runner_on_sqlite(engine):
        return _run(engine, campaign_id, account, concurrency, on_start, progress, clock, quiet,
                    Packer(calls_per_process, spare=spare))


@contextlib.contextmanager
def _one_runner_on_sqlite(engine: Engine) -> Iterator[None]:
    """Hold the SQLite store's runner lock (a lock file beside it) for the run, or refuse with one line."""
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if not path or path == ":memory:":
        yield
        return
    with open(f"{path}.runner.lock", "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError("database_url", None, f"another campaign runner is using the SQLite store {path}: "
                             "SQLite serves one runner at a time; for several dialer hosts, use PostgreSQL") from None
        yield


def _run(engine: Engine, campaign_id: int, account: Account, concurrency: int,
         on_start: Callable[[int], None] | None, progress: Callable[[CallResult], None] | None,
         clock: Callable[[], float], quiet: Quiet | None, packer: Packer) -> CampaignRun:
    repo.set_campaign_status(engine, campaign_id, "running")
    adopt_left_here(engine, campaign_id, account)
    rows = {row["call_key"]: row for row in planned.planned(engine, campaign_id)}
    todo = [row for row in rows.values() if row["state"] == "planned"]
    plans = [planned.plan_of(row, account) for row in todo]
    gates = Gates({r["call_key"]: datetime.fromisoformat(r["due_at"]).timestamp() for r in todo if r["due_at"]},
                  {r["call_key"]: r["site"] for r in todo if r["site"]}, site_caps(engine, campaign_id), clock)
    session = Session(engine, campaign_id, account, packer, gates, progress, clock)
    session.rows = rows
    if on_start is not None:
        on_start(len(plans))

    async def dial_all() -> list[CallResult]:
        await packer.warm_up(-(-min(concurrency, len(plans)) // packer.per_process))
        try:
            return await run_calls(plans, concurrency, session.store, dialer=session.dial, crashed=session.crashed,
                                   gates=gates, quiet=quiet)
        finally:
            await packer.close()

    try:
        results = asyncio.run(dial_all())
    except BaseException:
        repo.finish_campaign(engine, campaign_id, status="interrupted")
        raise
    session.settle_crashes(session.crashed)
    return finish(engine, campaign_id, account, results, session)


def finish(engine: Engine, campaign_id: int, account: Account, results: list[CallResult],
           session: Session) -> CampaignRun:
    """Record how the campaign stands once this host stops dialling it, and what this host dialled."""
    here = planned.host_id()
    left = planned.planned(engine, campaign_id)
    elsewhere = any(r["state"] == "dialling" and r["host"] != here for r in left)
    unsettled = any(r["state"] in ("planned", "dialling") for r in left)
    paused = session.gates.paused
    status = ("paused" if paused else "running" if elsewhere else "interrupted" if unsettled
              else "finished" if not session.crashed else "finished_with_errors")
    repo.finish_campaign(engine, campaign_id, status=status)
    kept = tuple(sorted((r for r in results if not trunk_failure(r, account)), key=lambda r: r.call_id))
    return CampaignRun(campaign_id, kept, tuple(session.crashed), paused=paused)


def _policy(scenario: Scenario, group: CallGroup, now: datetime) -> dict[str, Any] | None:
    """The group's retry policy as stored with each of its calls, with the minutes its windows leave open
    ([start, end) epoch seconds; None: a group dialled at once retries at any time)."""
    if group.retry is None:
        return None
    runs = None
    schedule = scenario.group_schedule(group)
    if schedule.scheduled:
        site = scenario.sites[scenario.lines[group.line].site]
        runs = [[r.first_s, r.first_s + 60 * r.minutes] for r in open_runs(
            schedule, site.timezone, site.holidays_country, site.holidays_subdivision, now)]
    return {**dataclasses.asdict(group.retry), "runs": runs}


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
    analyse: Callable[[int], None] | None = None,
    quiet_s: float = 0.0,
    calls_per_process: int = 1,
) -> CampaignRun:
    """Create the campaign `name` in the store with its planned calls, then dial them (`run_campaign`):
    a scheduled scenario's calls at their times on its calendar plan (`now`, `seed`: as for
    `mystery campaign plan`), the others at once.

    `on_start` is told how many calls were planned before the first is dialled; each result is stored
    (and given to `progress`) as its call ends.
    """
    campaign_id = store_scenario(engine, scenario, name, concurrency, recordings_dir, account, now, seed)
    return run_campaign(engine, campaign_id, account, concurrency, on_start, progress, analyse=analyse,
                        quiet_s=quiet_s, calls_per_process=calls_per_process)


def store_scenario(engine: Engine, scenario: Scenario, name: str, concurrency: int, recordings_dir: Path,
                   account: Account, now: datetime | None = None, seed: int | None = None) -> int:
    """Create the campaign `name` with its planned calls (on PostgreSQL, a queued job each); returns its id.
    Workers on any host dial it then (`run_campaign`)."""
    key = campaign_key(name)
    now = now or datetime.now(UTC)
    due: list[str | None] | None = None
    sites: list[str] | None = None
    if scenario.scheduled:   # on the calendar: each call at its planned time, in its site's cap
        calendar = plan_calendar(scenario, now, seed)
        groups = [c.group for c in calendar.calls]
        due = [None if c.at is None else c.at.isoformat() for c in calendar.calls]
        sites = [c.site for c in calendar.calls]
    else:
        groups = interleaved_groups(scenario)
        sites = [scenario.lines[scenario.groups[i].line].site for i in groups]   # held to its cap too
    plans = [call_plan(scenario, scenario.groups[i], n, recordings_dir, account, key)
             for n, i in enumerate(groups, start=1)]
    policies = [_policy(scenario, scenario.groups[i], now) for i in groups]
    check_ports(plans, concurrency)
    campaign_id = repo.create_campaign(engine, name, scenario.to_json(), scenario.path, scenario.client)
    planned.add_planned(engine, campaign_id, plans, due, sites, policies)
    if queue.uses_queue(engine):   # one job per planned call, at its time, for whichever worker is free
        queue.defer(engine, planned.planned(engine, campaign_id))
    return campaign_id


def campaign_key(name: str) -> str:
    """A file-system-safe key for the campaign's recordings folder."""
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in name).strip("-")
    return safe or datetime.now(UTC).strftime("campaign-%Y%m%d-%H%M%S")
