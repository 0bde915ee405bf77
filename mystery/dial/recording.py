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


def interleave(caller: Path, callee: Path, target: Path) -> float:
    """Write `target` (stereo, caller left) from two mono WAVs; returns its duration in seconds.

    The shorter input is padded with silence. The file appears atomically (tmp + rename).
    """
    left, rate = _samples(caller)
    right, rate_right = _samples(callee)
    if rate != rate_right:
        raise ValueError(f"sample rates differ: {rate} vs {rate_right}")
    frames = max(len(left), len(right))
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
