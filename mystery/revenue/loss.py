"""Per-call loss probability and the re-weighting of the sample to the real call profile.

A mystery call stands for the real callers in the same situation: `q_i` is the chance that such
a caller is lost (model section 2), `w_i` how many real calls it stands for (hour of week).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

from mystery.records import CallResult

PERSON_OUTCOMES = frozenset({"human", "answered"})
"""Outcomes where a person (or, before audio analysis, the switchboard) picked up: loss depends on the wait."""

VOICEMAIL_OUTCOMES = frozenset({"voicemail"})

LOST_OUTCOMES = frozenset(
    {"no_answer", "busy", "rejected", "failed", "closed_message", "ivr_dead_end", "dropped", "abandoned_in_queue",
     "redirected"}
)
"""Outcomes where the caller never reached anyone: q = 1."""

WAIT_BASIS_HUMAN = "time_to_human"
WAIT_BASIS_PROVISIONAL = "time_to_answer (provisional)"


@dataclass(frozen=True, slots=True)
class CallObservation:
    """What the model needs from one mystery call.

    `wait_s` is INVITE -> live human (or -> 200 OK while audio analysis is missing, see
    `wait_basis`); None when nobody answered. `hour_of_week` is local time at the hotel,
    Monday 00:00 = 0; None disables re-weighting for the whole sample. `missed_items` are the
    script checklist items the agent missed (None: call not scored).
    """

    call_id: str
    outcome: str
    wait_s: float | None = None
    hour_of_week: int | None = None
    wait_basis: str = WAIT_BASIS_HUMAN
    missed_items: frozenset[str] | None = None

    def __post_init__(self) -> None:
        known = PERSON_OUTCOMES | VOICEMAIL_OUTCOMES | LOST_OUTCOMES
        if self.outcome not in known:
            raise ValueError(f"call {self.call_id}: unknown outcome {self.outcome!r}")
        if self.outcome in PERSON_OUTCOMES and (self.wait_s is None or self.wait_s < 0):
            raise ValueError(f"call {self.call_id}: outcome {self.outcome!r} needs a non-negative wait_s")
        if self.hour_of_week is not None and not 0 <= self.hour_of_week < 168:
            raise ValueError(f"call {self.call_id}: hour_of_week must be 0..167, got {self.hour_of_week}")

    @property
    def reached_person(self) -> bool:
        """True when the call was answered by a person (or by the switchboard, provisionally)."""
        return self.outcome in PERSON_OUTCOMES

    @property
    def unanswered(self) -> bool:
        """True for the plain "nobody answered" share (voicemail counts as unanswered)."""
        return not self.reached_person


def hour_of_week(started_at: str, timezone: str) -> int:
    """Hour of week (Monday 00:00 = 0) in the hotel's time zone for a UTC ISO 8601 timestamp."""
    moment = datetime.fromisoformat(started_at.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    local = moment.astimezone(ZoneInfo(timezone))
    return local.weekday() * 24 + local.hour


def observe(result: CallResult, timezone: str, missed_items: frozenset[str] | None = None) -> CallObservation:
    """Turn a stored call into the model's input; prefers time to a human over time to answer."""
    wait: float | None
    if result.time_to_human_s is not None:
        wait, basis = result.time_to_human_s, WAIT_BASIS_HUMAN
    else:
        wait, basis = result.time_to_answer_s, WAIT_BASIS_PROVISIONAL
    outcome = result.outcome
    if outcome in PERSON_OUTCOMES and wait is None:
        outcome = "dropped"  # answered but no usable timing: cannot be a success we can measure
    try:
        hour = hour_of_week(result.started_at, timezone) if result.started_at else None
    except ValueError:
        hour = None
    return CallObservation(
        call_id=result.call_id,
        outcome=outcome,
        wait_s=wait if outcome in PERSON_OUTCOMES else None,
        hour_of_week=hour,
        wait_basis=basis,
        missed_items=missed_items,
    )


def wait_basis(calls: Iterable[CallObservation]) -> str:
    """"time_to_human" only when every answered call's wait is the wait to a live person."""
    answered = [c for c in calls if c.reached_person]
    if answered and all(c.wait_basis == WAIT_BASIS_HUMAN for c in answered):
        return WAIT_BASIS_HUMAN
    return WAIT_BASIS_PROVISIONAL if answered else WAIT_BASIS_HUMAN


def loss_probability(call: CallObservation, patience_s: float, voicemail_loss: float) -> float:
    """q_i: never answered -> 1; voicemail -> q_voicemail; person after W -> 1 - exp(-W / tau)."""
    if call.reached_person:
        assert call.wait_s is not None
        return float(-np.expm1(-call.wait_s / patience_s))
    if call.outcome in VOICEMAIL_OUTCOMES:
        return voicemail_loss
    return 1.0


@dataclass(frozen=True, slots=True)
class CallArrays:
    """The sample as arrays, so Monte Carlo can evaluate thousands of draws at once."""

    waits: np.ndarray        # wait_s, 0 where not answered by a person
    by_wait: np.ndarray      # bool: loss depends on the wait
    voicemail: np.ndarray    # bool
    buckets: np.ndarray      # hour of week, or -1 when re-weighting is off
    reweighted: bool


def to_arrays(calls: Sequence[CallObservation]) -> CallArrays:
    """Pack observations; re-weighting is on only when every call has an hour of week."""
    reweighted = bool(calls) and all(c.hour_of_week is not None for c in calls)
    return CallArrays(
        waits=np.array([c.wait_s if c.reached_person else 0.0 for c in calls], dtype=float),
        by_wait=np.array([c.reached_person for c in calls], dtype=bool),
        voicemail=np.array([c.outcome in VOICEMAIL_OUTCOMES for c in calls], dtype=bool),
        buckets=np.array([c.hour_of_week if reweighted else -1 for c in calls], dtype=int),
        reweighted=reweighted,
    )


def loss_matrix(arrays: CallArrays, index: np.ndarray, patience_s: np.ndarray, voicemail_loss: float) -> np.ndarray:
    """q for resampled calls: `index` is (draws, n) call indices, `patience_s` is (draws,)."""
    waits = arrays.waits[index]
    by_wait = arrays.by_wait[index]
    fixed_q = np.where(arrays.voicemail[index], voicemail_loss, 1.0)
    return np.where(by_wait, -np.expm1(-waits / patience_s[:, None]), fixed_q)


def weight_matrix(arrays: CallArrays, index: np.ndarray, profile: np.ndarray) -> np.ndarray:
    """w_i = h(hour_i) / share of (resampled) mystery calls in that hour; 1 when re-weighting is off.

    A draw whose calls all fall in hours with no real traffic falls back to equal weights rather
    than dividing by zero.
    """
    if not arrays.reweighted:
        return np.ones(index.shape)
    draws, n = index.shape
    buckets = arrays.buckets[index]
    counts = np.zeros((draws, profile.size))
    np.add.at(counts, (np.repeat(np.arange(draws), n), buckets.ravel()), 1.0)
    share = np.take_along_axis(counts, buckets, axis=1) / n
    weights = profile[buckets] / share
    empty = weights.sum(axis=1) <= 0
    weights[empty] = 1.0
    return weights


def failure_probabilities(
    arrays: CallArrays, index: np.ndarray, patience_s: np.ndarray, voicemail_loss: float, profile: np.ndarray
) -> np.ndarray:
    """P_fail = sum(w q) / sum(w) for each row of `index`."""
    q = loss_matrix(arrays, index, patience_s, voicemail_loss)
    w = weight_matrix(arrays, index, profile)
    return (w * q).sum(axis=1) / w.sum(axis=1)
