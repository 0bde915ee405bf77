"""Run a call in a dialer worker process, from blocking code or from asyncio.

pjsua2 allows one Endpoint per process, so each call gets a fresh `python -m
mystery.dial.worker`, or shares one with up to 3 others (`Packer`, the `sip.calls_per_process`
setting); a campaign runs many of them with `run_call_async` or `Packer.dial` under a semaphore.
The plan (which may carry the SIP password) goes over the worker's stdin, never argv.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any

from mystery.records import CallResult
from mystery.scenario.plan import CallPlan, parse_plan
from mystery_core.errors import EXIT_BAD_INPUT, InputError

WORKER = [sys.executable, "-m", "mystery.dial.worker"]


PLACING_MARK = "mystery-dial: placing the call"  # the worker's stderr line just before its INVITE


class DialerCrashed(RuntimeError):
    """The worker died without a result (a bug or a signal, not a call outcome). `placed`: it had
    started the call, so the far end may have rung (dialling again would be a second test call).
    `partial`: for a placed call, what its journal kept (outcome `unknown`, events, partial recording)."""

    def __init__(self, message: str, placed: bool = False, partial: CallResult | None = None) -> None:
        super().__init__(message)
        self.placed = placed
        self.partial = partial


def worker_command(*plans: CallPlan) -> list[str]:
    """The worker's command line: its call ids are in it (`--call-id`), so a campaign resumed after its runner
    was killed finds a dialer still on a call even if the runner died before writing down its pid."""
    return [*WORKER, *(arg for plan in plans for arg in ("--call-id", plan.call_id))]


def _plan_bytes(plan: CallPlan | dict[str, Any]) -> bytes:
    data = plan.to_json() if isinstance(plan, CallPlan) else parse_plan(plan).to_json()
    return json.dumps(data).encode()


def _result(returncode: int, stdout: bytes, stderr: bytes) -> CallResult:
    if returncode == EXIT_BAD_INPUT:
        line = stderr.decode(errors="replace").strip().splitlines()[-1:] or ["error: bad input"]
        message = line[0].removeprefix("error: ")
        raise InputError("", None, message)
    if returncode != 0:
        result = _printed_result(stdout)
        if result is not None:  # died after printing it (pjsua2's teardown at exit): the call is complete
            return dataclasses.replace(result, extra={**result.extra, "worker_exit": returncode})
        text = stderr.decode(errors="replace")
        tail = text.strip().splitlines()[-5:]
        placed = PLACING_MARK in text
        raise DialerCrashed(f"dialer worker exited with {returncode}" + (" after placing the call" if placed else "")
                            + ": " + " | ".join(tail), placed=placed)
    return CallResult.from_json(json.loads(stdout))


def _printed_result(stdout: bytes) -> CallResult | None:
    """The result a worker printed in full (one JSON line), or None."""
    lines = stdout.strip().splitlines()
    if not lines:
        return None
    try:
        return CallResult.from_json(json.loads(lines[-1]))
    except (ValueError, KeyError, TypeError):
        return None


def run_call(plan: CallPlan | dict[str, Any], timeout_s: float | None = None) -> CallResult:
    """Place one call in a worker process and wait for its result.

    Raises InputError for bad input (exit 2 of the worker) and DialerCrashed otherwise;
    every far-end or network outcome comes back as a CallResult.
    """
    parsed = plan if isinstance(plan, CallPlan) else parse_plan(plan)
    done = subprocess.run(worker_command(parsed), input=_plan_bytes(parsed), capture_output=True, timeout=timeout_s, check=False)
    return _settle(parsed, done.returncode, done.stdout, done.stderr)


async def run_call_async(plan: CallPlan | dict[str, Any],
                         on_spawn: Callable[[int], None] | None = None) -> CallResult:
    """`run_call` for asyncio: the worker is a subprocess, the event loop stays free. `on_spawn` is told
    the worker's pid as soon as it runs."""
    parsed = plan if isinstance(plan, CallPlan) else parse_plan(plan)
    proc = await asyncio.create_subprocess_exec(
        *worker_command(parsed), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    if on_spawn is not None:
        on_spawn(proc.pid)
    stdout, stderr = await proc.communicate(_plan_bytes(parsed))
    assert proc.returncode is not None
    return _settle(parsed, proc.returncode, stdout, stderr)


def _settle(plan: CallPlan, returncode: int, stdout: bytes, stderr: bytes) -> CallResult:
    """The worker's result; a crash after the INVITE carries what the call's journal kept (`partial`).
    The journal goes once the call is settled either way."""
    from mystery.dial.journal import discard, journal_path, read_result, result_path, salvage

    try:
        result = _result(returncode, stdout, stderr)
    except DialerCrashed as crash:
        left = read_result(plan)
        if left is not None:   # it finished and wrote its result, then died before printing it whole
            result = dataclasses.replace(left, extra={**left.extra, "worker_exit": returncode})
        elif crash.placed:
            crash.partial = salvage(plan, str(crash).splitlines()[0][:300])
            raise
        else:
            discard(plan)   # never rang: it will be dialled again, with a fresh journal
            raise
    journal_path(plan).unlink(missing_ok=True)
    result_path(plan).unlink(missing_ok=True)
    return result


async def run_calls_together(plans: list[CallPlan], on_spawn: Callable[[int], None] | None = None,
                             ) -> list[CallResult | DialerCrashed | InputError]:
    """Place 2 to 4 calls (one account) in one worker process (mystery.dial.calls); each entry is its call's
    result, or the error for it. A process that dies settles each of its calls by itself: the result it had
    written when that call ended, else (its journal shows the INVITE) the call as far as the journal goes
    (`DialerCrashed(placed=True)` with `partial`), else a call never placed (`placed=False`: dial it again)."""
    proc = await asyncio.create_subprocess_exec(
        *worker_command(*plans), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    if on_spawn is not None:
        on_spawn(proc.pid)
    stdout, stderr = await proc.communicate(json.dumps([plan.to_json() for plan in plans]).encode())
    assert proc.returncode is not None
    return settle_together(plans, proc.returncode, stdout, stderr)


def settle_together(plans: list[CallPlan], returncode: int, stdout: bytes, stderr: bytes,
                    ) -> list[CallResult | DialerCrashed | InputError]:
    """Each call of a worker process that held several, from what it printed or left on disk."""
    from mystery.dial.journal import discard, journal_path, placed, read_result, result_path, salvage

    if returncode == EXIT_BAD_INPUT:
        last = stderr.decode(errors="replace").strip().splitlines()[-1:] or ["error: bad input"]
        return [InputError("", None, last[0].removeprefix("error: ")) for _ in plans]
    printed: dict[str, CallResult] = {}
    for output in stdout.splitlines():
        result = _printed_result(output)
        if result is not None:
            printed[result.call_id] = result
    tail = " | ".join(stderr.decode(errors="replace").strip().splitlines()[-5:])
    out: list[CallResult | DialerCrashed | InputError] = []
    for plan in plans:
        result = printed.get(plan.call_id) or read_result(plan)
        if result is not None:
            if returncode != 0:   # died after this call ended (another call's crash, or the teardown)
                result = dataclasses.replace(result, extra={**result.extra, "worker_exit": returncode})
            out.append(result)
        elif placed(plan):
            message = f"dialer worker exited with {returncode} after placing the call: {tail}"
            out.append(DialerCrashed(message, placed=True, partial=salvage(plan, message[:300])))
        else:
            discard(plan)   # never rang: it will be dialled again, with a fresh journal
            out.append(DialerCrashed(f"dialer worker exited with {returncode}: {tail}"))
            continue
        journal_path(plan).unlink(missing_ok=True)
        result_path(plan).unlink(missing_ok=True)
    return out


async def start_warm() -> asyncio.subprocess.Process:
    """A worker that imports what a call needs, says `ready`, then waits for its plans (`run_on_warm`)."""
    proc = await asyncio.create_subprocess_exec(
        *WORKER, "--warm", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    assert proc.stdout is not None
    await proc.stdout.readline()   # `ready` (or nothing: it died, and run_on_warm says so per call)
    return proc


async def run_on_warm(proc: asyncio.subprocess.Process, plans: list[CallPlan],
                      on_spawn: Callable[[int], None] | None = None) -> list[CallResult | DialerCrashed | InputError]:
    """`run_calls_together` on a warm worker. Each call's journal names the worker before it gets the plans,
    so a runner stopped from then on finds the worker still on them (its command line names no call)."""
    from mystery.dial.journal import hand_over

    for plan in plans:
        hand_over(plan, proc.pid)
    if on_spawn is not None:
        on_spawn(proc.pid)
    try:
        stdout, stderr = await proc.communicate(json.dumps([plan.to_json() for plan in plans]).encode())
    except (BrokenPipeError, ConnectionResetError):   # it died while warm: no call reached it
        stdout, stderr = b"", b"the warm dialer died before its calls"
        await proc.wait()
    assert proc.returncode is not None
    return settle_together(plans, proc.returncode, stdout, stderr)


Entry = tuple[CallPlan, "asyncio.Future[CallResult]", Callable[[int], None] | None]


class Packer:
    """Puts the calls that start within `linger_s` of each other (and share an account) into dialer processes
    of up to `per_process` calls, started warm ahead of them when `spare` > 0.

    Fewer processes start (each Python interpreter and its imports cost about 0.25 CPU s) and fewer poll
    loops run, at the price of crash isolation: a process that dies takes all its calls with it (each is
    kept as far as its journal goes, none is dialled twice). `spare` warm processes wait, imports done, for
    the next calls (`warm_up` fills the pool and waits for it; `close` ends the idle ones), so an INVITE
    goes out when its call is due instead of after a start-up that competes with the calls on the line.
    Processes get their calls `pace_s` apart at the least: 100 INVITEs in one instant made SIPp, the far
    end, read the last ones 25 ms late, and the dialers' own stamps of them late too (bench_concurrency)."""

    def __init__(self, per_process: int, linger_s: float = 0.05, spare: int = 0, pace_s: float = 0.005) -> None:
        from mystery.dial.endpoint import MAX_CALLS_PER_PROCESS

        if not 1 <= per_process <= MAX_CALLS_PER_PROCESS:
            raise InputError("sip.calls_per_process", None,
                             f"a dialer process places 1 to {MAX_CALLS_PER_PROCESS} calls, not {per_process}")
        self.per_process, self.linger_s, self.spare, self.pace_s = per_process, linger_s, spare, pace_s
        self.next_start = 0.0   # event-loop time before which no further process gets its calls
        self.waiting: dict[Any, list[Entry]] = {}
        self.timers: dict[Any, asyncio.TimerHandle] = {}
        self.running: set[asyncio.Task[None]] = set()
        self.pool: list[asyncio.Task[asyncio.subprocess.Process]] = []

    async def warm_up(self, processes: int | None = None) -> None:
        """Start warm workers until `processes` (default `spare`) wait, and wait until each is ready."""
        while len(self.pool) < (self.spare if processes is None else processes):
            self.pool.append(asyncio.get_running_loop().create_task(start_warm()))
        await asyncio.gather(*self.pool)

    async def close(self) -> None:
        """End the warm workers no call took (their stdin closes with no plan: they exit 0)."""
        pool, self.pool = self.pool, []
        for task in pool:
            with contextlib.suppress(OSError):   # one that could not start, or died meanwhile
                await (await task).communicate(b"")

    async def dial(self, plan: CallPlan, on_spawn: Callable[[int], None] | None = None) -> CallResult:
        """The call's result, placed in a process with the calls that came with it."""
        if self.per_process == 1 and not self.spare and not self.pool:
            return await run_call_async(plan, on_spawn)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[CallResult] = loop.create_future()
        key = plan.account
        self.waiting.setdefault(key, []).append((plan, future, on_spawn))
        if len(self.waiting[key]) >= self.per_process:
            self._launch(key)
        elif key not in self.timers:
            self.timers[key] = loop.call_later(self.linger_s, self._launch, key)
        return await future

    def _launch(self, key: Any) -> None:
        timer = self.timers.pop(key, None)
        if timer is not None:
            timer.cancel()
        batch, self.waiting[key] = self.waiting[key][:self.per_process], self.waiting[key][self.per_process:]
        loop = asyncio.get_running_loop()
        if batch:
            warm = self.pool.pop(0) if self.pool else None
            if self.spare and len(self.pool) < self.spare:   # the next calls find one ready too
                self.pool.append(loop.create_task(start_warm()))
            task = loop.create_task(self._run(batch, warm))
            self.running.add(task)
            task.add_done_callback(self.running.discard)
        if self.waiting[key]:
            self.timers[key] = loop.call_later(self.linger_s, self._launch, key)

    async def _run(self, batch: list[Entry], warm: asyncio.Task[asyncio.subprocess.Process] | None) -> None:
        def spawned(pid: int) -> None:
            for _, _, on_spawn in batch:
                if on_spawn is not None:
                    on_spawn(pid)

        plans = [plan for plan, _, _ in batch]
        loop = asyncio.get_running_loop()
        start = max(loop.time(), self.next_start)
        self.next_start = start + self.pace_s
        if start > loop.time():
            await asyncio.sleep(start - loop.time())
        try:
            proc = None
            if warm is not None:
                try:
                    proc = await warm
                except OSError:   # it could not start: the calls start a process of their own
                    proc = None
            if proc is not None:
                outcomes = await run_on_warm(proc, plans, spawned)
            elif len(batch) == 1:
                outcomes = []
                try:
                    outcomes.append(await run_call_async(plans[0], spawned))
                except (DialerCrashed, InputError) as error:
                    outcomes.append(error)
            else:
                outcomes = await run_calls_together(plans, spawned)
        except BaseException as error:   # the runner is stopping: every waiting call hears it
            for _, future, _ in batch:
                if not future.done():
                    future.set_exception(error)
            raise
        for (_, future, _), outcome in zip(batch, outcomes, strict=True):
            if future.done():
                continue
            if isinstance(outcome, CallResult):
                future.set_result(outcome)
            else:
                future.set_exception(outcome)
