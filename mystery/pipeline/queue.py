"""The job queue that shares a campaign between dialer hosts on PostgreSQL (procrastinate).

procrastinate carries *when* and *where* a call is dialled: each planned call is one job, deferred with
`schedule_at` its due time, `queueing_lock` its call key (never waiting twice in the queue), and, where its
site takes one call at a time, `lock` the site (procrastinate runs the jobs of one lock one after the
other, on whichever host). Any number of `mystery campaign worker` processes on any number of hosts fetch
jobs with `FOR UPDATE SKIP LOCKED`, so each job runs on one worker; a worker that dies (SIGKILL, reboot)
stops its heartbeat and its jobs are put back in the queue by the other workers.

The planned-call table (mystery.store.planned) stays the source of truth of *what happened*: a job only
triggers `planned.claim` and the dial (mystery.pipeline.session); a job run twice, or a job whose call was
settled meanwhile, finds the row taken and does nothing, so a call that reached its INVITE is never dialled
twice. Sites with a cap above 1 get no procrastinate lock: their cap is counted in `planned.claim`, under
the campaign's advisory lock, across every host.

Jobs of one site run in the order of their priority, which is minus their due time: procrastinate lets a
locked job wait behind any waiting job of its lock with a higher priority (or the same priority, queued
first), whatever its `schedule_at`; ordered by due time, the job a site waits for is always the next due.

With `quiet` (--analyse-when-quiet), each worker watches the whole campaign's table: no call `dialling` on any
host, calls settled since the last analysis this worker ran or saw running (counted in memory, per worker), and
the next planned call at least `quiet.after_s` away. Then the first worker to take the campaign's analysis lock
(a PostgreSQL advisory lock, tried without waiting) analyses in a thread, and its jobs wait for the analysis to
end; the others skip it (those calls are being analysed) and go on dialling.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from procrastinate import App, PsycopgConnector, RetryStrategy
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.worker import Worker
from sqlalchemy import Engine, text

from mystery.dial.runner import Packer
from mystery.pipeline.runner import CampaignRun, Gates, Quiet, quiet_now, run_calls
from mystery.pipeline.session import Session, adopt_left_here, site_caps
from mystery.records import CallResult
from mystery.scenario.plan import Account
from mystery.store import planned, repo
from mystery_core.store.locks import held_if_free

log = logging.getLogger(__name__)

QUEUE = "mystery-dial"
TASK = "mystery.dial_planned_call"
HEARTBEAT_S = 2.0        # a worker's heartbeat; one silent for STALLED_S is dead, and its jobs go back
STALLED_S = 10.0
STOP_RETRY_S = 1.0        # how often a stop is asked again until the worker has ended
WATCH_S = 1.0            # how often a worker checks whether its campaign is done
REQUEUE_EVERY = 30       # checks between two passes queueing a job for planned calls that have none


def uses_queue(engine: Engine) -> bool:
    """True where calls go through the job queue: a PostgreSQL store (SQLite serves one runner)."""
    return engine.dialect.name == "postgresql"


def queue_of(campaign_id: int) -> str:
    """The campaign's queue: a worker started for one campaign takes only its calls."""
    return f"{QUEUE}:{campaign_id}"


def _app(engine: Engine) -> App:
    """A procrastinate app on the store's database (same server, user and search_path)."""
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    return App(connector=PsycopgConnector(conninfo=url, min_size=1, max_size=4))


def job_options(row: dict[str, Any], caps: dict[str, int], now: datetime) -> dict[str, Any]:
    """How a planned call is deferred: its queue, due time, priority, queueing lock and site lock."""
    due = datetime.fromisoformat(row["due_at"]) if row["due_at"] else now
    lock = None
    if row["site"] and caps.get(row["site"], 1) == 1:
        lock = f"mystery-site:{row['campaign_id']}:{row['site']}"
    return {"queue": queue_of(row["campaign_id"]), "schedule_at": due, "priority": -int(due.timestamp()),
            "queueing_lock": row["call_key"], "lock": lock}


