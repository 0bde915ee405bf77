"""Staffing what-if (lost_revenue_model.md section 6): agents per hour for the service standard.

From the monthly volume N, the hourly profile and the mean handling time: the service level
(answered within 20 s) from Erlang C, which ignores abandonment and so errs on the safe side,
and the abandoning share from Erlang A with the same patience τ as the loss model. It
answers "how many agents at 10:00 on a Monday, and what is one more agent-hour worth?".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from mystery.revenue.assumptions import Assumptions

WEEKS_PER_MONTH = 365.25 / 12 / 7  # each hour of week occurs this many times a month


def erlang_c(agents: int, traffic: float) -> float:
    """Probability that a call has to wait (Erlang C), from Erlang B via the Poisson law."""
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return 1.0
    blocking = stats.poisson.pmf(agents, traffic) / stats.poisson.cdf(agents, traffic)
    return float(agents * blocking / (agents - traffic * (1 - blocking)))


def service_level(agents: int, traffic: float, handle_s: float, answer_within_s: float) -> float:
    """Share of calls answered within `answer_within_s`: 1 - C(m, A) e^{-(m - A) t / AHT}."""
    if traffic <= 0:
        return 1.0
    if agents <= traffic:
        return 0.0
    return 1.0 - erlang_c(agents, traffic) * math.exp(-(agents - traffic) * answer_within_s / handle_s)


def abandon_share(agents: int, traffic: float, handle_s: float, patience_s: float) -> float:
    """Share of callers who hang up before an agent answers: Erlang A (M/M/m+M).

    The queue is a birth-death chain (arrivals λ; departures min(k, m)/AHT + max(k - m, 0)/τ)
    solved in log space and truncated far beyond any likely queue; by flow balance the
    abandoning share is Σ π_k (k - m)⁺ / τ / λ.
    """
    if traffic <= 0:
        return 0.0
    arrival = traffic / handle_s
    overflow = max(arrival - agents / handle_s, 0.0) * patience_s
    states = agents + int(20 * math.sqrt(traffic + 1) + 10 * overflow) + 200
    k = np.arange(1, states + 1)
    departures = np.minimum(k, agents) / handle_s + np.maximum(k - agents, 0) / patience_s
    log_p = np.concatenate(([0.0], np.cumsum(np.log(arrival) - np.log(departures))))
    p = np.exp(log_p - log_p.max())
    p /= p.sum()
    queued = np.maximum(np.arange(states + 1) - agents, 0)
    return float((p * queued).sum() / patience_s / arrival)


@dataclass(frozen=True, slots=True)
class HourPlan:
    """Staffing of one hour of the week (Monday 00:00 = 0)."""

    hour_of_week: int
    calls_per_hour: float
    traffic_erlangs: float
    agents_needed: int
    service_level: float
    abandon_share: float
    last_agent_eur_per_month: float   # revenue the last needed agent saves in this slot, per month
    last_agent_eur_per_hour: float    # the same per agent-hour worked

    @property
    def label(self) -> str:
        day = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[self.hour_of_week // 24]
        return f"{day} {self.hour_of_week % 24:02d}:00"


def staffing_plan(
    assumptions: Assumptions,
    handle_s: float | None = None,
    answer_within_s: float = 20.0,
    target_service_level: float = 0.8,
    max_abandon: float = 0.05,
    max_agents: int = 200,
) -> tuple[HourPlan, ...]:
    """Agents needed in each hour with traffic for 80 % answered in 20 s and < 5 % abandoned.

    The value of an agent is the booking revenue of the callers it keeps from hanging up:
    calls x Δabandon x (1 - ρ) x d x c x v x s.
    """
    a = assumptions
    handle_s = a.handle_time_s.value if handle_s is None else handle_s
    value_per_lost_call = (1 - a.retry_share.value) * a.intent_share.value * a.conversion.value \
        * a.booking_value_eur * a.displaced_share.value
    weekly_calls = a.monthly_calls / WEEKS_PER_MONTH
    plans = []
    for hour, share in enumerate(np.asarray(a.hourly_profile)):
        calls = weekly_calls * float(share)
        if calls <= 0:
            continue
        traffic = calls * handle_s / 3600
        agents = max(1, math.floor(traffic) + 1)
        while agents < max_agents and (
            service_level(agents, traffic, handle_s, answer_within_s) < target_service_level
            or abandon_share(agents, traffic, handle_s, a.patience_s.value) >= max_abandon
        ):
            agents += 1
        saved = abandon_share(agents - 1, traffic, handle_s, a.patience_s.value) \
            - abandon_share(agents, traffic, handle_s, a.patience_s.value)
        per_month = calls * WEEKS_PER_MONTH * saved * value_per_lost_call
        plans.append(HourPlan(
            hour_of_week=hour,
            calls_per_hour=calls,
            traffic_erlangs=traffic,
            agents_needed=agents,
            service_level=service_level(agents, traffic, handle_s, answer_within_s),
            abandon_share=abandon_share(agents, traffic, handle_s, a.patience_s.value),
            last_agent_eur_per_month=per_month,
            last_agent_eur_per_hour=per_month / WEEKS_PER_MONTH,
        ))
    return tuple(plans)
