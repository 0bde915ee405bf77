"""The call's two-channel WAV: left = caller (what we played), right = callee (what we heard).

pjsua2 recorders are mono; the dialer writes two of them, both clocked by the same conference
bridge from the same tick (sip_recipes.md), and this module interleaves them sample by sample.
"""

from __future__ import annotations

import os
import wave
from array import array
from pathlib import Path


def _samples(path: Path) -> tuple[array, int]:
    with wave.open(str(path), "rb") as wav:
        if wav.getsampwidth() != 2 or wav.getnchannels() != 1:
            raise ValueError(f"{path}: expected 16-bit mono")
        data = array("h")
        data.frombytes(wav.readframes(wav.getnframes()))
        return data, wav.getframerate()


def _fill(samples: array, gaps: list[tuple[int, int]], frame: int) -> array:
    if not gaps:
        return samples
    out, start = array("h"), 0
    for index, missing in gaps:
        cut = min(index * frame, len(samples))
        out.extend(samples[start:cut])
        out.extend(array("h", bytes(2 * missing * frame)))
        start = cut
    out.extend(samples[start:])
    return out


def interleave(caller: Path, callee: Path, target: Path, gaps: list[tuple[int, int]] | None = None,
               frame_s: float = 0.02, min_s: float = 0.0) -> float:
    """Write `target` (stereo, caller left) from two mono WAVs; returns its duration in seconds.

    `gaps` (from `clock_gaps`) put back, as silence, the frames a starved bridge clock skipped,
    so the file keeps wall-clock time. The shorter input is padded with silence at the end, and both
    up to `min_s` (the wall time the recorders ran: a clock still behind when they stopped, by less
    than a gap `clock_gaps` counts, never produced those last frames). The file appears atomically
    (tmp + rename).
    """
    left, rate = _samples(caller)
    right, rate_right = _samples(callee)
    if rate != rate_right:
        raise ValueError(f"sample rates differ: {rate} vs {rate_right}")
    frame = round(rate * frame_s)
    left, right = _fill(left, gaps or [], frame), _fill(right, gaps or [], frame)
    frames = max(len(left), len(right), round(min_s * rate))
    left.extend([0] * (frames - len(left)))
    right.extend([0] * (frames - len(right)))
    stereo = array("h", bytes(4 * frames))
    stereo[0::2] = left
    stereo[1::2] = right
    partial = target.with_name(target.name + ".partial")
    with wave.open(str(partial), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(stereo.tobytes())
    os.replace(partial, target)
    return frames / float(rate)


def clock_gaps(tick_times: list[float], frame_s: float = 0.02, min_gap_s: float = 0.06) -> list[tuple[int, int]]:
    """Frames the conference clock never produced: [(frame index, frames missing)].

    `tick_times` are the wall times of consecutive bridge ticks (one frame each). A starved
    clock first catches up in a burst (no loss), but pjmedia gives up on a backlog above
    500 ms and jumps ahead: those frames are lost from every recorder at once. The lateness
    `t_i - t_0 - i * frame_s` then rises for good, so the loss at tick i is the step in the
    minimum lateness of ticks i.. (a burst that catches up leaves that minimum unchanged).
    A clock still behind at the end counts as a loss at the end.
    """
    n = len(tick_times)
    if n < 2:
        return []
    t0 = tick_times[0]
    lateness = [t - t0 - i * frame_s for i, t in enumerate(tick_times)]
    suffix_min = lateness[:]
    for i in range(n - 2, -1, -1):
        suffix_min[i] = min(suffix_min[i], suffix_min[i + 1])
    gaps, covered = [], suffix_min[0]
    for i in range(1, n):
        if suffix_min[i] - covered >= min_gap_s:
            missing = round((suffix_min[i] - covered) / frame_s)
            gaps.append((i, missing))
            covered += missing * frame_s
    return gaps
