"""How often a person may be called: caps over a window, minimum gaps, daily caps.

Counts are per principal and person (summed over operators and numbers, reference section 7).
Which outcomes count is a parameter: by default every dial except a carrier `failed`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from campaigns.checks.base import Check, NotEvaluated, Outcome
from campaigns.model.call import Call
from campaigns.model.facts import Facts
from campaigns.model.history import Past, PersonHistory
from campaigns.model.localtime import wall_to_utc
from campaigns.model.records import Finding


@dataclass(frozen=True, slots=True)
class FrequencyParams:
    max_attempts: int
    window_days: int  # calendar days by local date, counting the day of the call (0 = use hours)
    window_s: float  # rolling seconds (0 = use days)
    count_failed: bool
    same_campaign: bool
    states: frozenset[str]
    purposes: frozenset[str]  # purposes of the earlier attempts that count (empty = every purpose)


def prepare_frequency(params: Mapping[str, Any]) -> FrequencyParams:
    days = int(params.get("window_days", 0))
    hours = float(params.get("window_hours", 0))
    if bool(days) == bool(hours):
        raise ValueError("give exactly one of window_days or window_hours")
    subject = str(params.get("subject", "principal"))
    if subject not in {"principal", "campaign"}:
        raise ValueError(f"subject: expected principal or campaign, got {subject!r}")
    return FrequencyParams(int(params["max_attempts"]), days, hours * 3600, bool(params.get("count_failed", False)),
                           subject == "campaign", frozenset(params.get("states", ())),
                           frozenset(params.get("count_purposes", ())))


def counted(call: Call, history: PersonHistory | None, p: FrequencyParams) -> list[Past]:
    """Earlier attempts inside the window ending at this call, oldest first."""
    if history is None:
        return []
    out = []
    ts = call.attempt.ts
    first_day = call.day - p.window_days + 1
    horizon = ts - p.window_s
    campaign = call.attempt.campaign
    for past in reversed(history.attempts):
        if past.ts > ts:
            continue
        if (past.day < first_day) if p.window_days else (past.ts <= horizon):
            break
        if past.disposition == "failed" and not p.count_failed:
            continue
        if p.same_campaign and past.campaign != campaign:
            continue
        if p.purposes and past.purpose not in p.purposes:
            continue
        out.append(past)
    out.reverse()
    return out


def _state_of(call: Call) -> str:
    return call.region if len(call.region) == 2 else call.phone.us_state


def eval_frequency(call: Call, rule: Any, p: FrequencyParams, history: PersonHistory | None,
                   facts: Facts) -> Outcome:
    if history is None or len(history.attempts) < p.max_attempts:
        return None  # fewer earlier attempts than the cap, whatever the window
    if call.attempt.disposition == "failed" and not p.count_failed:
        return None
    if p.states:
        state = _state_of(call) if call.phone.country == "US" else ""
        if not state:
            return None if call.phone.country != "US" else NotEvaluated("field region absent (US state unknown)")
        if state not in p.states:
            return None
    earlier = counted(call, history, p)
    if len(earlier) < p.max_attempts:
        return None
    oldest_that_must_leave = earlier[len(earlier) - p.max_attempts]
    if p.window_days:
        zone = call.locals[0].zone if call.locals else "UTC"
        not_before = wall_to_utc(zone, oldest_that_must_leave.day + p.window_days, 0)
    else:
        not_before = oldest_that_must_leave.ts + p.window_s
    count = len(earlier) + 1
    return Finding(rule.id, frequency_message(count, p),
                   frequency_evidence(count, p, call.person_key, call.person_basis,
                                      [past.as_json() for past in earlier]),
                   max(not_before, call.attempt.ts))


# Message and evidence of a frequency finding: written here once, called by eval_frequency and by the
# columnar engine's array verdict (campaigns/engines/columnar/verdicts.py).


def frequency_window(p: FrequencyParams) -> str:
    """The window as findings name it."""
    if p.window_days:
        return f"{p.window_days} calendar days (local dates, day of the call included)"
    return f"rolling {p.window_s / 3600:g} h"


def frequency_message(count: int, p: FrequencyParams) -> str:
    """count: the attempts in the window, this one included."""
    return f"attempt {count} to this person within {frequency_window(p)}; the cap is {p.max_attempts}"


def frequency_evidence(count: int, p: FrequencyParams, person_key: str, basis: str,
                       earlier: list[dict[str, object]]) -> dict[str, Any]:
    """earlier: Past.as_json of the earlier attempts counted, oldest first."""
    return {"count_including_this": count, "cap": p.max_attempts, "window": frequency_window(p),
            "person_key": person_key, "person_key_basis": basis, "earlier_attempts": earlier}


@dataclass(frozen=True, slots=True)
class GapParams:
    gap_s: float
    count_failed: bool


def prepare_gap(params: Mapping[str, Any]) -> GapParams:
    return GapParams(float(params["hours"]) * 3600, bool(params.get("count_failed", False)))


def eval_min_gap(call: Call, rule: Any, p: GapParams, history: PersonHistory | None, facts: Facts) -> Outcome:
    if history is None:
        return None
    ts = call.attempt.ts
    for past in reversed(history.attempts):
        if past.ts > ts:
            continue
        if past.ts <= ts - p.gap_s:
            return None
        if past.disposition == "failed" and not p.count_failed:
            continue
        minutes = (ts - past.ts) / 60
        return Finding(rule.id, f"second attempt to this person {minutes:.0f} min after the previous one "
                                f"(minimum gap {p.gap_s / 3600:g} h, across numbers)",
                       {"previous_attempt": past.as_json(), "gap_minutes": round(minutes, 1),
                        "person_key": call.person_key, "person_key_basis": call.person_basis},
                       past.ts + p.gap_s)
    return None


@dataclass(frozen=True, slots=True)
class DailyParams:
    max_attempts: int
    count_failed: bool


def prepare_daily(params: Mapping[str, Any]) -> DailyParams:
    return DailyParams(int(params["max_attempts"]), bool(params.get("count_failed", False)))


def eval_max_per_day(call: Call, rule: Any, p: DailyParams, history: PersonHistory | None,
                     facts: Facts) -> Outcome:
    if history is None:
        return None
    ts = call.attempt.ts
    today = [past for past in history.attempts
             if past.day == call.day and past.ts <= ts and (p.count_failed or past.disposition != "failed")]
    if len(today) < p.max_attempts:
        return None
    zone = call.locals[0].zone if call.locals else "UTC"
    return Finding(rule.id, f"attempt {len(today) + 1} to this person today; the cap is {p.max_attempts} a day",
                   {"earlier_attempts": [past.as_json() for past in today], "cap": p.max_attempts,
                    "person_key": call.person_key},
                   max(ts, wall_to_utc(zone, call.day + 1, 0)))


CHECKS = (
    Check("frequency", "at most N attempts per person and principal within a window", prepare_frequency,
          eval_frequency),
    Check("min_gap", "no second attempt to a person within N hours, across numbers", prepare_gap, eval_min_gap),
    Check("max_per_day", "at most N attempts per person per local day", prepare_daily, eval_max_per_day),
)
