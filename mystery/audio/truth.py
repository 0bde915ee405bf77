"""Labels of the callee channel, and ground-truth phases to compare the analyser against.

The label set is the contract between the segmenter, the measures, the evaluation and the
switchboard simulator's ground-truth log (the lead maps the simulator's phases onto these).
"""

from __future__ import annotations

from dataclasses import dataclass

LABELS = (
    "ringback",            # ring tone heard before answer (early media)
    "ivr_prompt",          # a recorded menu/prompt, including the wait for the caller's choice
    "announcement",        # a recorded message while queued ("your call is important...")
    "hold_music",          # queue music
    "voicemail_greeting",  # greeting and beep of a voicemail box
    "live_human",          # a person: from their first word to the end of the conversation
    "noise",               # sound that is neither tone, music nor speech
    "silence",             # nothing audible
)
"""Every label a segment of the callee channel can carry."""

RECORDED_SPEECH = frozenset({"ivr_prompt", "announcement", "voicemail_greeting"})
"""Speech labels that are recordings (they repeat across calls)."""

QUEUE = frozenset({"hold_music", "announcement"})
"""Labels of a caller waiting in a queue."""


@dataclass(frozen=True, slots=True)
class TruthPhase:
    """One phase of a call as the switchboard really played it (from a simulator log or by construction).

    Times are seconds from the first sample of the recording.
    """

    label: str
    start_s: float
    end_s: float
