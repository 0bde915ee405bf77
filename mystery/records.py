"""Plain records that cross module boundaries: the dialer's result, segments, words.

Times: `*_s` are seconds; `t_s` in a call is counted from the INVITE (t0); `at` fields are
UTC ISO 8601 strings. Only `mystery/store/repo.py` turns these into rows.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


def utc_iso(t: float) -> str:
    """A wall-clock time (epoch seconds) as the `at` and `started_at` fields write it: UTC, microseconds, Z."""
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


OUTCOMES = (
    "human",            # a live person answered (from audio), or answered (SIP) until analysis runs
    "answered",         # 200 OK, not yet analysed
    "voicemail",
    "ivr_dead_end",
    "abandoned_in_queue",
    "closed_message",
    "no_answer",
    "busy",
    "rejected",         # other 4xx/6xx, with the code in sip_status
    "failed",           # 5xx, transport errors, unreachable
    "dropped",          # media stopped / BYE from the far end mid-call
    "redirected",       # a 3xx not followed (a loop, too many hops, or not asked to), target in sip_reason
    "unknown",          # the dialer crashed after the INVITE: events up to the crash, partial recording
)
"""Every outcome a call can have; a timeout is an outcome, never an exception."""

NEVER_ANSWERED = {"no_answer", "busy", "rejected", "failed", "closed_message", "ivr_dead_end", "dropped", "redirected"}


@dataclass(frozen=True, slots=True)
class SipEvent:
    """One signalling event seen by the dialer."""

    t_s: float          # seconds since the INVITE was sent
    at: str             # wall clock, UTC ISO 8601
    kind: str           # INVITE, 100, 180, 183, 200, ACK, BYE_sent, BYE_received, CANCEL, DTMF, DISCONNECTED ...
    status: int | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of the callee channel with one label (ringback, ivr_prompt, hold_music, live_human...)."""

    start_s: float
    end_s: float
    label: str
    confidence: float = 1.0


@dataclass(frozen=True, slots=True)
class Word:
    """One recognised word; times from the start of the recording."""

    start_s: float
    end_s: float
    text: str
    confidence: float = 1.0
    channel: str = "callee"


def sip_events(events: list[tuple[float, str, int | None, str]], t0: float) -> tuple[SipEvent, ...]:
    """(wall time, kind, status, detail) tuples as SipEvents in time order, `t_s` from `t0` (the INVITE)."""
    return tuple(SipEvent(t_s=round(t - t0, 6), at=utc_iso(t), kind=kind, status=status, detail=detail)
                 for t, kind, status, detail in sorted(events, key=lambda event: event[0]))


@dataclass(frozen=True, slots=True)
class CallResult:
    """What one mystery call measured. Field names are stable: later analysis replaces values.

    `talk_basis` / `wait_basis` say whether a value comes from SIP (provisional) or from audio.
    """

    call_id: str
    target_uri: str
    outcome: str
    started_at: str                    # INVITE time, UTC ISO 8601
    line: str = ""                     # the client line (scenario name for the number)
    sip_status: int | None = None
    sip_reason: str = ""
    pdd_s: float | None = None         # INVITE -> first 18x
    ring_s: float | None = None        # first 18x -> 200 OK
    time_to_answer_s: float | None = None  # INVITE -> 200 OK
    talk_s: float | None = None
    talk_basis: str = "sip"            # "sip": 200 OK -> BYE; "audio": live human -> BYE
    ivr_s: float | None = None
    hold_s: float | None = None
    time_to_human_s: float | None = None
    time_to_human_confidence: str | None = None   # high, medium, low (audio analysis); None: not rated
    time_to_human_reasons: tuple[str, ...] = ()   # why the confidence is not higher
    wait_basis: str = "time_to_answer (provisional)"
    duration_s: float | None = None    # INVITE -> end of call
    hangup_by: str = ""                # caller, callee, timeout, ""
    recording: str | None = None       # path of the two-channel WAV (left caller, right callee)
    recording_offset_s: float = 0.0    # t (from INVITE) of the first sample of the recording
    events: tuple[SipEvent, ...] = ()
    segments: tuple[Segment, ...] = ()
    words: tuple[Word, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CallResult:
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        extra = dict(values.pop("extra", {}) or {})
        extra.update({k: v for k, v in data.items() if k not in known})
        values["events"] = tuple(SipEvent(**e) for e in data.get("events", ()))
        values["segments"] = tuple(Segment(**s) for s in data.get("segments", ()))
        values["words"] = tuple(Word(**w) for w in data.get("words", ()))
        return cls(**values, extra=extra)
