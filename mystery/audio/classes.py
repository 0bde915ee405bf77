"""A small learned classifier of sound per 20 ms frame: speech, music, noise, tone or silence.

Why: the hand-fitted music-vs-speech odds (`sounds.music_log_odds`) were fitted on the simulator's
own prompts, voices and music, and on real lines they take jazz for speech, a ring tone through a
lossy G.711 line for a prompt, and line noise for a voice. This model sees the same kind of evidence
(spectral shape, level against the line's floor, syllable rhythm, pauses, held notes, tonality) over
several window lengths, and was trained on the tuning half of the independent corpus plus simulator
calls that the benchmarks never score (`scripts/train_sound_classes.py`, seeded; provenance in the
model file). It is one hidden layer run in numpy: no extra dependency, well under 1 ms per second of
call. The segmenter blends its log-probabilities with its rules; it never labels phases by itself.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np

from mystery.audio.features import FrameFeatures, pause_ratio, syllable_modulation, window_mean

CLASSES = ("speech", "music", "noise", "tone", "silence")
MODEL_PATH = Path(__file__).with_name("sound_classes.npz")

_BAND_EDGES = np.unique(np.geomspace(5, 230, 17).astype(int))   # ~80-3600 Hz in 16 log-spaced bands


def class_features(f: FrameFeatures, held: np.ndarray) -> np.ndarray:
    """Per-frame inputs of the model (frames x features); `held` is `note_persistence(f.power, 1)`.

    Levels are taken relative to the call (its floor and its loud frames) so that a quiet line and
    a loud one look alike; every context feature is a centred window of 0.3, 1 or 3 s.
    """
    n = f.n
    if n == 0:
        return np.zeros((0, feature_count()), np.float32)
    bands = np.add.reduceat(f.power[:, _BAND_EDGES[0]:_BAND_EDGES[-1]].astype(np.float64),
                            _BAND_EDGES[:-1] - _BAND_EDGES[0], axis=1)
    log_bands = np.log10(bands + 1e-10)
    shape = log_bands - log_bands.mean(axis=1, keepdims=True)          # colour, not level
    energy = f.energy_db.astype(np.float64)
    floor, loud = float(np.percentile(energy, 5)), float(np.percentile(energy, 95))
    flux = np.abs(np.diff(log_bands, axis=0, prepend=log_bands[:1])).mean(axis=1)
    peak_move = np.abs(np.diff(f.peak_hz.astype(np.float64), prepend=float(f.peak_hz[0]))) > 20
    ring_share = bands[:, :4].sum(axis=1) / (bands.sum(axis=1) + 1e-10)    # energy below ~550 Hz
    columns = [
        shape, window_mean(shape, 15), window_mean(shape, 50),
        np.stack([
            energy - floor, energy - loud, window_mean(energy - floor, 15), window_mean(energy - floor, 50),
            np.sqrt(np.maximum(window_mean(energy ** 2, 25) - window_mean(energy, 25) ** 2, 0)),
            f.tonality, window_mean(f.tonality, 15), window_mean(f.tonality, 50),
            f.flatness, window_mean(f.flatness, 15), window_mean(f.flatness, 50),
            window_mean(flux, 15), window_mean(flux, 50),
            window_mean(peak_move.astype(np.float64), 15), window_mean(peak_move.astype(np.float64), 50),
            window_mean(ring_share, 15),
            window_mean(f.vad.astype(np.float64), 15), window_mean(f.vad.astype(np.float64), 50),
            window_mean(held, 15), window_mean(held, 50), window_mean(held, 150),
            pause_ratio(energy, 50), pause_ratio(energy, 150),
            syllable_modulation(energy, 50), syllable_modulation(energy, 150),
            np.full(n, loud - floor),
        ], axis=1),
    ]
    return np.concatenate(columns, axis=1).astype(np.float32)


def feature_count() -> int:
    """Width of `class_features`' rows."""
    return 3 * (len(_BAND_EDGES) - 1) + 26


@cache
def _model(path: Path = MODEL_PATH) -> dict[str, np.ndarray]:
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def model_provenance(path: Path = MODEL_PATH) -> dict[str, object]:
    """How the committed model was trained (data, seeds, accuracy), as stored beside its weights."""
    return dict(json.loads(str(_model(path)["provenance"])))


def forward(x: np.ndarray, weights: dict[str, np.ndarray]) -> np.ndarray:
    """Log-probabilities (frames x classes) of standardised inputs through the one-hidden-layer net."""
    z = (x - weights["mean"]) / weights["std"]
    hidden = np.maximum(z @ weights["w1"] + weights["b1"], 0.0)
    logits = hidden @ weights["w2"] + weights["b2"]
    logits = logits - logits.max(axis=1, keepdims=True)
    return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))


def class_log_probs(f: FrameFeatures, held: np.ndarray) -> np.ndarray:
    """Per-frame log-probabilities of CLASSES (frames x 5) from the committed model."""
    weights = _model(MODEL_PATH)
    return forward(class_features(f, held), weights).astype(np.float32)
