"""Cheap evidence, frame by frame, that the callee's sound is a voice rather than music, noise or a tone (pure).

Why: the live `human_reached` cue (listen.py) used only energy, so it fired on the silence after hold music,
on line noise and on a voicemail beep. Telling a voice from those needs a little more than a level, but the
cue runs in every dialer process (100 calls at once on 2 cores), so each 20 ms frame gets one 512-point FFT
and nothing else, and only while it is loud: silence costs nothing.

Per frame: harmonicity (peak of the normalised autocorrelation at a pitch lag, 60-400 Hz), the pitch, the
spectral flatness of the telephone band and the share of the band's power in its strongest bins (a tone).
Over a stretch of frames, `speech_score` weighs the features that separate them on real recordings:
- voiced frames whose pitch glides (speech) rather than holds for many frames (a note) or is absent (noise);
- a level that rises and falls at the syllable rate (speech) rather than runs even (music, noise);
- not flat (noise); and a stretch that ends in one line of the spectrum (a voicemail beep) is not a voice.
The weights are fitted on issue 14's tuning half (benchmarks/fit_live_voicing.py); the whole cue is measured
by benchmarks/bench_live_cue.py.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

RATE = 8000
FRAME = 160
NFFT = 512
_BAND = slice(round(300 * NFFT / RATE), round(3400 * NFFT / RATE))
_LAGS = (20, 134)              # 400 Hz .. 60 Hz
_WINDOW = np.hanning(2 * FRAME).astype(np.float64)
VOICED_R = 0.55                # harmonicity of a voiced frame
NOTE_FRAMES = 8                # a pitch held this many frames (160 ms) is a note, not a syllable
BEEP_SHARE = 0.85              # a single sine (a beep, EU ringback) puts ~0.9 of the band in 3 bins
TONE_SHARE = 0.6               # share of the band's power in its 3 strongest bins: a tone, not a voice


@dataclass(frozen=True, slots=True)
class FrameVoicing:
    """What one loud 20 ms frame sounds like."""

    dbfs: float
    harmonicity: float         # 0..1, peak normalised autocorrelation at a pitch lag
    pitch_hz: float            # at that peak (meaningless when harmonicity is low)
    flatness: float            # 0..1, geometric / arithmetic mean of the band's power (1: white noise)
    tone_share: float          # 0..1, share of the band's power in its 3 strongest bins


def _window_acf(n: int) -> np.ndarray:
    """Autocorrelation of the analysis window itself: dividing by it undoes the window's taper (Boersma)."""
    w = np.fft.rfft(_WINDOW[:n] if n == 2 * FRAME else np.hanning(n), NFFT)
    acf = np.fft.irfft(w.real ** 2 + w.imag ** 2, NFFT)
    return np.maximum(acf[_LAGS[0]:_LAGS[1]] / acf[0], 0.1)


_WINDOW_ACF = {n: _window_acf(n) for n in (FRAME, 2 * FRAME)}
_HANN = {FRAME: np.hanning(FRAME), 2 * FRAME: _WINDOW}
_PITCH = RATE / np.arange(_LAGS[0], _LAGS[1])
# a period's multiples correlate as well as the period: favour short lags (up to 30 %) against octave errors
_OCTAVE = 1.0 - 0.3 * (np.arange(_LAGS[0], _LAGS[1]) - _LAGS[0]) / (_LAGS[1] - _LAGS[0])


def analyse_frame(previous: np.ndarray | None, frame: np.ndarray, dbfs: float) -> FrameVoicing:
    """Voicing of `frame` (160 samples, float), read with the frame before it (pitch periods need 2 frames).

    One FFT: the band's power gives flatness and tone share, and its inverse the autocorrelation."""
    both = frame if previous is None or len(previous) != len(frame) else np.concatenate((previous, frame))
    spectrum = np.fft.rfft(both * _HANN[len(both)], NFFT)
    power = spectrum.real ** 2 + spectrum.imag ** 2
    power[:3] = 0.0          # DC and its window leakage (under 50 Hz): not part of any pitch
    band = power[_BAND] + 1e-9
    total = float(band.sum())
    flatness = math.exp(float(np.log(band).mean())) * len(band) / total
    tone_share = float(np.partition(band, -3)[-3:].sum()) / total
    acf = np.fft.irfft(power, NFFT)
    if acf[0] <= 0:
        return FrameVoicing(dbfs, 0.0, 0.0, flatness, tone_share)
    normalised = acf[_LAGS[0]:_LAGS[1]] / (acf[0] * _WINDOW_ACF[len(both)])
    best = int(np.argmax(normalised * _OCTAVE))
    return FrameVoicing(dbfs, min(float(normalised[best]), 1.0), float(_PITCH[best]), flatness, tone_share)


