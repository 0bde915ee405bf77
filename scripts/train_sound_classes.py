"""Train the per-frame sound classifier (mystery/audio/classes.py) and write mystery/audio/sound_classes.npz.

Why here: the model must be rebuilt from what the repository holds, with the same result on every run.
Data (never the held-out half, never the simulator calls the benchmarks score):
- the TUNING half of the independent corpus (tests/audio_corpus: 44 calls + 16 client-line calls),
- simulator calls of `synthesize_campaign(36, seed=11)` (bench_analysis scores seed 3).
Frame truth: a call's phase labels mapped to sound classes (ringback -> tone; prompts, announcements,
voicemail greetings and people -> speech; hold music -> music; noise -> noise; silence -> silence), and
any frame below the line's audible level (`sounds.audible`) -> silence.
Model: one hidden layer of 32 ReLU units, softmax over 5 classes, class-balanced cross-entropy, Adam,
numpy only, seeded.

    PYTHONPATH=. python scripts/train_sound_classes.py [--epochs 12] [--out mystery/audio/sound_classes.npz]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from audio_corpus.build import build_half, build_line_calls, wav_bytes  # noqa: E402

from mystery.audio.classes import CLASSES, MODEL_PATH, class_features, forward  # noqa: E402
from mystery.audio.features import frame_features, note_persistence  # noqa: E402
from mystery.audio.sounds import audible  # noqa: E402
from mystery.audio.synthetic import synthesize_campaign  # noqa: E402
from mystery.audio.wav import read_channels  # noqa: E402

PHASE_CLASS = {"ringback": "tone", "ivr_prompt": "speech", "announcement": "speech", "voicemail_greeting": "speech",
               "live_human": "speech", "hold_music": "music", "noise": "noise", "silence": "silence"}
SEED = 14
SIM_SEED = 11
SIM_CALLS = 36
HIDDEN = 32


def frame_truth(truth: list[tuple[str, float, float]], n: int, active: np.ndarray) -> np.ndarray:
    """Class index per 20 ms frame (-1: outside the truth)."""
    y = np.full(n, -1, np.int64)
    for label, start, end in truth:
        y[int(round(start / 0.02)):int(round(end / 0.02))] = CLASSES.index(PHASE_CLASS[label])
    y[(~active) & (y >= 0)] = CLASSES.index("silence")
    return y


def examples(callee: np.ndarray, truth: list[tuple[str, float, float]]) -> tuple[np.ndarray, np.ndarray]:
    f = frame_features(callee)
    x = class_features(f, note_persistence(f.power, 1))
    y = frame_truth(truth, f.n, audible(f))
    keep = y >= 0
    return x[keep], y[keep]


def collect() -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, int]]:
    """Features, classes and a source tag (0 corpus, 1 simulator) for every training frame."""
    xs, ys, tags, counts = [], [], [], {"corpus_calls": 0, "simulator_calls": 0}
    with tempfile.TemporaryDirectory() as tmp:
        for call in build_half("tuning") + build_line_calls("tuning"):
            path = Path(tmp) / f"{call.name}.wav"
            path.write_bytes(wav_bytes(call))
            x, y = examples(read_channels(path, call.channel).callee, call.truth)
            xs.append(x), ys.append(y), tags.append(np.zeros(len(y), np.int8))
            counts["corpus_calls"] += 1
    for sim in synthesize_campaign(SIM_CALLS, SIM_SEED):
        x, y = examples(sim.callee, [(p.label, p.start_s, p.end_s) for p in sim.truth])
        xs.append(x), ys.append(y), tags.append(np.ones(len(y), np.int8))
        counts["simulator_calls"] += 1
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(tags), counts


def train(x: np.ndarray, y: np.ndarray, epochs: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Class-balanced softmax regression through one ReLU layer, minibatch Adam."""
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-6
    k, d = len(CLASSES), x.shape[1]
    p = {"w1": rng.normal(0, np.sqrt(2 / d), (d, HIDDEN)), "b1": np.zeros(HIDDEN),
         "w2": rng.normal(0, np.sqrt(1 / HIDDEN), (HIDDEN, k)), "b2": np.zeros(k)}
    m = {name: np.zeros_like(v) for name, v in p.items()}
    v2 = {name: np.zeros_like(v) for name, v in p.items()}
    freq = np.bincount(y, minlength=k) / len(y)
    class_w = 1 / np.sqrt(np.maximum(freq, 1e-4))
    class_w = class_w / (class_w * freq).sum()
    z_all = ((x - mean) / std).astype(np.float64)
    step, lr, batch = 0, 3e-3, 2048
    for epoch in range(epochs):
        order = rng.permutation(len(y))
        for i in range(0, len(y), batch):
            idx = order[i:i + batch]
            z, t = z_all[idx], y[idx]
            h_pre = z @ p["w1"] + p["b1"]
            h = np.maximum(h_pre, 0)
            logits = h @ p["w2"] + p["b2"]
            logits -= logits.max(axis=1, keepdims=True)
            prob = np.exp(logits)
            prob /= prob.sum(axis=1, keepdims=True)
            w = class_w[t][:, None] / len(t)
            g_logits = prob.copy()
            g_logits[np.arange(len(t)), t] -= 1
            g_logits *= w
            grads = {"w2": h.T @ g_logits, "b2": g_logits.sum(axis=0)}
            g_h = (g_logits @ p["w2"].T) * (h_pre > 0)
            grads["w1"], grads["b1"] = z.T @ g_h + 1e-4 * p["w1"], g_h.sum(axis=0)
            step += 1
            rate = lr * (0.5 if epoch >= epochs * 2 // 3 else 1.0)
            for name in p:
                m[name] = 0.9 * m[name] + 0.1 * grads[name]
                v2[name] = 0.999 * v2[name] + 0.001 * grads[name] ** 2
                p[name] -= rate * (m[name] / (1 - 0.9 ** step)) / (np.sqrt(v2[name] / (1 - 0.999 ** step)) + 1e-8)
    return {"mean": mean.astype(np.float32), "std": std.astype(np.float32),
            **{name: value.astype(np.float32) for name, value in p.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args()
    started = time.time()
    x, y, tags, counts = collect()
    rng = np.random.default_rng(SEED)
    weights = train(x, y, args.epochs, rng)
    got = np.argmax(forward(x, weights), axis=1)
    accuracy = {name: round(float(np.mean(got[(tags == tag)] == y[(tags == tag)])), 4)
                for tag, name in ((0, "corpus_tuning"), (1, "simulator"))}
    per_class = {c: round(float(np.mean(got[y == i] == i)), 4) for i, c in enumerate(CLASSES) if (y == i).any()}
    provenance = {
        "script": "scripts/train_sound_classes.py", "seed": SEED, "epochs": args.epochs, "hidden": HIDDEN,
        "data": {"corpus": "tests/audio_corpus tuning half: build_half('tuning') + build_line_calls('tuning')",
                 "simulator": f"synthesize_campaign({SIM_CALLS}, seed={SIM_SEED})", **counts},
        "frames": int(len(y)), "classes": list(CLASSES),
        "frames_per_class": {c: int((y == i).sum()) for i, c in enumerate(CLASSES)},
        "training_frame_accuracy": accuracy, "training_recall_per_class": per_class,
    }
    np.savez_compressed(args.out, provenance=np.array(json.dumps(provenance)), **weights)
    print(json.dumps(provenance, indent=1))
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes) in {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
