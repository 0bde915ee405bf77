"""Read a recording into the callee and caller channels at 8 kHz: the only file I/O of the analysis."""

from __future__ import annotations

from dataclasses import dataclass
from math import gcd
from pathlib import Path

import numpy as np
import soundfile
from scipy.signal import resample_poly

from mystery_core.errors import InputError

RATE = 8000
CHANNELS = ("left", "right", "mono")


@dataclass(frozen=True)
class Channels:
    """The callee channel (the switchboard) and, for two-channel files, the caller channel."""

    callee: np.ndarray
    caller: np.ndarray | None
    rate: int
    source_rate: int

    @property
    def duration_s(self) -> float:
        return len(self.callee) / self.rate


def _to_rate(x: np.ndarray, rate: int) -> np.ndarray:
    if rate == RATE:
        return x.astype(np.float32)
    g = gcd(rate, RATE)
    return resample_poly(x, RATE // g, rate // g).astype(np.float32)


def read_channels(path: Path, channel: str = "right") -> Channels:
    """`channel` names the callee: right (the dialer's layout: left = caller), left, or mono (mix all)."""
    if channel not in CHANNELS:
        raise InputError("--channel", None, f"expected one of {', '.join(CHANNELS)}, got {channel!r}")
    try:
        data, rate = soundfile.read(path, dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, OSError) as error:
        raise InputError(str(path), None, f"not a readable audio file ({error})") from None
    if not len(data):
        raise InputError(str(path), None, "the recording has no samples")
    if channel == "mono" or data.shape[1] == 1:
        if channel != "mono" and data.shape[1] == 1:
            raise InputError(str(path), "--channel", f"the file has one channel; use --channel mono, not {channel}")
        return Channels(_to_rate(data.mean(axis=1), rate), None, RATE, rate)
    callee, caller = (data[:, 1], data[:, 0]) if channel == "right" else (data[:, 0], data[:, 1])
    return Channels(_to_rate(callee, rate), _to_rate(caller, rate), RATE, rate)


def write_stereo(path: Path, caller: np.ndarray, callee: np.ndarray, rate: int = RATE) -> None:
    """Write a two-channel 16-bit WAV in the dialer's layout (left = caller, right = callee)."""
    soundfile.write(path, np.clip(np.stack([caller, callee], axis=1), -1, 1), rate, subtype="PCM_16")
