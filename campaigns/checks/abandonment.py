"""Campaign-level rules: the share of live-answered calls that were abandoned, per period.

These are not about one call, so the audit feeds every call in and asks for findings at the end;
the guard does not evaluate them (they throttle pacing, they do not block a number).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from campaigns.model.call import Call
from campaigns.model.localtime import day_to_date
from campaigns.model.records import Finding

LIVE = frozenset({"answered", "abandoned", "refused", "opt_out"})

AbandonState = dict[tuple[str, Any], Any]
"""(campaign, period) -> [live calls, abandoned calls, example call ids]; ("first", campaign) -> its first day."""


@dataclass(frozen=True, slots=True)
class AbandonParams:
    max_rate: float
    period_days: int  # consecutive periods from the campaign's first call; 1 = calendar day


def prepare_abandon(params: Mapping[str, Any]) -> AbandonParams:
    return AbandonParams(float(params.get("max_rate", 0.03)), int(params.get("period_days", 30)))


def add_abandon(state: AbandonState, call: Call, p: AbandonParams) -> None:
    campaign = call.attempt.campaign
    first = state.setdefault(("first", campaign), call.day)
    period = (call.day - first) // p.period_days if p.period_days > 1 else call.day
    key = (campaign, period)
    counts = state.get(key)
    if counts is None:
        counts = state[key] = [0, 0, []]
    disposition = call.attempt.disposition
    if disposition in LIVE:
        counts[0] += 1
        if disposition == "abandoned":
            counts[1] += 1
            if len(counts[2]) < 20:
                counts[2].append(call.attempt.call_id)


def finish_abandon(state: AbandonState, rule: Any, p: AbandonParams) -> list[tuple[str, Finding]]:
    out = []
    for key, counts in sorted((k, v) for k, v in state.items() if k[0] != "first"):
        campaign, period = key
        live, abandoned, examples = counts
        if not live or abandoned / live <= p.max_rate:
            continue
        first = state[("first", campaign)]
        start = first + period * p.period_days if p.period_days > 1 else period
        end = start + max(p.period_days, 1) - 1
        out.append((campaign, Finding(
            rule.id, f"campaign {campaign}: {abandoned} abandoned of {live} live calls "
                     f"({abandoned / live:.1%} > {p.max_rate:.0%}) from {day_to_date(start)} to {day_to_date(end)}",
            {"campaign": campaign, "live_calls": live, "abandoned": abandoned, "rate": round(abandoned / live, 4),
             "max_rate": p.max_rate, "period": [str(day_to_date(start)), str(day_to_date(end))],
             "example_call_ids": examples})))
    return out


@dataclass(frozen=True, slots=True)
class Aggregate:
    name: str
    doc: str
    prepare: Callable[[Mapping[str, Any]], Any]
    add: Callable[[dict[Any, Any], Call, Any], None]
    finish: Callable[[dict[Any, Any], Any, Any], list[tuple[str, Finding]]]


AGGREGATES = (
    Aggregate("abandonment_rate", "abandoned share of live calls per campaign and period at most N",
              prepare_abandon, add_abandon, finish_abandon),
)
