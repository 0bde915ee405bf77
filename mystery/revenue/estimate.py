"""From mystery calls + assumptions to money lost per month, with a range and its weakest link.

lost_intents = N x P_fail x (1 - rho);  access_loss = lost_intents x d x c x v x s
(lost_revenue_model.md sections 3-4). Pure: same calls, assumptions and seed -> same numbers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from mystery.revenue.assumptions import Assumptions, Parameter
from mystery.revenue.loss import (
    CallObservation,
    failure_probabilities,
    loss_probability,
    to_arrays,
    wait_basis,
    weight_matrix,
)

BATCH = 2_000  # draws evaluated at once: bounds memory to BATCH x n floats per array


@dataclass(frozen=True, slots=True)
class Interval:
    """A central value with the 10th, 50th and 90th percentiles around it."""

    central: float
    p10: float
    p50: float
    p90: float


@dataclass(frozen=True, slots=True)
class TornadoBar:
    """How far the estimate moves when one assumption goes to the low / high end of its range."""

    symbol: str
    label: str
    low_input: float
    high_input: float
    low_eur: float
    high_eur: float

    @property
    def swing_eur(self) -> float:
        """Width of the bar: the spread this assumption alone causes."""
        return abs(self.high_eur - self.low_eur)


@dataclass(frozen=True, slots=True)
class CallLoss:
    """One mystery call's contribution: its loss probability and its weight in the sample."""

    call_id: str
    outcome: str
    wait_s: float | None
    loss_probability: float
    weight: float


@dataclass(frozen=True, slots=True)
class RevenueEstimate:
    """Everything the report prints about lost revenue.

    `access_loss_eur` is the headline (callers who never got a person); `handling_loss_eur` is
    separate (agents who answered but missed checklist items), None when no call was scored.
    `per_thousand_calls` is True when N was not given and money is per 1,000 calls a month.
    """

    access_loss_eur: Interval
    failure_probability: Interval          # weighted P_fail; p10/p90 from the bootstrap alone
    lost_intents: float                    # central N x P_fail x (1 - rho)
    unanswered: int
    calls: int
    unanswered_share: float
    unanswered_wilson_low: float
    unanswered_wilson_high: float
    wait_basis: str
    reweighted: bool
    profile_coverage: float | None         # share of real traffic in the hours the calls sampled
    tornado: tuple[TornadoBar, ...]
    handling_loss_eur: float | None
    handling_calls_scored: int
    per_call: tuple[CallLoss, ...]
    assumptions: Assumptions
    per_thousand_calls: bool

    @property
    def weakest_assumption(self) -> str:
        """Label of the tornado's widest bar: the input to pin down first."""
        return self.tornado[0].label


def access_loss(
    p_fail: np.ndarray | float,
    n: float,
    retry: np.ndarray | float,
    intent: np.ndarray | float,
    conversion: np.ndarray | float,
    value_eur: float,
    displaced: np.ndarray | float,
) -> np.ndarray | float:
    """Money lost per month because nobody answered: N x P x (1 - rho) x d x c x v x s."""
    return n * p_fail * (1 - retry) * intent * conversion * value_eur * displaced


def _draw(parameter: Parameter, rng: np.random.Generator, size: int) -> np.ndarray:
    if not parameter.uncertain:
        return np.full(size, parameter.value)
    if parameter.distribution == "log_uniform":
        return np.exp(rng.uniform(np.log(parameter.low), np.log(parameter.high), size))
    return rng.uniform(parameter.low, parameter.high, size)


