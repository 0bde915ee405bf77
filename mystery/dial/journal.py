"""What a dialer worker saw, on disk as it happens, so that a crash after the INVITE loses no call.

The worker appends one JSON line per SIP event to a per-call journal next to the recordings (flushed
to the operating system at once: a SIGSEGV loses nothing written). The parent reads it only when the
worker died without a result: `salvage` then gives the call with outcome `unknown`, the events up to
the crash, and the audio the two recorders had written, as a partial two-channel recording. After a
normal end the parent deletes the journal.
"""

from __future__ import annotations

import json
import re
import time
import wave
from pathlib import Path
from typing import IO, Any

from mystery.dial.recording import interleave
from mystery.records import CallResult, SipEvent, utc_iso
from mystery.scenario.plan import CallPlan

WAV_HEADER = 44   # pjmedia's WAV writer: a 44-byte header, sizes filled in only when the file is closed
RATE = 8000


def journal_path(plan: CallPlan) -> Path:
    """One journal per call id in the call's recordings folder (hidden, like the recorders' temporaries)."""
    safe_id = re.sub(r"[^A-Za-z0-9._-]", "_", plan.call_id)[:80]
    return Path(plan.recordings_dir) / f".{safe_id}.journal.jsonl"


def result_path(plan: CallPlan) -> Path:
    """Where the worker leaves its result before printing it: a runner that stopped meanwhile adopts it."""
    return journal_path(plan).with_name(journal_path(plan).name.replace(".journal.jsonl", ".result.json"))


def write_result(plan: CallPlan, data: dict[str, Any]) -> None:
    """The finished call's result on disk, whole or not at all (written aside, then renamed)."""
    path = result_path(plan)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".part")
    temporary.write_text(json.dumps(data), encoding="utf-8")
    temporary.replace(path)


def read_result(plan: CallPlan) -> CallResult | None:
    """The result a worker left on disk, or None."""
    try:
        return CallResult.from_json(json.loads(result_path(plan).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


class Journal:
    """Appends the start of the call and each event; every line reaches the OS before the next event."""

    def __init__(self, path: Path, start: dict[str, Any]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.handle: IO[str] | None = path.open("w", encoding="utf-8")
        self._write({"start": start})

    def mark(self, name: str, value: Any) -> None:
        """A fact about the call that is not a SIP event (when the recorders started)."""
        self._write({"start": {name: value}})

    def event(self, t: float, kind: str, status: int | None, detail: str) -> None:
        self._write({"t": t, "kind": kind, "status": status, "detail": detail})

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None

    def _write(self, record: dict[str, Any]) -> None:
        if self.handle is not None:
            self.handle.write(json.dumps(record) + "\n")
            self.handle.flush()


def _read(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    start: dict[str, Any] = {}
    events: list[dict[str, Any]] = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            break  # a line cut by the crash: everything before it stands
        if "start" in record:
            start.update(record["start"])
        else:
            events.append(record)
    return start, events


def _mend_wav(path: Path) -> None:
    """Rewrite a recorder's file with the RIFF sizes it never wrote (it died before closing); a torn last
    sample is dropped."""
    data = path.read_bytes()
    pcm = data[WAV_HEADER:] if data[:4] == b"RIFF" else data
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(pcm[: len(pcm) // 2 * 2])


def salvage(plan: CallPlan, reason: str) -> CallResult | None:
    """The call a crashed worker had placed, from its journal and its recorders' files; None without a journal.

    The outcome is `unknown` (what the far end did after the last event is not known), `hangup_by` is
    empty, and `extra` says `end_reason: crashed`, the crash, and whether a partial recording was kept.
    """
    path = journal_path(plan)
    if not path.exists():
        return None
    start, records = _read(path)
    t0 = next((r["t"] for r in records if r["kind"] == "INVITE"), start.get("t_invite") or start.get("opened"))
    if t0 is None:
        return None
    events = tuple(SipEvent(t_s=round(r["t"] - t0, 6), at=utc_iso(r["t"]), kind=r["kind"], status=r["status"],
                            detail=r["detail"]) for r in sorted(records, key=lambda r: r["t"]))
    recording: str | None = None
    seconds = None
    caller, callee, final = (Path(start[k]) if start.get(k) else None for k in ("caller_wav", "callee_wav", "final"))
    if caller and callee and final and caller.exists() and callee.exists():
        _mend_wav(caller)
        _mend_wav(callee)
        seconds = interleave(caller, callee, final)
        caller.unlink(missing_ok=True)
        callee.unlink(missing_ok=True)
        recording = str(final)
    path.unlink(missing_ok=True)
    offset = round(start["rec_started"] - t0, 4) if start.get("rec_started") else 0.0
    return CallResult(
        call_id=plan.call_id, target_uri=plan.uri, outcome="unknown", started_at=utc_iso(t0), line=plan.line,
        sip_status=None, sip_reason=f"the dialer crashed: {reason}"[:500], hangup_by="", events=events,
        recording=recording, recording_offset_s=offset,
        extra={"end_reason": "crashed", "crash": reason[:2000], "recording_partial": bool(recording),
               "recording_s": None if seconds is None else round(seconds, 3)},
    )


def hand_over(plan: CallPlan, pid: int) -> None:
    """Before a runner gives `plan` to the already running dialer `pid` (a warm one, whose command line names
    no call): a journal that names it, so a runner stopped from here on finds the dialer still on the call
    (mystery.pipeline.adopt) and never dials it a second time. The dialer's own journal replaces it."""
    Journal(journal_path(plan), {"pid": pid, "opened": time.time()}).close()


def dialer_pid(plan: CallPlan) -> int | None:
    """The dialer process its journal names, if any."""
    try:
        start, _ = _read(journal_path(plan))
    except OSError:
        return None
    return int(start["pid"]) if isinstance(start.get("pid"), int) else None


def placed(plan: CallPlan) -> bool:
    """The call's journal says its INVITE was about to go (or went): the far end may have rung."""
    try:
        return '"placing"' in journal_path(plan).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def discard(plan: CallPlan) -> None:
    """Remove a journal and the recorders' files of a call that never left (it will be dialled again)."""
    path = journal_path(plan)
    if path.exists():
        start, _ = _read(path)
        for key in ("caller_wav", "callee_wav"):
            if start.get(key):
                Path(start[key]).unlink(missing_ok=True)
        path.unlink(missing_ok=True)
