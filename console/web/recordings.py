"""Recordings served by the dashboard: only WAV files inside `settings.recordings_dir`.

A request path is resolved (symlinks and `..` included) and refused unless the result is a
regular .wav file under the recordings folder, so no URL reaches a file outside it.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from urllib.parse import quote

PREFIX = "/recordings/"
SUFFIXES = {".wav"}


def safe_recording(root: Path, relative: str) -> Path | None:
    """The file `relative` names under `root`, or None when it is not a .wav file inside root."""
    if not relative or "\x00" in relative or "\\" in relative:
        return None
    parts = PurePosixPath(relative)
    if parts.is_absolute() or ".." in parts.parts:
        return None
    base = root.resolve()
    candidate = (base / parts).resolve()
    if not candidate.is_relative_to(base) or candidate.suffix.lower() not in SUFFIXES:
        return None
    return candidate if candidate.is_file() else None


def recording_href(recording: str | None, root: Path) -> str | None:
    """URL of a stored recording path under /recordings/, or None when it is not inside root.

    The dialer stores the path it wrote (absolute, or relative to where it ran); a bare file
    name or a path relative to the recordings folder is also accepted.
    """
    if not recording:
        return None
    base = root.resolve()
    path = Path(recording)
    # relative: from where the dialer ran, or any tail of it under the folder
    # ("recordings/demo-1/call.wav" with recordings_dir=/srv/recordings -> /srv/recordings/demo-1/call.wav)
    candidates = [path] if path.is_absolute() else [path] + [
        base.joinpath(*path.parts[i:]) for i in range(len(path.parts))]
    for candidate in candidates:
        resolved = candidate.resolve()
        if resolved.is_relative_to(base) and resolved.is_file() and resolved.suffix.lower() in SUFFIXES:
            return PREFIX + quote(resolved.relative_to(base).as_posix())
    return None
