"""The conference bridge's side of a call: the callee level tap it feeds, and cutting its connections.

pjsua2 mixes every port in one conference bridge clocked by its own thread; what that thread calls
must survive until the endpoint is destroyed (mystery/dial/session.py holds it).
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import math
import time
from array import array
from pathlib import Path
from typing import Any

import pjsua2 as pj

from mystery.dial.listen import frame_dbfs

_POINTER = ctypes.sizeof(ctypes.c_void_p)
_direct: list[bool] = []     # whether frame_bytes may read the vector's memory (checked on the first frame)


def frame_bytes(vector: Any) -> bytes:
    """The bytes of a pjsua2 ByteVector (a SWIG std::vector<unsigned char>).

    `bytes(vector)` walks it one element at a time through SWIG: about 0.4 ms for a 20 ms frame, 2 % of a
    core per call in the bridge's clock thread, holding the GIL. libstdc++ lays a vector out as three
    pointers (begin, end, capacity end), so its memory is read in one copy instead; the first frame
    checks that layout against the slow way, and the slow way stays if it differs.
    """
    if _direct and not _direct[0]:
        return bytes(vector)
    address = int(vector.this)
    begin = ctypes.c_void_p.from_address(address).value or 0
    end = ctypes.c_void_p.from_address(address + _POINTER).value or 0
    size = vector.size()
    if not _direct:
        slow = bytes(vector)
        if size:   # decided on the first frame with audio in it
            _direct.append(end - begin == size and ctypes.string_at(begin, size) == slow)
        return slow
    if end - begin != size:
        return bytes(vector)
    return ctypes.string_at(begin, size) if size else b""


class LevelTap(pj.AudioMediaPort):
    """Receives every callee frame from the conference bridge (bridge clock thread) and keeps its level and
    samples for the listener (mystery/dial/listen.py), which reads them on the dialer's own thread."""

    def __init__(self) -> None:
        super().__init__()
        self.levels: collections.deque[tuple[float, float, bytes | None]] = collections.deque()
        self.ticks = array("d")      # wall time of every bridge tick, to find frames the clock skipped

    def onFrameReceived(self, frame: Any) -> None:  # noqa: N802 - pjsua2 name
        # The bridge clock thread can call in while the object is being torn down (seen on a
        # call refused in 2 ms): an exception escaping a director callback kills the process.
        ticks = getattr(self, "ticks", None)
        levels = getattr(self, "levels", None)
        if ticks is None or levels is None:
            return
        t = time.time()
        ticks.append(t)
        pcm: bytes | None = None
        if frame.type == pj.PJMEDIA_FRAME_TYPE_AUDIO and frame.size:
            pcm = frame_bytes(frame.buf)
            level = frame_dbfs(pcm)
        else:
            level = -math.inf
        levels.append((t, level, pcm))


def disconnect(sources: tuple[Any, ...], sinks: tuple[Any, ...]) -> None:
    """stopTransmit every source to every sink (no loop variable may outlive this: a recorder's
    WAV header is written only when its last reference goes)."""
    for source in sources:
        if source is None:
            continue
        for sink in sinks:
            with contextlib.suppress(pj.Error):
                source.stopTransmit(sink)


def start_recording(ep: Any, caller_wav: Path, callee_wav: Path) -> tuple[Any, Any, Any, LevelTap]:
    """Two mono recorders (caller, callee) and the callee level tap, all fed by the null sound device
    from the same first frame, so they tick together and stay aligned: (clock, caller, callee, tap)."""
    caller_rec, callee_rec = pj.AudioMediaRecorder(), pj.AudioMediaRecorder()
    caller_rec.createRecorder(str(caller_wav))
    callee_rec.createRecorder(str(callee_wav))
    clock = ep.audDevManager().getCaptureDevMedia()   # the null device: silence that keeps them ticking
    tap = LevelTap()
    fmt = pj.MediaFormatAudio()
    fmt.type, fmt.clockRate, fmt.channelCount = pj.PJMEDIA_TYPE_AUDIO, 8000, 1
    fmt.bitsPerSample, fmt.frameTimeUsec = 16, 20000
    tap.createPort("callee-tap", fmt)
    for sink in (caller_rec, callee_rec, tap):
        clock.startTransmit(sink)
    return clock, caller_rec, callee_rec, tap
