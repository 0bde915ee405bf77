"""A stored campaign with the report's numbers computed now (not read from a written report).

The dashboard shows what the store holds at the moment of the request, so it computes the
estimate and the report context the same way `mystery report` does (mystery.report.build).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from console.web.recordings import recording_href
from mystery.records import CallResult
from mystery.report.build import campaign_assumptions, campaign_zones, estimate_campaign
from mystery.report.context import CallRow, ReportContext, build_context
from mystery.revenue.staffing import staffing_plan
from mystery.store import repo
from mystery_core.store.engine import Engine

T = TypeVar("T")


class NotFound(LookupError):
    """A campaign or call the URL names is not in the store; the message says what is known."""


@dataclass(frozen=True, slots=True)
class LiveCampaign:
    """One campaign as stored now: its row, calls, verdicts and the report context built from them."""

    row: Mapping[str, Any]
    calls: tuple[CallResult, ...]
    scores: Mapping[str, Sequence[Mapping[str, Any]]]
    context: ReportContext

    @property
    def name(self) -> str:
        return str(self.row["name"])

    def call(self, call_key: str) -> tuple[CallResult, CallRow]:
        for call, row in zip(self.calls, self.context.calls, strict=True):
            if call.call_id == call_key:
                return call, row
        raise NotFound(f"no call {call_key!r} in campaign {self.name!r}")


class Memo:
    """Results by a digest of everything they are computed from (bounded, thread-safe).

    The Monte Carlo estimate (about a second per 200 calls) and the staffing plan (half a
    second) are deterministic, so a page shown again with an unchanged store reuses them; any
    change (a new call, a re-analysis, new verdicts, other assumptions) changes the digest.
    """

    def __init__(self, size: int = 128) -> None:
        self.size = size
        self._items: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, inputs: tuple[Any, ...], compute: Callable[[], T]) -> T:
        key = hashlib.sha256(repr(inputs).encode()).hexdigest()
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = compute()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value


MEMO = Memo()


def find_campaign(engine: Engine, name: str) -> dict[str, Any]:
    """The campaign row by name or id; NotFound (with the known names) otherwise."""
    from mystery_core.errors import InputError

    try:
        return repo.find_campaign(engine, name)
    except InputError as error:
        raise NotFound(error.problem) from None


def load_campaign(engine: Engine, row: Mapping[str, Any], recordings_dir: Path,
                  staffing: bool = True) -> LiveCampaign:
    """Calls, verdicts and estimate of a campaign row; recordings linked under /recordings/.

    A row with id None stands for the calls stored without a campaign (`mystery call`).
    `staffing=False` leaves out the staffing grid (the campaigns list does not show it).
    """
    if row["id"] is None:
        loose = repo.load_loose_call_keys(engine)
        calls = tuple(c for c in repo.load_calls(engine) if c.call_id in loose)
        scores: Mapping[str, Sequence[Mapping[str, Any]]] = {}
    else:
        calls = tuple(repo.load_calls(engine, row["id"]))
        scores = repo.load_scores(engine, row["id"])
    assumptions = campaign_assumptions(row)
    zones = campaign_zones(row)
    estimate, note = MEMO.get(("estimate", sorted(row.items()), calls, sorted(scores.items()), assumptions),
                              lambda: estimate_campaign(calls, scores, assumptions, zones))
    plan = MEMO.get(("staffing", assumptions), lambda: staffing_plan(assumptions)) \
        if staffing and estimate is not None else ()
    hrefs = {call.call_id: recording_href(call.recording, recordings_dir) for call in calls}
    context = build_context(
        row, calls, scores, estimate, note, hrefs, assumptions.timezone,
        datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC (live)"),
        plan, zones,
    )
    return LiveCampaign(row, calls, scores, context)


def load_call_campaign(engine: Engine, call_key: str, recordings_dir: Path) -> LiveCampaign:
    """The campaign that holds the call `call_key` (the call page needs its row number and loss)."""
    found, campaign_id = repo.find_call_campaign(engine, call_key)
    if not found:
        raise NotFound(f"no call {call_key!r} in the store")
    if campaign_id is None:
        row: dict[str, Any] = {"id": None, "name": "(calls without a campaign)", "client": "", "scenario": {}}
    else:
        row = find_campaign(engine, str(campaign_id))
    return load_campaign(engine, row, recordings_dir)


def campaign_summary(live: LiveCampaign) -> dict[str, Any]:
    """The campaigns-list row (also the JSON of /api/campaigns): counts, outcomes, medians, estimate."""
    context, row = live.context, live.row
    estimate = context.estimate
    money = None
    if estimate is not None:
        interval = estimate.access_loss_eur
        money = {"central_eur": interval.central, "p10_eur": interval.p10, "p50_eur": interval.p50,
                 "p90_eur": interval.p90, "per_thousand_calls": estimate.per_thousand_calls,
                 "wait_basis": estimate.wait_basis}
    return {
        "id": row["id"],
        "name": live.name,
        "client": row.get("client") or "",
        "status": row.get("status") or "",
        "created_at": row.get("created_at"),
        "finished_at": row.get("finished_at"),
        "calls": len(live.calls),
        "answered": context.overall.answered,
        "outcomes": {o.outcome: o.count for o in context.outcomes},
        "unanswered_share": context.headline.unanswered_share if live.calls else None,
        "median_time_to_answer_s": context.overall.time_to_answer.median_s,
        "median_time_to_human_s": context.overall.time_to_human.median_s,
        "script_score": context.overall.score_share,
        "estimate": money,
        "estimate_note": context.estimate_note,
    }
