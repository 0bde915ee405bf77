"""The caller's lines as 8 kHz mono 16-bit WAV files, ready for a pjsua2 player.

Text is spoken by espeak-ng and resampled by sox (espeak-ng writes 22.05 kHz); WAV files in
other formats are converted by sox. Both tools are Debian packages (scripts/system-packages.txt).
A spoken line is kept in a cache by its text, voice, speed and tools (`cached_text`): a campaign says the
same lines in many calls, and rendering them (two programs, about 12 ms of CPU) would otherwise
happen in every dialer process just before its INVITE, beside the calls on the line.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import wave
from pathlib import Path

from mystery_core.errors import InputError

RATE = 8000


def check_wav(path: str, where: str) -> float:
    """Duration in seconds of a readable PCM WAV file; InputError naming the file otherwise."""
    try:
        with wave.open(path, "rb") as wav:
            if wav.getnframes() == 0:
                raise InputError(where, None, f"{path}: WAV file has no audio")
            return wav.getnframes() / float(wav.getframerate())
    except FileNotFoundError:
        raise InputError(where, None, f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(where, None, f"{path}: is a directory, expected a WAV file") from None
    except PermissionError:
        raise InputError(where, None, f"{path}: permission denied") from None
    except (wave.Error, EOFError) as error:
        raise InputError(where, None, f"{path}: not a PCM WAV file ({error})") from None


def _needs(tool: str) -> str:
    found = shutil.which(tool)
    if not found:
        raise InputError(tool, None, f"{tool} is not installed (Debian package: see scripts/system-packages.txt)")
    return found


def is_telephone_wav(path: Path) -> bool:
    """True when `path` is already 8 kHz mono 16-bit PCM."""
    with wave.open(str(path), "rb") as wav:
        return (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (RATE, 1, 2)


def to_telephone_wav(source: Path, target: Path) -> Path:
    """`source` itself if already 8 kHz mono 16-bit, else a sox-converted copy at `target`."""
    if is_telephone_wav(source):
        return source
    subprocess.run([_needs("sox"), str(source), "-r", str(RATE), "-c", "1", "-b", "16", str(target)],
                   check=True, capture_output=True)
    return target


def render_text(text: str, target: Path, voice: str = "en", speed_wpm: int = 160) -> Path:
    """Speak `text` with espeak-ng into an 8 kHz mono WAV at `target`."""
    raw = target.with_suffix(".raw.wav")
    spoken = subprocess.run([_needs("espeak-ng"), "-v", voice, "-s", str(speed_wpm), "-w", str(raw), text],
                            capture_output=True, text=True)
    if spoken.returncode != 0 or not raw.exists():
        problem = (spoken.stderr.strip().splitlines() or ["espeak-ng failed"])[-1]
        raise InputError("voice", None, f"espeak-ng cannot speak with voice {voice!r}: {problem}")
    subprocess.run([_needs("sox"), str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(target)],
                   check=True, capture_output=True)
    raw.unlink(missing_ok=True)
    return target


LINE_CACHE = Path.home() / ".cache" / "mystery" / "lines"


def _speaker_identity() -> str:
    """Which espeak-ng and sox made a cached line (path, size, modification time): an upgraded package
    speaks differently, so its lines get new keys instead of a stale cache."""
    parts = []
    for tool in ("espeak-ng", "sox"):
        found = _needs(tool)
        stat = os.stat(os.path.realpath(found))
        parts.append(f"{found}:{stat.st_size}:{stat.st_mtime_ns}")
    return "|".join(parts)


def cached_text(text: str, target: Path, voice: str = "en", speed_wpm: int = 160, cache: Path = LINE_CACHE) -> Path:
    """`render_text`, from the cache when this line was spoken before (else rendered at `target` and
    copied into the cache whole or not at all); returns the WAV to play. Without a usable cache folder,
    the line is rendered as before."""
    key = hashlib.sha256(f"{_speaker_identity()}\0{voice}\0{speed_wpm}\0{RATE}\0{text}".encode()).hexdigest()[:32]
    kept = cache / f"{key}.wav"
    if kept.exists():
        return kept
    render_text(text, target, voice, speed_wpm)
    try:
        cache.mkdir(parents=True, exist_ok=True)
        partial = kept.with_name(f"{kept.name}.{os.getpid()}.partial")
        shutil.copyfile(target, partial)
        partial.replace(kept)
    except OSError:
        pass
    return target


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / float(wav.getframerate())
