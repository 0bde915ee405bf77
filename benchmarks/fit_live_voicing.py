"""Fit the weights of `mystery.dial.voicing.speech_score` on the corpus's tuning half (never the held-out half).

Why: the live cue's voice test must hold on voices, music and noise nobody here produced, so its weights come
from issue 14's independent corpus, tuning half only: 1.5 s windows (every 0.5 s) of its calls' callee side,
labelled by the corpus truth (people, prompts and announcements: speech; hold music: not speech), plus the
half's noise clips sent through a telephone line. A logistic regression with balanced classes; it prints the
weights to paste into voicing.py and how well they separate the windows, on the tuning half and, as a check
only, on simulator recordings (--sim, from benchmarks/collect_switchboard_calls.py).

    python benchmarks/fit_live_voicing.py [--sim /tmp/sim]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_live_cue import FRAME, ReplayCall, corpus_calls, sim_calls  # noqa: E402

from mystery.dial.listen import frame_dbfs  # noqa: E402
from mystery.dial.voicing import FrameVoicing, StretchVoicing, analyse_frame, summarise  # noqa: E402

SPEECH = {"live_human": 1, "agent_speech": 1, "announcement": 1, "ivr_prompt": 1, "prompt": 1,
          "voicemail_greeting": 1, "hold_music": 0, "noise": 0}
WINDOW, STEP = 75, 25
NAMES = ("voiced", "gliding", "held", "notes", "tonal", "flatness", "level_swing_db / 10 (at most 4)")


def features(s: StretchVoicing) -> list[float]:
    return [s.voiced, s.gliding, s.held, s.notes, s.tonal, s.flatness, min(s.level_swing_db, 40.0) / 10.0]


def frames_of(pcm: np.ndarray) -> list[FrameVoicing | float]:
    """What the listener keeps per frame: voicing of loud frames, the level of quiet ones."""
    out: list[FrameVoicing | float] = []
    previous = None
    for i in range(len(pcm) // FRAME):
        chunk = pcm[i * FRAME:(i + 1) * FRAME]
        level = frame_dbfs(chunk.tobytes())
        samples = chunk.astype(np.float64)
        out.append(analyse_frame(previous, samples, level) if level > -45.0 else level)
        previous = samples
    return out


def windows(calls: Iterable[ReplayCall]) -> tuple[np.ndarray, np.ndarray]:
    x, y = [], []
    for call in calls:
        frames = frames_of(call.callee)
        for label, start, end in call.truth:
            if label not in SPEECH:
                continue
            a, b = max(0, int(start / 0.02)), min(len(frames), int(end / 0.02))
            for stop in range(a + WINDOW, b + 1, STEP):
                s = summarise(frames[stop - WINDOW:stop])
                if s.loud >= 10:
                    x.append(features(s))
                    y.append(SPEECH[label])
    return np.array(x), np.array(y)


def noise_windows(half: str) -> tuple[np.ndarray, np.ndarray]:
    """The half's noise clips through a telephone line at three levels (the calls hold little noise alone)."""
    from audio_corpus.catalogue import load, sources
    from audio_corpus.line import draw_treatment, treat
    rng = np.random.default_rng(5)
    x = []
    for source in sources(half, "noise"):
        clip = load(source.name)[: 8000 * 30]
        for gain_db in (-30, -20, -10):
            line = treat(clip / (np.abs(clip).max() + 1e-9) * 10 ** (gain_db / 20), draw_treatment(rng), rng)
            frames = frames_of(np.clip(np.round(line * 32767), -32768, 32767).astype(np.int16))
            for stop in range(WINDOW, len(frames) + 1, STEP):
                s = summarise(frames[stop - WINDOW:stop])
                if s.loud >= 10:
                    x.append(features(s))
    return np.array(x), np.zeros(len(x), int)


def fit(x: np.ndarray, y: np.ndarray, l2: float = 0.01, steps: int = 5000) -> np.ndarray:
    """Logistic regression, classes weighted equally, by gradient descent: weights then the bias."""
    a = np.c_[x, np.ones(len(x))]
    w = np.zeros(a.shape[1])
    weight = np.where(y == 1, 0.5 / y.mean(), 0.5 / (1 - y.mean()))
    for _ in range(steps):
        p = 1 / (1 + np.exp(-a @ w))
        w -= a.T @ ((p - y) * weight) / len(y) + l2 * np.r_[w[:-1], 0.0]
    return w


def report(name: str, x: np.ndarray, y: np.ndarray, w: np.ndarray) -> None:
    s = np.c_[x, np.ones(len(x))] @ w
    print(f"{name}: speech windows > 0: {(s[y == 1] > 0).mean():.3f} of {(y == 1).sum()}, "
          f"music/noise windows < 0: {(s[y == 0] < 0).mean():.3f} of {(y == 0).sum()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sim", type=Path, help="simulator recordings, to check the fit on (never fitted on)")
    args = parser.parse_args()
    x, y = windows(corpus_calls("tuning"))
    nx, ny = noise_windows("tuning")
    x, y = np.r_[x, nx], np.r_[y, ny]
    w = fit(x, y)
    for name, value in zip((*NAMES, "bias"), w, strict=True):
        print(f"{name:32s} {value:+.3f}")
    report("tuning", x, y, w)
    if args.sim:
        report("sim (check)", *windows(sim_calls(args.sim)), w)


if __name__ == "__main__":
    main()
