"""Frame features of telephone audio (8 kHz): level, webrtcvad, spectrum shape, tones, modulation.

One frame = 20 ms (the RTP packet size and a webrtcvad frame size). Features that need context
(speech's 4 Hz syllable rhythm, the pauses of speech, music's held notes) are computed over
sliding windows of frames. Pure functions over numpy arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import webrtcvad
from scipy.ndimage import maximum_filter1d, uniform_filter1d

RATE = 8000
FRAME = 160           # 20 ms at 8 kHz
N_FFT = 512           # 64 ms: 15.6 Hz bins, enough to split 440 from 480 Hz
FRAME_S = FRAME / RATE
SILENCE_DB = -50.0    # below this a frame is silent whatever the line noise

# bins of the telephone band used for spectral shape
_LO, _HI = int(100 / (RATE / N_FFT)), int(3600 / (RATE / N_FFT))


@dataclass(frozen=True)
class FrameFeatures:
    """Per-frame features; every array has one value per 20 ms frame."""

    energy_db: np.ndarray     # frame RMS in dBFS
    vad: np.ndarray           # webrtcvad (mode 3) says speech
    flatness: np.ndarray      # spectral flatness 0..1 in 100-3600 Hz: 1 = white noise
    tonality: np.ndarray      # share of band energy in the two strongest narrow peaks: 1 = pure tones
    peak_hz: np.ndarray       # strongest peak
    peak2_hz: np.ndarray      # second strongest peak (another harmonic series or 0)
    power: np.ndarray         # power spectrum (frames x bins), for fingerprints and music features

    @property
    def n(self) -> int:
        return len(self.energy_db)


def frames_of(x: np.ndarray) -> np.ndarray:
    """Cut a signal into whole 20 ms frames (the tail shorter than a frame is dropped)."""
    n = len(x) // FRAME
    return x[: n * FRAME].reshape(n, FRAME)


def power_spectrum(x: np.ndarray) -> np.ndarray:
    """|STFT|^2 with a 64 ms Hann window every 20 ms, centred on each frame."""
    n = len(x) // FRAME
    pad = (N_FFT - FRAME) // 2
    padded = np.pad(x.astype(np.float32), (pad, N_FFT))
    idx = np.arange(n)[:, None] * FRAME + np.arange(N_FFT)[None, :]
    windowed = padded[idx] * np.hanning(N_FFT).astype(np.float32)
    return (np.abs(np.fft.rfft(windowed, axis=1)) ** 2).astype(np.float32)


def webrtc_vad(x: np.ndarray, mode: int = 3) -> np.ndarray:
    """webrtcvad decision per 20 ms frame (it scores tones and music as speech too: never use alone)."""
    vad = webrtcvad.Vad(mode)
    pcm = (np.clip(frames_of(x), -1, 1) * 32767).astype("<i2")
    return np.array([vad.is_speech(f.tobytes(), RATE) for f in pcm], dtype=bool)


def frame_features(x: np.ndarray) -> FrameFeatures:
    """All per-frame features of one channel (float samples at 8 kHz)."""
    frames = frames_of(x)
    energy_db = 10 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-12)
    power = power_spectrum(x)
    band = power[:, _LO:_HI].astype(np.float64) + 1e-14
    flatness = np.exp(np.mean(np.log(band), axis=1)) / np.mean(band, axis=1)
    # energy within +-1 bin of the two strongest local peaks
    local_max = (band >= maximum_filter1d(band, 5, axis=1))
    peaks = np.where(local_max, band, 0)
    order = np.argsort(peaks, axis=1)[:, ::-1][:, :2]
    smooth = uniform_filter1d(band, 3, axis=1) * 3
    top = np.take_along_axis(smooth, order, axis=1)
    tonality = np.clip(top.sum(axis=1) / band.sum(axis=1), 0, 1)
    hz = (order + _LO) * RATE / N_FFT
    return FrameFeatures(
        energy_db=energy_db.astype(np.float32),
        vad=webrtc_vad(x),
        flatness=flatness.astype(np.float32),
        tonality=tonality.astype(np.float32),
        peak_hz=hz[:, 0].astype(np.float32),
        peak2_hz=hz[:, 1].astype(np.float32),
        power=power,
    )


def window_mean(values: np.ndarray, frames: int) -> np.ndarray:
    """Centred moving average over `frames` frames."""
    return uniform_filter1d(values.astype(np.float64), frames, mode="nearest")


def pause_ratio(energy_db: np.ndarray, frames: int = 75) -> np.ndarray:
    """Share of frames in a window that are dips: 12 dB or more below the loudest frame on *both*
    sides within 200 ms.

    Speech dips between syllables and words; music and tones hardly ever do, and a fade-in or
    fade-out (level rising or falling on one side only) is not a dip.
    """
    before = maximum_filter1d(energy_db, 11, origin=5, mode="nearest")
    after = maximum_filter1d(energy_db, 11, origin=-5, mode="nearest")
    dip = energy_db < np.minimum(before, after) - 12
    return window_mean(dip.astype(np.float64), frames)


def syllable_modulation(energy_db: np.ndarray, frames: int = 100) -> np.ndarray:
    """Share of the level envelope's modulation between 2 and 8 Hz, over a sliding window.

    Speech's syllable rhythm puts most envelope energy near 4 Hz; held notes and tones do not.
    """
    env = np.clip(energy_db, -70, 0).astype(np.float64)
    n = len(env)
    out = np.zeros(n)
    half = frames // 2
    step = 5
    freqs = np.fft.rfftfreq(frames, FRAME_S)
    band = (freqs >= 2) & (freqs <= 8)
    rest = freqs > 0.5
    padded = np.pad(env, (half, half), mode="edge")
    idx = np.arange(0, n, step)
    win = padded[idx[:, None] + np.arange(frames)[None, :]]
    win = win - win.mean(axis=1, keepdims=True)
    spec = np.abs(np.fft.rfft(win * np.hanning(frames), axis=1)) ** 2
    ratio = spec[:, band].sum(axis=1) / (spec[:, rest].sum(axis=1) + 1e-9)
    out = np.interp(np.arange(n), idx, ratio)
    return out


def note_persistence(power: np.ndarray, frames: int = 50) -> np.ndarray:
    """Share of strong spectral peaks that stay on the same bin from one frame to the next.

    Music holds notes for hundreds of milliseconds; speech glides its pitch and formants.
    """
    band = power[:, _LO:_HI].astype(np.float64)
    db = 10 * np.log10(band + 1e-12)
    is_peak = (band >= maximum_filter1d(band, 5, axis=1)) & (db > db.max(axis=1, keepdims=True) - 25)
    held = is_peak[1:] & (maximum_filter1d(is_peak[:-1].astype(np.uint8), 3, axis=1) > 0)
    share = held.sum(axis=1) / np.maximum(is_peak[1:].sum(axis=1), 1)
    share = np.concatenate([[share[0] if len(share) else 0.0], share])
    return window_mean(share, frames)


def band_log_energy(power: np.ndarray) -> np.ndarray:
    """16 log-spaced bands from 150 to 3600 Hz: a coarse voice colour per frame."""
    edges = np.unique(np.geomspace(10, 230, 17).astype(int))
    bands = np.add.reduceat(power[:, edges[0]:edges[-1]].astype(np.float64), edges[:-1] - edges[0], axis=1)
    return np.log(bands + 1e-10)


def delta_bic(x: np.ndarray, k: int, penalty: float = 1.0) -> float:
    """BIC gain of modelling x[:k] and x[k:] with two diagonal Gaussians instead of one (speaker change)."""
    n, d = x.shape

    def logdet(part: np.ndarray) -> float:
        return float(np.sum(np.log(part.var(axis=0) + 1e-6)))

    gain = 0.5 * (n * logdet(x) - k * logdet(x[:k]) - (n - k) * logdet(x[k:]))
    return gain - penalty * 0.5 * (2 * d) * np.log(n)
