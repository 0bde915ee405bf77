"""What a telephone line does to a call's audio: band limit, AGC, comfort noise, G.711, lost frames.

Why: recordings an agency has went through a real network; the analysis must hold on what comes out of
one, not on studio audio. Every step is plain numpy/scipy and seeded, so the corpus rebuilds bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import butter, sosfilt

RATE = 8000
FRAME = 160   # 20 ms, one RTP packet of G.711


@dataclass(frozen=True)
class LineTreatment:
    """The network one call went through (all drawn from the call's seed)."""

    codec: str            # pcmu or pcma
    agc: bool
    comfort_noise_db: float | None
    frame_loss: float     # share of 20 ms frames lost
    plc: bool             # lost frames repeat the previous one (packet-loss concealment) instead of silence


def band_limit(x: np.ndarray) -> np.ndarray:
    """300-3400 Hz, the telephone band."""
    sos = butter(4, [300, 3400], btype="bandpass", fs=RATE, output="sos")
    return sosfilt(sos, x).astype(np.float32)


def agc(x: np.ndarray, target_db: float = -20.0, max_gain_db: float = 12.0) -> np.ndarray:
    """A slow automatic gain control: gain follows the speech level with 0.5 s attack, 2 s release."""
    frames = len(x) // FRAME
    level = np.sqrt(np.mean(x[: frames * FRAME].reshape(frames, FRAME) ** 2, axis=1) + 1e-12)
    gain = np.empty(frames)
    g = 1.0
    for i, rms in enumerate(level):
        if rms > 10 ** (-50 / 20):            # only adapt on sound, not on silence
            want = min(10 ** ((target_db - 20 * np.log10(rms)) / 20), 10 ** (max_gain_db / 20))
            g += (want - g) * (0.04 if want < g else 0.01)
        gain[i] = g
    per_sample = np.repeat(gain, FRAME)
    per_sample = np.concatenate([per_sample, np.full(len(x) - len(per_sample), g)])
    return (x * per_sample).astype(np.float32)


def comfort_noise(x: np.ndarray, level_db: float, rng: np.random.Generator) -> np.ndarray:
    """Frames under -50 dBFS (DTX silence) are replaced by low noise, as a gateway's comfort noise."""
    out = x.copy()
    frames = len(x) // FRAME
    for i in range(frames):
        seg = out[i * FRAME: (i + 1) * FRAME]
        if np.sqrt(np.mean(seg ** 2)) < 10 ** (-50 / 20):
            seg[:] = rng.standard_normal(FRAME) * 10 ** (level_db / 20)
    return out


def _mu_law(x: np.ndarray) -> np.ndarray:
    mu = 255.0
    y = np.sign(x) * np.log1p(mu * np.abs(x)) / np.log1p(mu)
    q = np.round(y * 127) / 127
    return (np.sign(q) * np.expm1(np.abs(q) * np.log1p(mu)) / mu).astype(np.float32)


def _a_law(x: np.ndarray) -> np.ndarray:
    a = 87.6
    ax = np.abs(x)
    y = np.where(ax < 1 / a, a * ax / (1 + np.log(a)), (1 + np.log(np.maximum(a * ax, 1e-12))) / (1 + np.log(a)))
    q = np.round(y * 127) / 127
    back = np.where(q < 1 / (1 + np.log(a)), q * (1 + np.log(a)) / a, np.exp(q * (1 + np.log(a)) - 1) / a)
    return (np.sign(x) * back).astype(np.float32)


def g711(x: np.ndarray, codec: str) -> np.ndarray:
    """An 8-bit companded round trip (mu-law or A-law; `none` leaves the samples as they are)."""
    if codec == "none":
        return x
    x = np.clip(x, -1.0, 1.0)
    return _mu_law(x) if codec == "pcmu" else _a_law(x)


def lose_frames(x: np.ndarray, share: float, plc: bool, rng: np.random.Generator) -> np.ndarray:
    """Drop `share` of the 20 ms frames: silence, or the previous frame repeated (concealment)."""
    out = x.copy()
    frames = len(x) // FRAME
    for i in np.flatnonzero(rng.random(frames) < share):
        src = out[(i - 1) * FRAME: i * FRAME] if plc and i > 0 else np.zeros(FRAME, np.float32)
        out[i * FRAME: (i + 1) * FRAME] = src * (0.7 if plc else 0.0)
    return out


def draw_treatment(rng: np.random.Generator) -> LineTreatment:
    """A network for one call: codec, AGC or not, comfort noise or not, 1-3 % lost frames."""
    return LineTreatment(
        codec=str(rng.choice(["pcmu", "pcma"])),
        agc=bool(rng.random() < 0.5),
        comfort_noise_db=float(rng.uniform(-66, -56)) if rng.random() < 0.5 else None,
        frame_loss=float(rng.uniform(0.01, 0.03)),
        plc=bool(rng.random() < 0.5),
    )


def treat(x: np.ndarray, line: LineTreatment, rng: np.random.Generator) -> np.ndarray:
    """One direction of the call through the line."""
    y = band_limit(x)
    if line.agc:
        y = agc(y)
    if line.comfort_noise_db is not None:
        y = comfort_noise(y, line.comfort_noise_db, rng)
    return lose_frames(g711(y, line.codec), line.frame_loss, line.plc, rng)