def pcm16_samples(pcm16: bytes) -> np.ndarray:
    """16-bit little-endian PCM as float samples."""
    return np.frombuffer(pcm16[: len(pcm16) // 2 * 2], dtype="<i2").astype(np.float64)


@dataclass(frozen=True, slots=True)
class StretchVoicing:
    """Summary of a stretch of frames (loud or not), the inputs of `speech_score`."""

    loud: int                  # frames with a FrameVoicing
    voiced: float              # share of loud frames that are voiced and not a tone
    gliding: float             # share of voiced frames whose pitch moved 1-25 % from the previous voiced frame
    held: float                # share of voiced frames whose pitch stayed within 1 % of the previous one
    notes: float               # share of voiced frames in runs of >= NOTE_FRAMES at one pitch (+-3 %): notes
    tonal: float               # share of loud frames that are one tone
    flatness: float            # median flatness of loud frames
    level_swing_db: float      # spread (90th - 10th percentile) of the level over all frames
    ends_in_tone: bool = False  # most of the last 10 loud frames are one tone (a voicemail beep, a ringback)


def summarise(frames: Sequence[FrameVoicing | float]) -> StretchVoicing:
    """Summary of a stretch: each item is a loud frame's voicing, or the level (dBFS) of a quiet frame."""
    loud = [f for f in frames if isinstance(f, FrameVoicing)]
    levels = np.array([f.dbfs if isinstance(f, FrameVoicing) else max(float(f), -90.0) for f in frames] or [-90.0])
    levels = np.maximum(levels, -90.0)
    if not loud:
        return StretchVoicing(0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0)
    voiced = [f for f in loud if f.harmonicity >= VOICED_R and f.tone_share < TONE_SHARE]
    glide = held = 0
    for a, b in zip(voiced, voiced[1:], strict=False):
        change = abs(b.pitch_hz - a.pitch_hz) / a.pitch_hz
        glide += 0.01 <= change <= 0.25
        held += change < 0.01
    pairs = max(len(voiced) - 1, 1)
    in_notes, run, anchor = 0, 0, 0.0
    for f in voiced + [None]:
        if f is not None and run and abs(f.pitch_hz - anchor) <= 0.03 * anchor:
            run += 1
            continue
        in_notes += run if run >= NOTE_FRAMES else 0
        run, anchor = (1, f.pitch_hz) if f is not None else (0, 0.0)
    swing = float(np.percentile(levels, 90) - np.percentile(levels, 10))
    return StretchVoicing(len(loud), len(voiced) / len(loud), glide / pairs, held / pairs,
                          in_notes / max(len(voiced), 1),
                          sum(f.tone_share >= TONE_SHARE for f in loud) / len(loud),
                          float(np.median([f.flatness for f in loud])), swing,
                          sum(f.tone_share >= BEEP_SHARE for f in loud[-10:]) > 5)


def speech_score(s: StretchVoicing) -> float:
    """How much a stretch sounds like a voice: > 0 speech, < 0 music, noise or tones (see module docstring).

    A logistic regression fitted on 1.5 s windows of the corpus's tuning half (speech against music and
    noise; benchmarks/fit_live_voicing.py), plus a penalty for held notes, which hold music has and
    speech seldom has (2 % of the tuning half's speech windows have half their voiced frames in notes).
    """
    if s.loud < 10 or s.ends_in_tone:   # a click or a blip, or a beep: never the end of a greeting
        return -1.0
    linear = (0.905 * s.voiced + 1.336 * s.gliding + 0.109 * s.held - 0.225 * s.notes + 0.649 * s.tonal
              - 0.591 * s.flatness + 2.079 * min(s.level_swing_db, 40.0) / 10.0 - 5.860)
    return linear - 3.0 * max(0.0, s.notes - 0.4)
