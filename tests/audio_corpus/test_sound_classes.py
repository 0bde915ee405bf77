"""The learned sound classifier (mystery/audio/classes.py): its committed model, its training, and what it
says of the tuning half's own clips and of generated ring tones and silence."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from mystery.audio.classes import CLASSES, MODEL_PATH, class_log_probs, model_provenance
from mystery.audio.features import frame_features, note_persistence

from . import signals as sg
from .catalogue import load, sources
from .line import LineTreatment, treat

LINE = LineTreatment("pcma", False, -60.0, 0.01, True)   # band, A-law, comfort noise, 1 % lost frames

ROOT = Path(__file__).resolve().parents[2]


def majority(x: np.ndarray) -> str:
    f = frame_features(x)
    lp = class_log_probs(f, note_persistence(f.power, 1))
    loud = f.energy_db > f.energy_db.max() - 20   # the clip's sounding frames
    return CLASSES[int(np.bincount(np.argmax(lp[loud], axis=1), minlength=len(CLASSES)).argmax())]


def test_the_committed_model_is_small_and_says_what_it_was_trained_on():
    assert MODEL_PATH.stat().st_size < 2_000_000
    provenance = model_provenance()
    assert list(CLASSES) == provenance["classes"]
    assert "tuning" in provenance["data"]["corpus"] and "heldout" not in provenance["data"]["corpus"]
    assert "seed=3)" not in provenance["data"]["simulator"]     # bench_analysis scores seed 3
    assert provenance["script"] == "scripts/train_sound_classes.py"


def test_training_is_seeded_and_gives_the_same_weights_twice():
    spec = importlib.util.spec_from_file_location("train_sound_classes", ROOT / "scripts" / "train_sound_classes.py")
    assert spec is not None and spec.loader is not None
    train = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 8)).astype(np.float32)
    y = np.argmax(x[:, :5], axis=1)
    first = train.train(x, y, 2, np.random.default_rng(train.SEED))
    second = train.train(x, y, 2, np.random.default_rng(train.SEED))
    assert sorted(first) == sorted(second)
    assert all(np.array_equal(first[k], second[k]) for k in first)


@pytest.mark.parametrize("kind", ["speech", "music"])
def test_the_tuning_half_clips_through_a_telephone_line_are_classed_as_what_they_are(kind):
    clips = sources("tuning", kind)
    got = [majority(treat(load(s.name)[: 8000 * 12] * 0.5, LINE, np.random.default_rng(3))) for s in clips]
    assert len(clips) - 1 <= got.count(kind), list(zip([s.name for s in clips], got, strict=True))


def test_ring_tones_of_every_country_are_tone_and_the_gaps_between_bursts_silence():
    for style in sg.RING:
        ring = treat(sg.ringback(style, 12.0, 0.0, -16.0), LINE, np.random.default_rng(1))
        assert "tone" == majority(ring), style
        f = frame_features(ring)
        said = np.argmax(class_log_probs(f, note_persistence(f.power, 1)), axis=1)
        gaps = f.energy_db < f.energy_db.max() - 30
        assert "silence" == CLASSES[int(np.bincount(said[gaps]).argmax())], style
