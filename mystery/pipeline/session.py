"""One host's part in a campaign: claim a planned call, dial it, store its result and plan its retry.

Shared by the two ways calls reach this host: the in-process runner (mystery.pipeline.campaign, every
planned call of the campaign, on SQLite or PostgreSQL) and the job queue (mystery.pipeline.queue, one
call per job, on PostgreSQL). Either way the planned-call table decides: `planned.claim` hands a call to
one host only and holds the site's cap across hosts, and a call that may have rung is never dialled again.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from mystery.dial.runner import DialerCrashed, Packer
from mystery.pipeline.adopt import adopt
from mystery.pipeline.runner import CrashedCall, Gates, TakenElsewhere
from mystery.pipeline.trunk import trunk_failure
from mystery.records import CallResult
from mystery.scenario.plan import Account, CallPlan
from mystery.scenario.retry import RetryPolicy, next_open_s
from mystery.store import planned, repo

CLAIM_RETRY_S = 1.0   # a call whose site is full (calls on other hosts) asks again this often


def site_caps(engine: Engine, campaign_id: int) -> dict[str, int]:
    """Each site's calls-at-once cap, from the scenario stored with the campaign (default 1)."""
    sites = (repo.find_campaign(engine, str(campaign_id))["scenario"] or {}).get("sites") or {}
    return {name: int(site.get("concurrency") or 1) for name, site in sites.items()}


def adopt_left_here(engine: Engine, campaign_id: int, account: Account) -> None:
    """Settle the calls a stopped runner of this host left `dialling` (another host's calls are its own)."""
    here = planned.host_id()
    for row in planned.planned(engine, campaign_id):
        if row["state"] == "dialling" and row["host"] in ("", here):
            adopt(engine, campaign_id, row, account)


class Session:
    """Claim, dial and store the calls of one campaign on this host.

    `rows`: the planned calls this host may dial, by call key (the runner loads them all; the queue adds
    each job's row as it comes). `on_retry`: where a retry goes (None: back to the caller of `store`, which
    dials it in this run; the queue defers it as a job instead)."""

    def __init__(self, engine: Engine, campaign_id: int, account: Account, packer: Packer, gates: Gates,
                 progress: Callable[[CallResult], None] | None = None, clock: Callable[[], float] = time.time,
                 on_retry: Callable[[dict[str, Any]], object] | None = None) -> None:
        self.engine, self.campaign_id, self.account, self.packer = engine, campaign_id, account, packer
        self.gates, self.progress, self.clock, self.on_retry = gates, progress, clock, on_retry
        self.caps = site_caps(engine, campaign_id)
        self.rows: dict[str, dict[str, Any]] = {}
        self.crashed: list[CrashedCall] = []

    async def dial(self, plan: CallPlan) -> CallResult:
        """Claim the call (waiting while its site is full on any host), then dial it."""
        cap = self.caps.get(self.gates.site_of.get(plan.call_id, ""))
        while (got := planned.claim(self.engine, self.campaign_id, plan.call_id, cap)) != "mine":
            if got == "taken":
                raise TakenElsewhere(plan.call_id)
            await asyncio.sleep(CLAIM_RETRY_S)
        try:
            return await self.packer.dial(plan, on_spawn=lambda pid: planned.set_pid(self.engine, plan.call_id, pid))
        except DialerCrashed as crash:
            if not crash.placed:   # never rang: run_calls may dial it again
                planned.move(self.engine, plan.call_id, "planned", f"dialer crashed before the INVITE: {crash}"[:500])
            raise

    def store(self, result: CallResult) -> list[CallPlan]:
        """Store a call's result with its row's new state; returns its retry to dial in this run, if any."""
        engine, account = self.engine, self.account
        why = trunk_failure(result, account)
        if why:   # not the hotel's doing: no call stored, and no further call until the trunk is fixed
            planned.move(engine, result.call_id, "planned", f"trunk failure: {why}"[:500])
            self.gates.paused = self.gates.paused or why
            repo.set_campaign_status(engine, self.campaign_id, "paused")   # at once: other hosts stop too
            return []
        row = self.rows[result.call_id]
        if row["retry_of"]:   # an extra call: the first result stays the campaign's (and the estimate's)
            result = dataclasses.replace(result, extra={**result.extra, "retry_of": row["retry_of"],
                                                        "retry": row["retry_n"]})
        state = "crashed_after_invite" if result.outcome == "unknown" else "done"
        planned.move(engine, result.call_id, state, result=result, campaign_id=self.campaign_id)
        if self.progress is not None:
            self.progress(result)
        retry = _retry(engine, row, result, self.clock())
        if retry is None:
            return []
        if self.on_retry is not None:
            self.on_retry(retry)
            return []
        self.rows[retry["call_key"]] = retry
        self.gates.due[retry["call_key"]] = datetime.fromisoformat(retry["due_at"]).timestamp()
        if retry["site"]:
            self.gates.site_of[retry["call_key"]] = retry["site"]
        return [planned.plan_of(retry, account)]

    def settle_crashes(self, crashes: list[CrashedCall]) -> None:
        """Calls whose dialer died twice before the INVITE: failed (a placed one was stored as it ended)."""
        for crash in crashes:
            if crash.partial is None:
                planned.move(self.engine, crash.plan.call_id, "failed", f"dialer crashed {crash.crashes} times "
                             f"before the INVITE: {crash.error}"[:500])


def _retry(engine: Engine, row: dict[str, Any], result: CallResult, now: float) -> dict[str, Any] | None:
    """The planned retry of `row` after `result`, if its group's policy asks for one and a window is left."""
    policy = row["policy"]
    if not policy or result.outcome == "unknown":
        return None
    rule = RetryPolicy(tuple(policy["on"]), float(policy["after_s"]), int(policy["max"]))
    if not rule.wants(result.outcome, result.sip_status, row["retry_n"]):
        return None
    due = next_open_s(now + rule.after_s, policy.get("runs"))
    if due is None:
        planned.move(engine, row["call_key"], "done", f"not retried after {result.outcome}: no window left")
        return None
    why = f"retry {row['retry_n'] + 1} of {rule.max} after {result.outcome} ({result.sip_status or '-'})"
    return planned.add_retry(engine, row, datetime.fromtimestamp(due, UTC).isoformat(), why)