def defer(engine: Engine, rows: list[dict[str, Any]]) -> int:
    """One job per `planned` row that has none waiting or running (idempotent); returns how many were deferred."""
    todo = [row for row in rows if row["state"] == "planned"]
    if not todo:
        return 0
    queued = _queued(engine, todo[0]["campaign_id"])
    caps = site_caps(engine, todo[0]["campaign_id"])
    now = datetime.now(UTC)
    app = _app(engine)
    deferred = 0
    with app.open():
        for row in todo:
            if row["call_key"] in queued:
                continue
            with contextlib.suppress(AlreadyEnqueued):   # another host deferred it meanwhile
                app.configure_task(TASK, **job_options(row, caps, now)).defer(
                    campaign_id=row["campaign_id"], call_key=row["call_key"])
                deferred += 1
    return deferred


def _queued(engine: Engine, campaign_id: int) -> set[str]:
    """Call keys with a job waiting or running in the campaign's queue."""
    with engine.connect() as conn:
        return set(conn.execute(text("SELECT queueing_lock FROM procrastinate_jobs WHERE queue_name = :queue "
                                     "AND status IN ('todo', 'doing') AND queueing_lock IS NOT NULL"),
                                {"queue": queue_of(campaign_id)}).scalars())


def work(engine: Engine, campaign_id: int, account: Account, concurrency: int, packer: Packer,
         on_start: Callable[[int], None] | None = None, progress: Callable[[CallResult], None] | None = None,
         quiet: Quiet | None = None) -> tuple[list[CallResult], Session]:
    """Run a procrastinate worker on the campaign's queue until no call is left for this host: none
    `planned`, none `dialling` here, and no job waiting or running in its queue (or the trunk failed).
    First settle what a stopped worker of this host left on the line, and defer a job for every planned
    call that has none (a campaign stored before, or a job lost)."""
    repo.set_campaign_status(engine, campaign_id, "running")
    adopt_left_here(engine, campaign_id, account)
    defer(engine, planned.planned(engine, campaign_id))
    caps = site_caps(engine, campaign_id)
    gates = Gates({}, {}, caps)    # due times are the queue's; the site semaphores hold the cap in this process
    session = Session(engine, campaign_id, account, packer, gates, progress,
                      on_retry=lambda row: defer(engine, [row]))
    if on_start is not None:
        on_start(planned.counts(engine, campaign_id)["planned"])
    results: list[CallResult] = []
    app = _app(engine)

    async def dial_planned_call(campaign_id: int, call_key: str) -> None:
        row = planned.one(engine, call_key)
        if row["state"] != "planned" or gates.paused:   # settled meanwhile, or taken: nothing to do
            return
        if repo.campaign_status(engine, campaign_id) == "paused":   # another host saw the trunk fail
            gates.paused = gates.paused or "paused by another host (trunk failure)"
            return
        session.rows[call_key] = row
        if row["site"]:
            gates.site_of[call_key] = row["site"]
        crashed_before = len(session.crashed)
        results.extend(await run_calls([planned.plan_of(row, account)], 1, session.store, dialer=session.dial,
                                       crashed=session.crashed, gates=gates))
        session.settle_crashes(session.crashed[crashed_before:])

    # a job that failed (the store out of reach, say) runs again: its claim keeps the call from a second dial
    app.task(name=TASK, pass_context=False, retry=RetryStrategy(max_attempts=5, wait=5))(dial_planned_call)

    async def main() -> None:
        async with app.open_async():
            await packer.warm_up(-(-concurrency // packer.per_process))
            app.perform_import_paths()
            queue_worker = Worker(app, queues=[queue_of(campaign_id)], concurrency=concurrency,
                                  name=f"mystery@{planned.host_id()}", update_heartbeat_interval=HEARTBEAT_S,
                                  stalled_worker_timeout=STALLED_S, delete_jobs="never")
            worker = asyncio.create_task(queue_worker.run())
            watcher = asyncio.create_task(analyse_when_quiet(engine, campaign_id, quiet, gates)) if quiet else None
            try:
                checks = 0
                while not worker.done():
                    await _requeue_stalled(app, campaign_id)
                    if not gates.paused and repo.campaign_status(engine, campaign_id) == "paused":
                        gates.paused = "paused by another host (trunk failure)"
                    if gates.paused or _done_here(engine, campaign_id):
                        break
                    checks += 1
                    if checks % REQUEUE_EVERY == 0:   # a planned call whose job failed for good gets a new one
                        defer(engine, planned.planned(engine, campaign_id))
                    await asyncio.sleep(WATCH_S)
                await _stop_worker(worker, queue_worker)
            finally:
                if watcher is not None:   # an analysis under way ends in its thread (asyncio.run waits for it)
                    watcher.cancel()
                await packer.close()

    try:
        asyncio.run(main())
    except BaseException:
        repo.finish_campaign(engine, campaign_id, status="interrupted")
        raise
    return results, session


async def _stop_worker(task: asyncio.Task[None], worker: Worker) -> None:
    """Stop the procrastinate worker gracefully (a call under way ends first) and wait until it has.

    The stop is repeated until it takes: one that comes before the worker starts running is cleared by it,
    and cancelling the task instead (procrastinate's documented way) was lost now and then on a loaded
    machine, when the cancel reached the worker while it was still registering: it then ran on, and a
    campaign paused at its start ended 60-77 s late (a CI run timed out on it)."""
    while not task.done():
        worker.stop()
        await asyncio.wait({task}, timeout=STOP_RETRY_S)
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def analyse_when_quiet(engine: Engine, campaign_id: int, quiet: Quiet, gates: Gates) -> None:
    """Analyse the campaign whenever it is quiet on every host (`quiet_gap`, `quiet_now`) and no other worker
    is analysing it (the campaign's analysis lock); meanwhile this worker's jobs wait (`gates.not_analysing`),
    though none should be due: the next call is at least `quiet.after_s` away."""
    analysed = 0   # calls settled when this worker last analysed, or saw another host analysing (in memory)
    while True:
        await asyncio.sleep(min(WATCH_S, quiet.after_s / 4))
        dialling, settled, gap = quiet_gap(await asyncio.to_thread(planned.planned, engine, campaign_id), time.time())
        if not quiet_now(dialling, settled - analysed, gap, quiet.after_s):
            continue
        analysed = settled
        gates.not_analysing.clear()
        try:
            await asyncio.to_thread(analyse_alone, engine, campaign_id, quiet.analyse)
        except Exception:   # an analysis that fails never stops the calls; the final pass retries
            log.exception("analysis between calls failed")
        finally:
            gates.not_analysing.set()


def quiet_gap(rows: list[dict[str, Any]], now: float) -> tuple[int, int, float | None]:
    """From the campaign's planned calls on every host: how many are on the line (`dialling`), how many are
    settled, and the seconds until the next planned one is due (0 for one due at once; None when none is left)."""
    dialling = sum(1 for r in rows if r["state"] == "dialling")
    settled = sum(1 for r in rows if r["state"] in planned.SETTLED)
    dues = [datetime.fromisoformat(r["due_at"]).timestamp() if r["due_at"] else now
            for r in rows if r["state"] == "planned"]
    return dialling, settled, max(0.0, min(dues) - now) if dues else None


def analyse_alone(engine: Engine, campaign_id: int, analyse: Callable[[], None]) -> bool:
    """Run `analyse` unless another host is analysing the campaign (its advisory lock); True if it ran."""
    with held_if_free(engine, f"mystery.analysis:{campaign_id}") as mine:
        if mine:
            analyse()
        return mine


async def _requeue_stalled(app: App, campaign_id: int) -> None:
    """Put back in the queue the jobs of workers that stopped beating (killed, or their host down): the job
    runs again elsewhere, and finds its call settled, still `dialling` on the dead host (left to it), or
    back to `planned` (never placed), which it then dials."""
    for job in await app.job_manager.get_stalled_jobs(queue=queue_of(campaign_id),
                                                      seconds_since_heartbeat=STALLED_S):
        log.warning("job %s of a stopped worker goes back to the queue", job.id)
        await app.job_manager.retry_job(job, retry_at=datetime.now(UTC))


def _done_here(engine: Engine, campaign_id: int) -> bool:
    """Nothing left for this host: no planned call, none dialling here, and no job waiting or running."""
    here = planned.host_id()
    rows = planned.planned(engine, campaign_id)
    if any(r["state"] == "planned" or (r["state"] == "dialling" and r["host"] == here) for r in rows):
        return False
    return not _queued(engine, campaign_id)


def run_queued(engine: Engine, campaign_id: int, account: Account, concurrency: int, packer: Packer,
               on_start: Callable[[int], None] | None, progress: Callable[[CallResult], None] | None,
               finish: Callable[[Engine, int, Account, list[CallResult], Session], CampaignRun],
               quiet: Quiet | None = None) -> CampaignRun:
    """`work`, then record how the campaign stands (`finish`: mystery.pipeline.campaign's)."""
    results, session = work(engine, campaign_id, account, concurrency, packer, on_start, progress, quiet)
    return finish(engine, campaign_id, account, results, session)
