"""Map the simulator's ground-truth phases onto the analyser's labels (tests only).

The analyser never reads this: it exists so that tests can score the analysis of real
recordings of real SIP calls against what the switchboard really played.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mystery.audio.truth import TruthPhase
from mystery.records import CallResult

# simulator phase -> analyser label; phases not listed are not scored (ring without early
# media is silence on the wire, a queue is the container of its music and announcements).
PHASE_LABELS = {
    "ivr_prompt": "ivr_prompt",
    "prompt": "ivr_prompt",
    "menu": "ivr_prompt",          # the prompt and the wait for the caller's choice
    "dead_end": "ivr_prompt",
    "closed_message": "ivr_prompt",
    "hold_music": "hold_music",
    "announcement": "announcement",
    "voicemail_greeting": "voicemail_greeting",
    "voicemail_beep": "voicemail_greeting",
}
LAYER = {"menu": 0, "dead_end": 0, "ivr_prompt": 1, "prompt": 1, "closed_message": 1, "hold_music": 1,
         "announcement": 2, "voicemail_greeting": 1, "voicemail_beep": 1}


def _wall(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def truth_phases(result: CallResult, record: dict[str, Any]) -> list[TruthPhase]:
    """The truth of one call, timed from the first sample of the dialer's recording."""
    origin = _wall(result.started_at) + result.recording_offset_s
    end = record["ended_at"] - origin
    phases = []
    for phase in sorted(record["phases"], key=lambda p: LAYER.get(p["name"], 0)):
        label = PHASE_LABELS.get(phase["name"])
        if label is not None:
            phases.append(TruthPhase(label, phase["start"] - origin, min(phase["end"] - origin, end)))
    speech = [p for p in record["phases"] if p["name"] == "agent_speech"]
    agent = [p for p in record["phases"] if p["name"] == "agent"]
    if speech and agent:  # a person: from the first word to the end of the conversation
        phases.append(TruthPhase("live_human", speech[0]["start"] - origin, min(agent[-1]["end"] - origin, end)))
    return phases


def true_time_to_human(result: CallResult, record: dict[str, Any]) -> float | None:
    """INVITE (dialer clock) -> first word of the agent (simulator clock); same host, same clock."""
    speech = [p for p in record["phases"] if p["name"] == "agent_speech"]
    return None if not speech else speech[0]["start"] - _wall(result.started_at)
