"""Audio files the switchboard plays: TTS speech, concatenated prompts, ringback, all 8 kHz mono 16-bit.

Renders are cached by content hash, so a prompt is made once per machine and an
agent sentence once per (text, voice); espeak-ng + sox take tens of milliseconds.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import threading
import wave
from pathlib import Path

from switchboard.config import Prompt, Voice


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/mystery/switchboard`` (``~/.cache/...`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mystery" / "switchboard"


def wav_duration_s(path: str | Path) -> float:
    """Length of a PCM WAV file in seconds."""
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / float(w.getframerate())


def _key(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:24]


def _publish(tmp: Path, final: Path) -> Path:
    os.replace(tmp, final)  # atomic: concurrent workers may render the same file
    return final


def _unique() -> str:
    # several workers, and two render threads of one worker, may render the same file at once
    return f"{os.getpid()}.{threading.get_ident()}"


def _tmp(final: Path) -> Path:
    return final.with_name(f".{final.name}.{_unique()}.tmp.wav")


def render_speech(text: str, voice: Voice, cache_dir: Path) -> Path:
    """Speak ``text`` with espeak-ng and resample to 8 kHz mono with sox."""
    final = cache_dir / f"say-{_key(text, voice)}.wav"
    if final.exists():
        return final
    cache_dir.mkdir(parents=True, exist_ok=True)
    raw = final.with_name(f".{final.name}.{_unique()}.raw.wav")
    tmp = _tmp(final)
    try:
        subprocess.run(
            ["espeak-ng", "-v", voice.voice, "-s", str(voice.speed_wpm), "-p", str(voice.pitch), "-w", str(raw), text],
            check=True, capture_output=True, timeout=30,
        )
        subprocess.run(
            ["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", str(tmp), "gain", "-n", "-3"],
            check=True, capture_output=True, timeout=30,
        )
    finally:
        raw.unlink(missing_ok=True)
    return _publish(tmp, final)


def render_prompt(prompt: Prompt, ivr_voice: Voice, cache_dir: Path) -> Path:
    """Concatenate a prompt's items (sound files, IVR-voice sentences, silences) into one WAV."""
    final = cache_dir / f"prompt-{_key(prompt, ivr_voice)}.wav"
    if final.exists():
        return final
    cache_dir.mkdir(parents=True, exist_ok=True)
    parts: list[str] = []
    for item in prompt:
        if item.kind == "sound":
            parts.append(str(item.value))
        elif item.kind == "say":
            parts.append(str(render_speech(str(item.value), ivr_voice, cache_dir)))
        else:
            parts.append(str(render_silence(float(item.value), cache_dir)))
    tmp = _tmp(final)
    if len(parts) == 1:
        cmd = ["sox", parts[0], "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", str(tmp)]
    else:
        cmd = ["sox", *parts, "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", str(tmp)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=60)
    return _publish(tmp, final)


def render_silence(seconds: float, cache_dir: Path) -> Path:
    """A silent WAV of the given length."""
    final = cache_dir / f"silence-{seconds:.3f}.wav"
    if final.exists():
        return final
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = _tmp(final)
    subprocess.run(
        ["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", str(tmp), "trim", "0", f"{seconds:.3f}"],
        check=True, capture_output=True, timeout=30,
    )
    return _publish(tmp, final)


def render_ringback(cache_dir: Path) -> Path:
    """One cycle of the North-American ringback (440+480 Hz, 2 s on, 4 s off), played in a loop."""
    final = cache_dir / "ringback-us.wav"
    if final.exists():
        return final
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = _tmp(final)
    subprocess.run(
        ["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", str(tmp),
         "synth", "2", "sine", "440", "sine", "480", "remix", "-", "gain", "-n", "-12", "pad", "0", "4"],
        check=True, capture_output=True, timeout=30,
    )
    return _publish(tmp, final)
