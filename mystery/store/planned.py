"""The planned-call table: a campaign's durable state, the same on SQLite and PostgreSQL.

Every call of a campaign is a row before it is dialled, and each change of state is one
transaction that also appends to the row's history; the call's result is stored in the same
transaction as its `done`. So a runner stopped at any moment (Ctrl-C, SIGTERM, kill -9, reboot)
leaves rows that say exactly what is left to do, and `resume` never dials a call twice.

States: planned -> dialling -> done | failed | crashed_after_invite; skipped (never to be dialled).
"""

from __future__ import annotations

import dataclasses
import os
import socket
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select, update

from mystery.records import CallResult
from mystery.scenario.plan import Account, CallPlan, parse_plan
from mystery.store.repo import insert_call
from mystery.store.schema import planned_calls
from mystery_core.store.locks import locked_transaction

STATES = ("planned", "dialling", "done", "failed", "crashed_after_invite", "skipped")
SETTLED = frozenset({"done", "failed", "crashed_after_invite", "skipped"})


def host_id() -> str:
    """This dialer host's name in the table (MYSTERY_HOST_ID, else the machine's host name)."""
    return os.environ.get("MYSTERY_HOST_ID") or socket.gethostname()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def add_planned(engine: Engine, campaign_id: int, plans: list[CallPlan],
                due_at: list[str | None] | None = None, sites: list[str] | None = None,
                policies: list[dict[str, Any] | None] | None = None) -> None:
    """The campaign's calls as rows in state `planned`, each due at its time (UTC ISO; None: at once) and
    held to its site's cap (the account, which holds the password, is left out: it comes from the
    settings of the process that dials)."""
    now = _now()
    rows = []
    for seq, plan in enumerate(plans, start=1):
        data = plan.to_json()
        data.pop("account")
        rows.append({"campaign_id": campaign_id, "call_key": plan.call_id, "seq": seq, "line": plan.line,
                     "site": sites[seq - 1] if sites else "",
                     "due_at": due_at[seq - 1] if due_at else None, "state": "planned", "attempts": 0,
                     "plan": data, "pid": None, "host": "", "history": [{"at": now, "state": "planned"}],
                     "updated_at": now, "policy": policies[seq - 1] if policies else None, "retry_of": None,
                     "retry_n": 0})
    if rows:
        with engine.begin() as conn:
            conn.execute(insert(planned_calls), rows)


def add_retry(engine: Engine, row: dict[str, Any], due_at: str, why: str) -> dict[str, Any]:
    """A new planned call that retries `row` (itself a planned call or a retry) at `due_at`; returns it."""
    root = row["retry_of"] or row["call_key"]
    n = row["retry_n"] + 1
    key = f"{root}-r{n}"
    now = _now()
    with engine.begin() as conn:
        seq = (conn.execute(select(planned_calls.c.seq).where(planned_calls.c.campaign_id == row["campaign_id"])
                            .order_by(planned_calls.c.seq.desc()).limit(1)).scalar() or 0) + 1
        new = {**{k: v for k, v in row.items() if k != "id"}, "call_key": key, "seq": seq, "due_at": due_at,
               "state": "planned", "attempts": 0, "pid": None, "host": "", "retry_of": root, "retry_n": n,
               "plan": {**row["plan"], "call_id": key, "recording_name": f"{key}.wav"},
               "history": [{"at": now, "state": "planned", "detail": why}], "updated_at": now}
        conn.execute(insert(planned_calls).values(**new))
    return new


def planned(engine: Engine, campaign_id: int) -> list[dict[str, Any]]:
    """Every planned call of the campaign, in plan order."""
    with engine.connect() as conn:
        query = select(planned_calls).where(planned_calls.c.campaign_id == campaign_id).order_by(planned_calls.c.seq)
        return [dict(row) for row in conn.execute(query).mappings()]


def one(engine: Engine, call_key: str) -> dict[str, Any]:
    """One planned call, by its key."""
    with engine.connect() as conn:
        return dict(conn.execute(select(planned_calls).where(planned_calls.c.call_key == call_key)).mappings().one())


def plan_of(row: dict[str, Any], account: Account) -> CallPlan:
    """The row's CallPlan with this process's SIP account."""
    return dataclasses.replace(parse_plan(row["plan"], f"planned call {row['call_key']}"), account=account)


def move(engine: Engine, call_key: str, state: str, detail: str = "", result: CallResult | None = None,
         campaign_id: int | None = None) -> None:
    """Change a planned call's state and append it to its history; with `result`, store the call in the
    same transaction (a crash between the two cannot leave a stored call `dialling`, or a `done` call
    unstored). A call enters `dialling` only through `claim`, which counts the attempt and the host."""
    assert state in STATES and state != "dialling", state
    now = _now()
    with engine.begin() as conn:
        history = conn.execute(select(planned_calls.c.history)
                               .where(planned_calls.c.call_key == call_key)).scalar_one()
        entry = {"at": now, "state": state, **({"detail": detail} if detail else {})}
        conn.execute(update(planned_calls).where(planned_calls.c.call_key == call_key).values(
            state=state, updated_at=now, history=[*history, entry]))
        if result is not None:
            insert_call(conn, result, campaign_id)


def claim(engine: Engine, campaign_id: int, call_key: str, site_cap: int | None) -> str:
    """Take a planned call for this host, atomically across processes and hosts: "mine" (now `dialling`
    here), "taken" (another host has it, or it is settled), or "full" (its site already has `site_cap`
    calls on the line, on any host: try again later). Claims of one campaign are serialised by its lock
    (mystery_core.store.locks), so two hosts never take the same call nor overfill a site."""
    with locked_transaction(engine, f"mystery.campaign:{campaign_id}") as conn:
        row = conn.execute(select(planned_calls.c.state, planned_calls.c.site, planned_calls.c.attempts,
                                  planned_calls.c.history).where(planned_calls.c.call_key == call_key)).mappings().one()
        if row["state"] != "planned":
            return "taken"
        if row["site"] and site_cap:
            busy = conn.execute(select(func.count()).select_from(planned_calls).where(
                planned_calls.c.campaign_id == campaign_id, planned_calls.c.site == row["site"],
                planned_calls.c.state == "dialling")).scalar_one()
            if busy >= site_cap:
                return "full"
        now = _now()
        conn.execute(update(planned_calls).where(planned_calls.c.call_key == call_key).values(
            state="dialling", attempts=row["attempts"] + 1, pid=None, host=host_id(), updated_at=now,
            history=[*row["history"], {"at": now, "state": "dialling", "detail": f"on {host_id()}"}]))
        return "mine"


def set_pid(engine: Engine, call_key: str, pid: int) -> None:
    """The dialer process of a `dialling` call (to wait for it after the runner stopped)."""
    with engine.begin() as conn:
        conn.execute(update(planned_calls).where(planned_calls.c.call_key == call_key).values(pid=pid))


def counts(engine: Engine, campaign_id: int) -> dict[str, int]:
    """How many planned calls are in each state (every state listed, zeros included)."""
    tally = Counter(row["state"] for row in planned(engine, campaign_id))
    return {state: tally.get(state, 0) for state in STATES}