def _central_loss(calls: Sequence[CallObservation], a: Assumptions) -> tuple[float, float, np.ndarray, np.ndarray]:
    arrays = to_arrays(calls)
    index = np.arange(len(calls))[None, :]
    profile = np.asarray(a.hourly_profile)
    p = float(failure_probabilities(arrays, index, np.array([a.patience_s.value]), a.voicemail_loss.value, profile)[0])
    money = float(
        access_loss(p, a.monthly_calls, a.retry_share.value, a.intent_share.value, a.conversion.value,
                    a.booking_value_eur, a.displaced_share.value)
    )
    q = np.array([loss_probability(c, a.patience_s.value, a.voicemail_loss.value) for c in calls])
    w = weight_matrix(arrays, index, profile)[0]
    return money, p, q, w


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval: honest for small samples and for shares near 0 or 1."""
    ci = stats.binomtest(successes, trials).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


def handling_loss(calls: Sequence[CallObservation], a: Assumptions) -> tuple[float | None, int]:
    """Conversion lost on answered calls whose agent missed checklist items (reported apart).

    For a scored call answered by a person: m = product of the multipliers of missed items;
    loss = N x d x c x v x s x sum(w (1 - q) (1 - m)) / sum(w), over all calls' weights, where
    (1 - q) is the share of real callers who stay on the line until the agent speaks.
    """
    scored = [c for c in calls if c.reached_person and c.missed_items is not None]
    if not scored:
        return None, 0
    multipliers = dict(a.handling_multipliers)
    arrays = to_arrays(calls)
    weights = weight_matrix(arrays, np.arange(len(calls))[None, :], np.asarray(a.hourly_profile))[0]
    total = 0.0
    for call, weight in zip(calls, weights, strict=True):
        if not (call.reached_person and call.missed_items is not None):
            continue
        m = float(np.prod([multipliers[item] for item in call.missed_items if item in multipliers]))
        q = loss_probability(call, a.patience_s.value, a.voicemail_loss.value)
        total += weight * (1 - q) * (1 - m)
    share = total / weights.sum()
    money = a.monthly_calls * share * a.intent_share.value * a.conversion.value * a.booking_value_eur \
        * a.displaced_share.value
    return float(money), len(scored)


def tornado(calls: Sequence[CallObservation], a: Assumptions, bootstrap_p: np.ndarray) -> tuple[TornadoBar, ...]:
    """One bar per uncertain assumption (low and high end, others central), plus the call sample.

    The sample bar uses the bootstrap P10/P90 of P_fail: with 40 calls it is often the widest.
    """
    bars = []
    for name in ("patience_s", "retry_share", "conversion", "intent_share", "displaced_share", "voicemail_loss",
                 "adr_eur", "nights", "rooms"):
        parameter: Parameter = getattr(a, name)
        if not parameter.uncertain:
            continue
        ends = []
        for end in (parameter.low, parameter.high):
            change: dict[str, Any] = {name: dataclasses.replace(parameter, value=end)}
            moved = dataclasses.replace(a, **change)
            ends.append(_central_loss(calls, moved)[0])
        bars.append(TornadoBar(parameter.symbol, parameter.label, parameter.low, parameter.high, ends[0], ends[1]))
    p10, p90 = np.percentile(bootstrap_p, [10, 90])
    factor = a.monthly_calls * (1 - a.retry_share.value) * a.intent_share.value * a.conversion.value \
        * a.booking_value_eur * a.displaced_share.value
    bars.append(TornadoBar("n", f"Which {len(calls)} calls were sampled",
                           float(p10), float(p90), float(p10 * factor), float(p90 * factor)))
    return tuple(sorted(bars, key=lambda bar: bar.swing_eur, reverse=True))


def estimate_revenue(calls: Sequence[CallObservation], assumptions: Assumptions) -> RevenueEstimate:
    """Central value, P10/P50/P90 (bootstrap of calls x Monte Carlo of assumptions), tornado.

    Raises ValueError for an empty sample: an estimate from no calls is not shown.
    """
    if not calls:
        raise ValueError("no usable mystery calls: the lost-revenue estimate needs at least one")
    a = assumptions
    n = len(calls)
    central, p_central, q, w = _central_loss(calls, a)
    arrays = to_arrays(calls)
    profile = np.asarray(a.hourly_profile)
    rng = np.random.default_rng(a.seed)

    money_draws, p_boot = [], []
    remaining = a.draws
    while remaining > 0:
        size = min(BATCH, remaining)
        remaining -= size
        index = rng.integers(0, n, size=(size, n))
        tau = _draw(a.patience_s, rng, size)
        retry = _draw(a.retry_share, rng, size)
        conversion = _draw(a.conversion, rng, size)
        intent = _draw(a.intent_share, rng, size)
        displaced = _draw(a.displaced_share, rng, size)
        p = failure_probabilities(arrays, index, tau, a.voicemail_loss.value, profile)
        money_draws.append(access_loss(p, a.monthly_calls, retry, intent, conversion, a.booking_value_eur, displaced))
        # The same resamples at central patience: the sampling spread alone.
        p_boot.append(failure_probabilities(arrays, index, np.full(size, a.patience_s.value),
                                            a.voicemail_loss.value, profile))
    money = np.concatenate(money_draws)
    boot = np.concatenate(p_boot)
    p10, p50, p90 = np.percentile(money, [10, 50, 90])
    b10, b50, b90 = np.percentile(boot, [10, 50, 90])

    unanswered = sum(1 for c in calls if c.unanswered)
    low, high = wilson_interval(unanswered, n)
    handling, scored = handling_loss(calls, a)
    return RevenueEstimate(
        access_loss_eur=Interval(central, float(p10), float(p50), float(p90)),
        failure_probability=Interval(p_central, float(b10), float(b50), float(b90)),
        lost_intents=a.monthly_calls * p_central * (1 - a.retry_share.value),
        unanswered=unanswered,
        calls=n,
        unanswered_share=unanswered / n,
        unanswered_wilson_low=low,
        unanswered_wilson_high=high,
        wait_basis=wait_basis(calls),
        reweighted=arrays.reweighted,
        profile_coverage=float(profile[np.unique(arrays.buckets)].sum()) if arrays.reweighted else None,
        tornado=tornado(calls, a, boot),
        handling_loss_eur=handling,
        handling_calls_scored=scored,
        per_call=tuple(
            CallLoss(c.call_id, c.outcome, c.wait_s, float(qi), float(wi))
            for c, qi, wi in zip(calls, q, w / w.sum() * n, strict=True)
        ),
        assumptions=a,
        per_thousand_calls=a.calls_per_month is None,
    )
