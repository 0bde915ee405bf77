"""Calls a stopped runner left `dialling`: wait for their dialers, then keep what they left.

A runner killed mid-campaign (kill -9, reboot) leaves its dialer processes running: each finishes its
call and writes its result next to the recordings before printing it to a runner that is gone. On
`campaign resume`, a `dialling` row is settled from what is on disk, never by dialling it again once
it may have rung: the result if its dialer finished; else, if its journal shows the call was being
placed, the call as far as the journal goes (outcome `unknown`, partial recording); else (the dialer
never got to the INVITE) it goes back to `planned`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from mystery.dial.journal import dialer_pid, discard, journal_path, placed, read_result, result_path, salvage
from mystery.scenario.plan import Account
from mystery.store import planned

POLL_S = 0.5


def worker_alive(call_id: str, host: str, pid: int | None = None) -> bool:
    """True while a dialer worker on this host is on `call_id`: found by its command line, which names the
    call (the runner may have died between starting it and writing down its pid), or, for a warm dialer
    started before its calls were known, by the pid its journal names (`pid`)."""
    if host and host != planned.host_id():
        return False
    wanted = b"\0--call-id\0" + call_id.encode() + b"\0"
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if b"mystery.dial.worker" in cmdline and (wanted in cmdline + b"\0" or proc.name == str(pid)):
            return True
    return False


def adopt(engine: Engine, campaign_id: int, row: dict[str, Any], account: Account,
          alive: Callable[[str, str, int | None], bool] = worker_alive) -> str:
    """Settle one `dialling` row from what its dialer left; returns the row's new state."""
    plan = planned.plan_of(row, account)
    deadline = time.time() + plan.max_seconds + 60
    while alive(row["call_key"], row["host"], dialer_pid(plan)) and time.time() < deadline:
        time.sleep(POLL_S)     # its call is still on: let it finish
    result = read_result(plan)
    if result is not None:
        state = "crashed_after_invite" if result.outcome == "unknown" else "done"
        planned.move(engine, plan.call_id, state, "adopted: its dialer finished after the runner stopped",
                     result=result, campaign_id=campaign_id)
        result_path(plan).unlink(missing_ok=True)
        journal_path(plan).unlink(missing_ok=True)
        return state
    if placed(plan):
        partial = salvage(plan, "the runner stopped during the call and its dialer left no result")
        planned.move(engine, plan.call_id, "crashed_after_invite", "its dialer left no result after placing the "
                     "call: kept as far as its journal goes", result=partial, campaign_id=campaign_id)
        return "crashed_after_invite"
    discard(plan)
    planned.move(engine, plan.call_id, "planned", "never placed: the runner stopped before its dialer's INVITE")
    return "planned"
