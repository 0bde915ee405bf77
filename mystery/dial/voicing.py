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
- not flat (noise) and not one line in the spectrum (ringback, beep, DTMF, SIT).
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
NOTE_FRAMES = 8               # a pitch held this many frames (160 ms) is a note, not a syllable
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


def analyse_frame(previous: np.ndarray | None, frame: np.ndarray, dbfs: float) -> FrameVoicing:
    """Voicing of `frame` (160 samples, float), read with the frame before it (pitch periods need 2 frames)."""
    both = frame if previous is None or len(previous) != len(frame) else np.concatenate((previous, frame))
    x = both - both.mean()
    spectrum = np.fft.rfft(x * _WINDOW[: len(x)], NFFT)
    power = spectrum.real ** 2 + spectrum.imag ** 2
    band = power[_BAND] + 1e-12
    total = float(band.sum())
    flatness = float(math.exp(float(np.log(band).mean())) / (total / len(band)))
    top = np.partition(band, -3)[-3:]
    tone_share = float(top.sum() / total)
    # autocorrelation of the unwindowed pair via its power spectrum; normalised by the lag's overlap
    whole = np.fft.rfft(x, NFFT)
    acf = np.fft.irfft(whole.real ** 2 + whole.imag ** 2, NFFT)[: _LAGS[1]]
    n = len(x)
    if acf[0] <= 0:
        return FrameVoicing(dbfs, 0.0, 0.0, flatness, tone_share)
    lags = np.arange(_LAGS[0], _LAGS[1])
    normalised = acf[_LAGS[0]:_LAGS[1]] / acf[0] * n / (n - lags)
    best = int(np.argmax(normalised))
    return FrameVoicing(dbfs, float(min(normalised[best], 1.0)), RATE / float(lags[best]), flatness, tone_share)


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
    noise; benchmarks/bench_live_cue.py --fit), plus a penalty for held notes, which hold music has and
    speech seldom has (2 % of the tuning half's speech windows have half their voiced frames in notes).
    """
    if s.loud < 10 or s.ends_in_tone:   # a click or a blip, or a beep: never the end of a greeting
        return -1.0
    linear = (0.971 * s.voiced + 1.257 * s.gliding + 0.006 * s.held - 0.442 * s.notes + 0.659 * s.tonal
              - 0.594 * s.flatness + 2.083 * min(s.level_swing_db, 40.0) / 10.0 - 5.757)
    return linear - 3.0 * max(0.0, s.notes - 0.4)
