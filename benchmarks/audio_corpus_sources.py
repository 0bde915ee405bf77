"""Bring the independent audio corpus's source clips into tests/data/audio_corpus/sources (run once, by hand).

Why: issue 14's evaluation corpus must be built from real recordings that nothing in the analysis was
tuned on, and CI cannot reach the repositories they come from. This script cuts each clip from a
`fetch`ed GitHub mirror or an extracted Debian package, downmixes it to mono, resamples it to 8 kHz
and writes 16-bit FLAC, so the committed sources are small and the builder needs nothing else.

    python benchmarks/audio_corpus_sources.py --mirrors /work/.mirror --debs /tmp/audio_deb/x

The catalogue (what, from where, which half) is tests/audio_corpus/catalogue.py; SOURCES.md beside the
clips lists each file's repository or package, path, commit or version and licence.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from math import gcd
from pathlib import Path

import numpy as np
import soundfile
from scipy.signal import resample_poly

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from audio_corpus.catalogue import RATE, SOURCES, SOURCES_DIR, Source  # noqa: E402


def _read(path: Path) -> tuple[np.ndarray, int]:
    try:
        data, rate = soundfile.read(path, dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError):   # e.g. AIFF/OGG variants: let sox decode
        with tempfile.TemporaryDirectory() as tmp:
            wav = Path(tmp, "x.wav")
            subprocess.run(["sox", str(path), str(wav)], check=True, capture_output=True)
            data, rate = soundfile.read(wav, dtype="float32", always_2d=True)
    return data.mean(axis=1), rate


def _origin_bytes(source: Source, part: str, mirrors: Path, debs: Path, tmp: Path) -> Path:
    if source.repo.startswith("debian:"):
        return debs / source.repo.split(":", 1)[1] / part.lstrip("/")
    out = tmp / Path(part).name
    blob = subprocess.run(["git", "-C", str(mirrors / source.repo.replace("/", "+") / "repo"), "show",
                           f"{source.commit}:{part}"], check=True, capture_output=True).stdout
    out.write_bytes(blob)
    return out


def _to_8k(x: np.ndarray, rate: int) -> np.ndarray:
    g = gcd(rate, RATE)
    return x if rate == RATE else resample_poly(x, RATE // g, rate // g)


def prepare(source: Source, mirrors: Path, debs: Path) -> np.ndarray:
    """One clip: the parts joined with `gap_s` of silence, from `start_s`, at most `max_s` long."""
    pieces = []
    with tempfile.TemporaryDirectory() as tmp:
        for part in source.paths:
            x, rate = _read(_origin_bytes(source, part, mirrors, debs, Path(tmp)))
            pieces += [_to_8k(x, rate), np.zeros(int(source.gap_s * RATE))]
    audio = np.concatenate(pieces[:-1] if source.gap_s else pieces)
    audio = audio[int(source.start_s * RATE):][: int(source.max_s * RATE)]
    return (audio / (np.max(np.abs(audio)) + 1e-9) * 0.9).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--debs", type=Path, default=Path("/tmp/audio_deb/x"))
    args = parser.parse_args()
    SOURCES_DIR.mkdir(parents=True, exist_ok=True)
    for source in SOURCES:
        audio = prepare(source, args.mirrors, args.debs)
        soundfile.write(SOURCES_DIR / f"{source.name}.flac", audio, RATE, subtype="PCM_16")
        print(f"{source.name:28s} {source.kind:6s} {source.half:8s} {len(audio) / RATE:6.1f} s")


if __name__ == "__main__":
    main()
