"""Phase durations and outcome of a call from its audio segments (see ARCHITECTURE "Timing definitions").

t0 is the INVITE. The recording starts `recording_offset_s` after it (early media or answer),
so every time measured on the recording is shifted by that offset. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mystery.audio.confidence import Evidence, rate_time_to_human
from mystery.audio.truth import QUEUE
from mystery.records import Segment


@dataclass(frozen=True, slots=True)
class AudioMeasures:
    """What the audio says about one call. Durations in seconds; None when the phase never happened."""

    ivr_s: float                   # answer -> caller leaves the last menu (0 without an IVR)
    hold_s: float                  # queue start -> live human (or end of the queue when nobody came)
    time_to_human_s: float | None  # INVITE -> first word of a live person
    talk_s: float | None           # live human -> end of the recording (BYE)
    answer_s: float                # recording time of the answer (end of ringback, or 0)
    human_start_s: float | None    # recording time of the first word of a live person
    outcome: str | None            # human, voicemail, ivr_dead_end, abandoned_in_queue, no_answer; None: unknown
    time_to_human_confidence: str | None = None   # high, medium, low (of the time, or of "no person"); None: not rated
    time_to_human_reasons: tuple[str, ...] = ()   # why it is not surer (confidence.py)


def measure_phases(segments: Sequence[Segment], duration_s: float, recording_offset_s: float = 0.0,
                   answer_s: float | None = None, evidence: Evidence | None = None) -> AudioMeasures:
    """Measures from segments timed on the recording; `recording_offset_s` = INVITE -> first sample.

    With the segmenter's `evidence` (CallAnalysis.evidence), the time to a person is graded too."""
    ordered = sorted(segments, key=lambda s: s.start_s)
    rated = None if evidence is None else rate_time_to_human(evidence)
    if answer_s is None:
        rings = [s.end_s for s in ordered if s.label == "ringback"]
        answer_s = max(rings) if rings else 0.0
    human = next((s.start_s for s in ordered if s.label == "live_human"), None)
    before_human = [s for s in ordered if human is None or s.start_s < human]
    queue = [s for s in before_human if s.label in QUEUE]
    ivr = [s for s in before_human if s.label == "ivr_prompt" and (not queue or s.start_s < queue[0].start_s)]
    ivr_end = ivr[-1].end_s if ivr else answer_s
    ivr_s = max(0.0, ivr_end - answer_s) if ivr else 0.0
    if queue:
        hold_end = human if human is not None else queue[-1].end_s
        hold_s = max(0.0, hold_end - queue[0].start_s)
    else:
        hold_s = 0.0
    audible = [s for s in ordered if s.label not in ("silence", "noise")]
    if human is not None:
        outcome: str | None = "human"
    elif any(s.label == "voicemail_greeting" for s in ordered):
        outcome = "voicemail"
    elif audible and audible[-1].label in QUEUE:
        outcome = "abandoned_in_queue"
    elif audible and audible[-1].label == "ivr_prompt":
        outcome = "ivr_dead_end"
    elif all(s.label == "ringback" for s in audible):
        outcome = "no_answer"
    else:
        outcome = None
    return AudioMeasures(
        ivr_s=round(ivr_s, 2),
        hold_s=round(hold_s, 2),
        time_to_human_s=None if human is None else round(human + recording_offset_s, 2),
        talk_s=None if human is None else round(max(0.0, duration_s - human), 2),
        answer_s=round(answer_s, 2),
        human_start_s=human,
        outcome=outcome,
        time_to_human_confidence=None if rated is None else rated.level,
        time_to_human_reasons=() if rated is None else rated.reasons,
    )
