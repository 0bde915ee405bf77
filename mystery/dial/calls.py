"""The calls of one dialer process: one pjsua2 Endpoint and one account, up to 4 sessions polled together.

pjsua2 allows one Endpoint per process and the wheel at most 4 calls in it (PJSUA_MAX_CALLS). Each
session is a generator (mystery.dial.session) that yields whenever it waits for pjsip: the loop here
polls the endpoint once, then steps every session, so a process with 4 calls pays for one Python
interpreter, one endpoint, one poll loop and one conference clock instead of four. Every call keeps its
own journal and recordings, so a crash of the process leaves each of its calls as mystery.dial.journal
says (the runner settles each one by itself).
"""

from __future__ import annotations

import dataclasses
import gc
import time
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

from mystery.dial.endpoint import (
    MAX_CALLS_PER_PROCESS,
    EndpointOptions,
    account_config,
    create_endpoint,
    destroy_endpoint,
)
from mystery.dial.session import Account, Session
from mystery.dial.siplog import wire_messages
from mystery.records import CallResult
from mystery_core.errors import InputError

POLL_MS = 5             # libHandleEvents wakes early on packets; 5 ms bounds timer lateness
REGISTER_WAIT_S = 10.0


def run_sessions(sessions: list[Session], log_file: Path, on_done: Callable[[CallResult], None]) -> list[CallResult]:
    """Place every session's call in this process, at once; `on_done` gets each result as its call ends
    (without `sip_messages`: pjsip's log is read once the endpoint is closed), and the results are returned
    in the sessions' order with them. The sessions share the first plan's account (the runner packs only
    calls with one account together)."""
    if not 1 <= len(sessions) <= MAX_CALLS_PER_PROCESS:
        raise ValueError(f"a dialer process places 1 to {MAX_CALLS_PER_PROCESS} calls, not {len(sessions)}")
    account = sessions[0].plan.account
    options = EndpointOptions(bind_ip=account.bind_ip, sip_port=account.port, rtp_port=account.rtp_port,
                              codecs=tuple(account.codecs), log_file=str(log_file), log_level=4,
                              transport=account.transport, tls_ca_file=account.tls_ca_file)
    try:
        ep, sip_port, media = create_endpoint(options)
    except OSError as error:
        raise InputError("sip.port", None, f"{error} (is another process using it?)") from None
    acc = Account(sessions)
    for session in sessions:
        session.ep, session.acc = ep, acc
    results: dict[int, CallResult] = {}
    try:
        acc.create(account_config(account, sip_port, media))
        registered = _register(ep, sessions) if account.registrar else True
        live = {n: s.call_steps(Path(s.plan.recordings_dir), registered) for n, s in enumerate(sessions)}
        first = True
        while live:
            if not first:
                ep.libHandleEvents(POLL_MS)
            first = False
            for n, steps in list(live.items()):
                try:
                    next(steps)
                except StopIteration as stop:
                    del live[n]
                    results[n] = stop.value
                    on_done(stop.value)
    finally:
        _poll_until_done([s.release() for s in sessions], ep)
        acc.shutdown()
        gc.collect()
        destroy_endpoint(ep)
        # libDestroy freed what these wrap; their destructors would call into the destroyed library
        for obj in [acc, *(obj for s in sessions for obj in s.held)]:
            obj.thisown = False
        for session in sessions:
            session.held.clear()
    return [_with_wire(sessions, n, results[n], log_file) for n in range(len(sessions))]


def _with_wire(sessions: list[Session], n: int, result: CallResult, log_file: Path) -> CallResult:
    """The result with `extra.sip_messages`: its own messages when the log is shared."""
    session = sessions[n]
    t0 = session.t_invite or time.time()
    if len(sessions) == 1:
        wire = wire_messages(log_file, t0)
    else:
        others = {cid for m, s in enumerate(sessions) if m != n for cid in s.call_ids}
        wire = wire_messages(log_file, t0, session.call_ids, others)
    return dataclasses.replace(result, extra={**result.extra, "sip_messages": wire})


def _register(ep: Any, sessions: list[Session]) -> bool:
    """Wait for the account's REGISTER to be answered (every session notes it): True when it succeeded."""
    first = sessions[0]
    deadline = time.time() + REGISTER_WAIT_S
    while time.time() < deadline:
        ep.libHandleEvents(POLL_MS)
        if first.reg_status is not None and first.reg_status >= 200:
            return 200 <= first.reg_status < 300
    for session in sessions:
        session.reg_reason = session.reg_reason or "no response to REGISTER"
    return False


def _poll_until_done(waits: list[Generator[None, None, None]], ep: Any) -> None:
    """Step each generator until it ends, polling the endpoint between steps."""
    live = list(waits)
    while live:
        for wait in list(live):
            try:
                next(wait)
            except StopIteration:
                live.remove(wait)
        if live:
            ep.libHandleEvents(POLL_MS)
