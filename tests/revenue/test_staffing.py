"""Erlang C staffing what-if against textbook values and the service standard."""

from __future__ import annotations

import math

import pytest

from mystery.revenue.assumptions import apply_overrides, default_assumptions
from mystery.revenue.staffing import abandon_share, erlang_c, service_level, staffing_plan


def erlang_c_by_sum(agents: int, traffic: float) -> float:
    """Erlang C from its textbook definition, for comparison."""
    top = traffic ** agents / math.factorial(agents) * agents / (agents - traffic)
    bottom = sum(traffic ** k / math.factorial(k) for k in range(agents)) + top
    return top / bottom


@pytest.mark.parametrize(("agents", "traffic"), [(2, 1.0), (5, 3.5), (12, 10.0), (30, 25.0)])
def test_erlang_c_matches_the_textbook_formula(agents: int, traffic: float) -> None:
    assert erlang_c_by_sum(agents, traffic) == pytest.approx(erlang_c(agents, traffic), rel=1e-9)


def test_a_textbook_case_needs_eight_agents_for_80_percent_in_20_seconds() -> None:
    # 100 calls an hour x 3 min handling = 5 Erlangs.
    traffic = 100 * 180 / 3600
    assert service_level(7, traffic, 180, 20) < 0.8 <= service_level(8, traffic, 180, 20)


def test_more_agents_mean_fewer_abandoned_calls() -> None:
    shares = [abandon_share(m, 5.0, 240, 120) for m in range(4, 12)]
    assert shares == sorted(shares, reverse=True)
    assert 0 < shares[-1] < 0.02
    # Overloaded (4 agents for 5 Erlangs): Erlang A stays stable, at least the fluid share 1 - m/A hangs up.
    assert shares[0] >= 1 - 4 / 5


def test_erlang_a_abandonment_matches_a_single_agent_closed_form() -> None:
    # M/M/1+M with patience equal to the service time is M/M/inf-like in the queue: check against
    # a direct birth-death sum with the same rates (no truncation issues at this load).
    lam, mu, theta = 0.5, 1.0, 1.0
    weights = [1.0]
    for k in range(1, 200):
        weights.append(weights[-1] * lam / (mu + (k - 1) * theta))
    total = sum(weights)
    expected = sum(w * max(k - 1, 0) * theta for k, w in enumerate(weights)) / total / lam
    assert expected == pytest.approx(abandon_share(1, lam / mu, 1 / mu, 1 / theta), rel=1e-9)


def test_staffing_plan_meets_the_service_standard_every_hour() -> None:
    plans = staffing_plan(default_assumptions(1200))
    assert 168 == len(plans)  # the default profile has traffic every hour
    for plan in plans:
        assert plan.service_level >= 0.8
        assert plan.abandon_share < 0.05
        assert plan.last_agent_eur_per_month >= 0
    busiest = max(plans, key=lambda p: p.calls_per_hour)
    quietest = min(plans, key=lambda p: p.calls_per_hour)
    assert busiest.agents_needed >= quietest.agents_needed
    assert 1200 == pytest.approx(sum(p.calls_per_hour for p in plans) * 365.25 / 12 / 7)


def test_hours_without_real_calls_need_no_plan() -> None:
    profile = [1.0 if h == 10 else 0.0 for h in range(168)]
    a = apply_overrides(default_assumptions(1200), {"hourly_profile": profile}, "t")
    plans = staffing_plan(a)
    assert [10] == [p.hour_of_week for p in plans]
    assert "Mon 10:00" == plans[0].label
