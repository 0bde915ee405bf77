"""Score segments against ground-truth phases: label accuracy by duration, time-to-human error.

Reusable on synthetic calls (truth by construction) and on the switchboard simulator's
ground-truth logs (the caller maps its phases onto `truth.LABELS`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from mystery.audio.truth import TruthPhase
from mystery.records import Segment

STEP_S = 0.01
FALSE_HUMAN_TOLERANCE_S = 0.5
"""Live human reported over non-human truth for longer than this makes the call a false-human call."""

NOT_HUMAN = ("hold_music", "noise", "announcement", "ivr_prompt", "voicemail_greeting", "ringback")


@dataclass(frozen=True)
class Evaluation:
    """How one call's segments compare with its truth."""

    label_accuracy: float                 # share of the truth's duration with the right label
    tth_error_s: float | None             # reported - true start of the first live human (None: neither has one)
    human_missed: bool                    # truth has a live human, segments do not
    false_human_s: float                  # seconds reported live_human over non-human truth
    false_human_over: tuple[str, ...]     # truth labels under those seconds
    confusion_s: dict[tuple[str, str], float] = field(default_factory=dict)  # (truth, reported) -> seconds

    @property
    def false_human(self) -> bool:
        return self.false_human_s > FALSE_HUMAN_TOLERANCE_S


def _paint(spans: Iterable[tuple[str, float, float]], n: int) -> np.ndarray:
    out = np.full(n, "", dtype=object)
    for label, start, end in spans:
        out[int(round(start / STEP_S)): int(round(end / STEP_S))] = label
    return out


def evaluate(segments: Sequence[Segment], truth_phases: Sequence[TruthPhase]) -> Evaluation:
    """Compare one call's segments with its truth phases (both timed from the recording start)."""
    end = max([p.end_s for p in truth_phases] + [0.0])
    n = int(round(end / STEP_S))
    truth = _paint(((p.label, p.start_s, p.end_s) for p in truth_phases), n)
    got = _paint(((s.label, s.start_s, s.end_s) for s in segments), n)
    scored = truth != ""
    accuracy = float(np.mean(truth[scored] == got[scored])) if scored.any() else 1.0
    true_human = next((p.start_s for p in truth_phases if p.label == "live_human"), None)
    got_human = next((s.start_s for s in segments if s.label == "live_human"), None)
    tth = None if true_human is None or got_human is None else got_human - true_human
    wrong = (got == "live_human") & np.isin(truth, NOT_HUMAN)
    confusion: dict[tuple[str, str], float] = {}
    pairs, counts = np.unique(np.stack([truth[scored], got[scored]], 1).astype(str), axis=0, return_counts=True)
    for (t, g), c in zip(pairs, counts, strict=True):
        confusion[(t, g)] = round(float(c) * STEP_S, 2)
    return Evaluation(
        label_accuracy=accuracy,
        tth_error_s=tth,
        human_missed=true_human is not None and got_human is None,
        false_human_s=float(np.count_nonzero(wrong) * STEP_S),
        false_human_over=tuple(sorted(set(truth[wrong].tolist()))),
        confusion_s=confusion,
    )


@dataclass(frozen=True)
class Summary:
    """Many calls at once: the acceptance numbers of issue 4."""

    calls: int
    label_accuracy: float                 # duration-weighted over all calls
    tth_abs_error_p50_s: float | None
    tth_abs_error_p95_s: float | None
    tth_abs_error_max_s: float | None
    humans_missed: int
    false_human_calls: int
    worst: tuple[tuple[str, float], ...] = ()   # lowest label accuracies (name, accuracy)


def summarize(results: Sequence[tuple[str, Evaluation, float]]) -> Summary:
    """`results`: (call name, evaluation, truth duration in seconds) per call."""
    total = sum(d for _, _, d in results) or 1.0
    accuracy = sum(e.label_accuracy * d for _, e, d in results) / total
    errors = np.array([abs(e.tth_error_s) for _, e, _ in results if e.tth_error_s is not None])
    def q(p: float) -> float | None:
        return round(float(np.percentile(errors, p)), 3) if len(errors) else None
    worst = sorted(((name, round(e.label_accuracy, 3)) for name, e, _ in results), key=lambda x: x[1])[:5]
    return Summary(
        calls=len(results), label_accuracy=round(accuracy, 4),
        tth_abs_error_p50_s=q(50), tth_abs_error_p95_s=q(95),
        tth_abs_error_max_s=round(float(errors.max()), 3) if len(errors) else None,
        humans_missed=sum(e.human_missed for _, e, _ in results),
        false_human_calls=sum(e.false_human for _, e, _ in results),
        worst=tuple(worst),
    )
