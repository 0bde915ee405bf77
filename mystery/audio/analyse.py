"""Segments and measures of one recording file (time zero = file start), as plain JSON-ready data."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any, TypedDict


class FileAnalysis(TypedDict):
    """What `analyse_file` returns (and `mystery analyse --json` prints)."""

    file: str
    channel: str
    duration_s: float
    recording_offset_s: float
    segments: list[dict[str, Any]]
    measures: dict[str, Any]
    caller_speech: list[list[float]]
    fingerprints: dict[str, Any] | None


def analyse_file(path: Path, channel: str = "right", fingerprints: Path | None = None, learn: bool = True,
                 recording_offset_s: float = 0.0, call_id: str | None = None) -> FileAnalysis:
    """Analyse one recording; with a fingerprint directory, match against it and (if `learn`) grow it."""
    from mystery.audio.fingerprint import FingerprintLibrary
    from mystery.audio.phases import measure_phases
    from mystery.audio.segment import remember, segment_call
    from mystery.audio.wav import read_channels

    channels = read_channels(path, channel)
    library = FingerprintLibrary(fingerprints) if fingerprints is not None else None
    call_id = call_id or path.stem
    analysis = segment_call(channels.callee, channels.caller, library, call_id)
    measures = measure_phases(analysis.segments, channels.duration_s, recording_offset_s,
                              evidence=analysis.evidence)
    if library is not None and learn:
        remember(library, call_id, analysis)
        library.save()
    return {
        "file": str(path),
        "channel": channel,
        "duration_s": round(channels.duration_s, 2),
        "recording_offset_s": recording_offset_s,
        "segments": [asdict(s) for s in analysis.segments],
        "measures": asdict(measures),
        "caller_speech": [[round(a, 2), round(b, 2)] for a, b in analysis.caller_speech],
        "fingerprints": None if library is None else {"directory": str(fingerprints), "items": len(library),
                                                      "matched_items": list(analysis.repeated_items)},
    }
