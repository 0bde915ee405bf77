"""Re-weighting by hour of week, handling loss, calibration, and bad assumption input."""

from __future__ import annotations

import math

import pytest

from mystery.records import CallResult
from mystery.revenue.assumptions import apply_overrides, calibrate_patience, default_assumptions
from mystery.revenue.estimate import estimate_revenue
from mystery.revenue.loss import CallObservation, hour_of_week, observe
from mystery_core.errors import InputError


def profile_with(hours: dict[int, float]) -> list[float]:
    return [hours.get(h, 0.0) for h in range(168)]


def test_calls_are_reweighted_to_the_real_hourly_profile() -> None:
    # 3 mystery calls at Monday 13:00 (all answered at once), 1 at Monday 10:00 (unanswered).
    calls = [CallObservation(f"lunch{i}", "human", wait_s=0.0, hour_of_week=13) for i in range(3)]
    calls.append(CallObservation("morning", "no_answer", hour_of_week=10))
    # Real traffic: half at 10:00, half at 13:00 -> the lone morning call weighs as much as the three at lunch.
    a = apply_overrides(default_assumptions(1000), {"hourly_profile": profile_with({10: 1, 13: 1})}, "test")
    estimate = estimate_revenue(calls, a)
    assert estimate.reweighted
    assert pytest.approx(estimate.failure_probability.central) == 0.5
    unweighted = estimate_revenue([CallObservation(c.call_id, c.outcome, c.wait_s) for c in calls], a)
    assert not unweighted.reweighted
    assert pytest.approx(unweighted.failure_probability.central) == 0.25


def test_a_call_in_an_hour_with_no_real_traffic_does_not_count() -> None:
    calls = [CallObservation("day", "human", wait_s=0.0, hour_of_week=10),
             CallObservation("night", "no_answer", hour_of_week=3)]
    a = apply_overrides(default_assumptions(1000), {"hourly_profile": profile_with({10: 1})}, "test")
    assert estimate_revenue(calls, a).failure_probability.central == 0.0


def test_hour_of_week_is_local_time_at_the_hotel() -> None:
    # Monday 2026-11-23 08:30 UTC is 09:30 in Paris (CET).
    assert hour_of_week("2026-11-23T08:30:00+00:00", "Europe/Paris") == 9
    assert hour_of_week("2026-11-29T22:10:00Z", "Europe/Paris") == 6 * 24 + 23  # Sunday 23:10 Paris


def test_a_stored_call_prefers_time_to_human_and_marks_time_to_answer_provisional() -> None:
    base = CallResult(call_id="c1", target_uri="sip:x@127.0.0.1", outcome="human",
                      started_at="2026-11-23T08:30:00+00:00", time_to_answer_s=4.0)
    provisional = observe(base, "Europe/Paris")
    assert (provisional.wait_s, provisional.wait_basis) == (4.0, "time_to_answer (provisional)")
    from dataclasses import replace
    audio = observe(replace(base, time_to_human_s=40.0), "Europe/Paris")
    assert (audio.wait_s, audio.wait_basis) == (40.0, "time_to_human")
    assert audio.hour_of_week == 9
    busy = observe(replace(base, outcome="busy", time_to_answer_s=None), "Europe/Paris")
    assert busy.wait_s is None and busy.unanswered


def test_handling_loss_is_separate_and_uses_the_checklist_multipliers() -> None:
    a = default_assumptions(1000, adr_eur=100.0, nights=1.0)
    perfect = CallObservation("p", "human", wait_s=0.0, missed_items=frozenset())
    sloppy = CallObservation("s", "human", wait_s=0.0, missed_items=frozenset({"availability", "rate"}))
    both = estimate_revenue([perfect, sloppy], a)
    # Half the calls lose (1 - 0.6 x 0.75) of their conversion.
    expected = 1000 * 0.5 * (1 - 0.6 * 0.75) * 0.8 * 0.35 * 100 * 0.6
    assert expected == pytest.approx(both.handling_loss_eur)
    assert both.handling_calls_scored == 2
    assert both.access_loss_eur.central == 0.0  # never added into the headline
    unscored = estimate_revenue([CallObservation("u", "human", wait_s=0.0)], a)
    assert unscored.handling_loss_eur is None


def test_patience_is_calibrated_from_the_clients_pbx_figures() -> None:
    assert calibrate_patience(30.0, 0.2) == 150.0
    a = apply_overrides(default_assumptions(1000), {"mean_wait_s": 30, "abandonment_rate": 0.2}, "client.yaml")
    assert a.patience_s.value == 150.0
    assert "Calibrated" in a.patience_s.source
    with pytest.raises(ValueError):
        calibrate_patience(30.0, 0.0)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"conversion": 1.5}, "client.yaml: conversion: expected a share between 0 and 1, got 0.28..1.5"),
        ({"patience_s": "long"}, "client.yaml: patience_s: expected a number, got 'long'"),
        ({"calls_per_month": -3}, "client.yaml: calls_per_month: expected a positive number of calls per month, got -3"),
        ({"abandonment_rate": 0.1}, "client.yaml: abandonment_rate: calibration needs both mean_wait_s and abandonment_rate"),
        ({"timezone": "Mars/Olympus"}, "client.yaml: timezone: unknown time zone 'Mars/Olympus'; expected e.g. Europe/Paris"),
    ],
)
def test_bad_assumptions_name_the_file_and_field(overrides: dict, message: str) -> None:
    with pytest.raises(InputError) as caught:
        apply_overrides(default_assumptions(1000), overrides, "client.yaml")
    assert message == str(caught.value)


def test_booking_value_is_adr_times_nights_times_rooms() -> None:
    a = default_assumptions(1000)
    assert math.isclose(119 * 1.8, a.booking_value_eur)
    assert math.isclose(119 * 1.8 * 2, apply_overrides(a, {"rooms": 2}, "t").booking_value_eur)


def test_profile_coverage_is_the_real_traffic_share_of_the_sampled_hours() -> None:
    profile = profile_with({10: 1, 13: 1, 15: 2})
    a = apply_overrides(default_assumptions(1000), {"hourly_profile": profile}, "test")
    calls = [CallObservation("a", "busy", hour_of_week=10), CallObservation("b", "busy", hour_of_week=10)]
    assert pytest.approx(0.25) == estimate_revenue(calls, a).profile_coverage
    assert estimate_revenue([CallObservation("c", "busy")], a).profile_coverage is None
