"""Standard telephone signals and cut-outs of the real recordings, at 8 kHz.

Why: ringback cadences, beeps, SIT and DTMF are defined by tone plans, so generating them is exact;
speech, music and noise come from the committed clips (catalogue.py), cut so that a snippet starts
at the onset of its first word (the truth's "a person starts at the onset of their first word").
"""

from __future__ import annotations

from functools import cache

import numpy as np

from .catalogue import RATE, load

RING = {
    # style: (frequencies Hz, [(on s, off s), ...])
    "eu": ((425.0,), [(1.0, 4.0)]),
    "uk": ((400.0, 450.0), [(0.4, 0.2), (0.4, 2.0)]),
    "us": ((440.0, 480.0), [(2.0, 4.0)]),
}
DTMF_LOW = (697.0, 770.0, 852.0, 941.0)
DTMF_HIGH = (1209.0, 1336.0, 1477.0)
SIT = ((913.8, 0.274), (1370.6, 0.274), (1776.7, 0.380))


def db(gain_db: float) -> float:
    return float(10 ** (gain_db / 20))


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(round(seconds * RATE)), np.float32)


def tone(freqs: tuple[float, ...], seconds: float, level_db: float) -> np.ndarray:
    t = np.arange(int(round(seconds * RATE))) / RATE
    out = sum((np.sin(2 * np.pi * f * t) for f in freqs), np.zeros_like(t)) * db(level_db)
    ramp = min(len(t), 40)   # 5 ms ramps: no clicks
    env = np.ones(len(t))
    env[:ramp], env[len(t) - ramp:] = np.linspace(0, 1, ramp), np.linspace(1, 0, ramp)
    return (out * env).astype(np.float32)


def ringback(style: str, seconds: float, phase_s: float, level_db: float) -> np.ndarray:
    """`seconds` of a national ringback cadence starting `phase_s` into it (the answer cuts it anywhere)."""
    freqs, cadence = RING[style]
    period = sum(on + off for on, off in cadence)
    parts = []
    for _ in range(int((seconds + phase_s) / period) + 2):
        for on, off in cadence:
            parts += [tone(freqs, on, level_db), silence(off)]
    whole = np.concatenate(parts)
    start = int(round(phase_s * RATE))
    return whole[start: start + int(round(seconds * RATE))]


def ring_state(style: str, t_s: float) -> tuple[bool, float]:
    """(whether the cadence sounds at `t_s`, seconds to the nearest edge of that burst or gap)."""
    _, cadence = RING[style]
    t = t_s % sum(on + off for on, off in cadence)
    for on, off in cadence:
        if t < on:
            return True, min(t, on - t)
        t -= on
        if t < off:
            return False, min(t, off - t)
        t -= off
    return False, 0.0


def dtmf(rng: np.random.Generator) -> np.ndarray:
    low, high = float(rng.choice(DTMF_LOW)), float(rng.choice(DTMF_HIGH))
    return tone((low, high), float(rng.uniform(0.08, 0.2)), -12)


def beep(rng: np.random.Generator) -> np.ndarray:
    """A voicemail beep: one tone of 0.3-0.8 s between 850 and 1400 Hz."""
    return tone((float(rng.uniform(850, 1400)),), float(rng.uniform(0.3, 0.8)), -14)


def sit() -> np.ndarray:
    """Special information tones before a 'number not in service' or closed message."""
    return np.concatenate([tone((f,), s, -18) for f, s in SIT])


@cache
def phrases(name: str) -> tuple[tuple[int, int], ...]:
    """(start, end) samples of the stretches of speech in a clip, split at pauses of 0.25 s or more."""
    x = load(name)
    frames = len(x) // 160
    level = 10 * np.log10(np.mean(x[: frames * 160].reshape(frames, 160) ** 2, axis=1) + 1e-10)
    voiced = level > level.max() - 30
    out: list[tuple[int, int]] = []
    start = gap = None
    for i, v in enumerate(voiced):
        if v:
            start = i if start is None else start
            gap = None
        elif start is not None:
            gap = i if gap is None else gap
            if i - gap >= 12:
                out.append((start, gap))
                start = gap = None
    if start is not None:
        out.append((start, gap if gap is not None else frames))
    return tuple((a * 160, b * 160) for a, b in out if b - a >= 12)


def utterance(name: str, rng: np.random.Generator, min_s: float, max_s: float) -> np.ndarray:
    """Consecutive phrases of one clip, from a random phrase, at least `min_s` long (at most `max_s`).

    The result starts on the first voiced frame of a phrase: its first sample is the onset of a word.
    """
    spans = phrases(name)
    first = int(rng.integers(0, len(spans)))
    x = load(name)
    start, end = spans[first][0], spans[first][1]
    i = first
    while (end - start) / RATE < min_s and i + 1 < len(spans) and (spans[i + 1][1] - start) / RATE <= max_s:
        i += 1
        end = spans[i][1]
    if (end - start) / RATE < min_s and first > 0:   # ran off the end of the clip: take earlier phrases too
        return utterance(name, np.random.default_rng(int(rng.integers(1 << 30))), min_s / 2, max_s)
    return x[start: min(end, start + int(max_s * RATE))].copy()


def loop(name: str, seconds: float, offset_s: float) -> np.ndarray:
    """`seconds` of a clip played from `offset_s`, looping (hold music and room noise go round)."""
    x = load(name)
    start = int(offset_s * RATE) % len(x)
    return np.take(x, np.arange(start, start + int(round(seconds * RATE))), mode="wrap").astype(np.float32)
