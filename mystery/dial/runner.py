"""Run a call in a dialer worker process, from blocking code or from asyncio.

pjsua2 allows one Endpoint per process, so each call gets a fresh `python -m
mystery.dial.worker`; a campaign runs many of them with `run_call_async` under a semaphore.
The plan (which may carry the SIP password) goes over the worker's stdin, never argv.
"""

from __future__ import annotations

import asyncio
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


def worker_command(plan: CallPlan) -> list[str]:
    """The worker's command line: its call id is in it (`--call-id`), so a campaign resumed after its runner
    was killed finds a dialer still on that call even if the runner died before writing down its pid."""
    return [*WORKER, "--call-id", plan.call_id]


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
