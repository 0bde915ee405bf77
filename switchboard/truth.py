"""Ground truth: what the switchboard really did on each call, as one JSON line per call.

Only tests read this file; the analysis code never does (it would be grading its own
homework). Timestamps are ``time.time()`` seconds taken right around the pjsua2 call
that put the event on the wire.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(slots=True)
class Phase:
    """One stretch of a call: ring, early_media, ivr_prompt, menu, queue, hold_music, announcement,
    agent, agent_speech, caller_speech, voicemail_greeting, voicemail_beep, voicemail_record,
    closed_message, dead_end, prompt."""

    name: str
    start: float
    end: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)


class CallTruth:
    """Builder of one call's ground-truth record (mutable while the call runs)."""

    def __init__(self, call_id: str, line: str, worker: int, invite_at: float) -> None:
        self.record: dict[str, Any] = {
            "kind": "call",
            "call_id": call_id,
            "line": line,
            "worker": worker,
            "seq": None,
            "invite_at": invite_at,
            "provisional": [],
            "first_provisional_at": None,
            "answered_at": None,
            "final_status": None,
            "ended_at": None,
            "hangup_by": None,
            "outcome": None,
            "dtmf": [],
            "agent": None,
            "notes": [],
        }
        self.phases: list[Phase] = []

    def set(self, **values: Any) -> None:
        self.record.update(values)

    def provisional(self, status: int, at: float) -> None:
        """An 18x was sent."""
        self.record["provisional"].append({"status": status, "at": at})
        if self.record["first_provisional_at"] is None:
            self.record["first_provisional_at"] = at

    def dtmf(self, digit: str, at: float) -> None:
        self.record["dtmf"].append({"digit": digit, "at": at})

    def note(self, text: str, at: float) -> None:
        self.record["notes"].append({"text": text, "at": at})

    def open(self, name: str, at: float, /, **detail: Any) -> Phase:
        phase = Phase(name, at, None, dict(detail))
        self.phases.append(phase)
        return phase

    def close(self, phase: Phase, at: float, /, **detail: Any) -> None:
        if phase.end is None:
            phase.end = at
        phase.detail.update(detail)

    def finish(self, ended_at: float) -> dict[str, Any]:
        """Close what is still open (cut short by the hang-up) and return the record."""
        for phase in self.phases:
            if phase.end is None:
                phase.end = ended_at
                phase.detail["cut_short"] = True
        self.record["ended_at"] = ended_at
        self.record["phases"] = [
            {"name": p.name, "start": p.start, "end": p.end, **({"detail": p.detail} if p.detail else {})}
            for p in sorted(self.phases, key=lambda p: (p.start, p.end or 0.0))
        ]
        return self.record


def append_record(path: Path, record: dict[str, Any]) -> None:
    """Append one JSON line; ``flock`` keeps lines whole when several workers write at once."""
    line = (json.dumps(record, sort_keys=False) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, line)
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def read_records(path: Path) -> list[dict[str, Any]]:
    """All records of a ground-truth file (for tests and the demo's self-check).

    Call records gain ``proxy_invite_at``: when kamailio received the INVITE, the time a
    caller's own post-dial delay counts from (``invite_at`` is the worker's, after the proxy
    and any failover to a free worker).
    """
    if not path.exists():
        return []
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    proxy_invites: dict[str, float] = {}
    for r in records:
        if r.get("kind") == "proxy" and r.get("event") == "invite":
            proxy_invites.setdefault(r["call_id"], r["at"])
    for r in records:
        if r.get("kind") == "call":
            r["proxy_invite_at"] = proxy_invites.get(r["call_id"])
    return records
