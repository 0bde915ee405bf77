"""What the independent corpus is made of: each source clip, where it came from, and which half it is in.

Why: the split is by source recording (a speaker, a music track, a noise file is in the tuning half or
in the held-out half, never in both), so the held-out figures say how the analysis does on voices,
music and noise it was never tuned on. Nothing here comes from the project's simulator (Debian's
Asterisk prompts, opsound hold music, espeak-ng) nor from the repositories reserved for an independent
check (openai/whisper, alphacep/vosk-api, ina-foss/inaSpeechSegmenter, librosa/data, mozilla/DeepSpeech).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import soundfile

RATE = 8000
SOURCES_DIR = Path(__file__).resolve().parents[1] / "data" / "audio_corpus" / "sources"
HALVES = ("tuning", "heldout")

FSDD = ("Jakobovski/free-spoken-digit-dataset", "26eb9aaf76e81b692f806f9140c2d2777410d7a1", "CC-BY-SA-4.0")
SPEECHBRAIN = ("speechbrain/speechbrain", "9c826ef3937bac885c8a6ca86c6889a30f256fb5",
               "Apache-2.0 (repository); LibriSpeech clips CC-BY-4.0, LJ Speech public domain")
LEOPARD = ("Picovoice/leopard", "f0d80c61f03f6438c1ff89d98b62b95796d27003", "Apache-2.0")
PYANNOTE = ("pyannote/pyannote-audio", "b749285c5cdd4636b2edc7f766f1352c8dde9369", "MIT")
UBERI = ("Uberi/speech_recognition", "0a675d1e5232dbeae1be8d071c923fb37f0f163a", "BSD-3-Clause")
SUPERTUX = ("debian:supertux-data", "0.6.3-2 (Debian 12)", "GPL-2+ (data/music/* in debian/copyright)")
SONICPI = ("debian:sonic-pi-samples", "3.2.2~repack-8 (Debian 12)", "CC0-1.0 (freesound.org, samples/README.md)")
_ST = "/usr/share/games/supertux2/music/"
_SP = "/usr/share/sonic-pi/samples/"


@dataclass(frozen=True)
class Source:
    """One committed clip (tests/data/audio_corpus/sources/NAME.flac, 8 kHz mono)."""

    name: str
    kind: str            # speech, music, noise
    group: str           # the speaker, track or noise file: never in both halves
    half: str            # tuning or heldout
    repo: str            # owner/name on GitHub, or debian:PACKAGE
    commit: str          # git commit, or the package version
    licence: str
    paths: tuple[str, ...]
    lang: str = ""
    start_s: float = 0.0
    max_s: float = 60.0
    gap_s: float = 0.0   # silence put between the parts of a multi-file clip
    note: str = ""


def _fsdd(speaker: str, half: str, accent: str) -> Source:
    digits = tuple(f"recordings/{d}_{speaker}_{i}.wav" for i in (0, 1) for d in range(10))
    return Source(f"fsdd_{speaker}", "speech", f"speaker:fsdd-{speaker}", half, FSDD[0], FSDD[1], FSDD[2], digits,
                  "en", gap_s=0.45, note=f"20 spoken digits, male, {accent} accent")


def _sb(name: str, half: str, paths: tuple[str, ...], group: str, lang: str, note: str, gap: float = 0.0,
        kind: str = "speech") -> Source:
    return Source(name, kind, group, half, SPEECHBRAIN[0], SPEECHBRAIN[1], SPEECHBRAIN[2], paths, lang,
                  gap_s=gap, note=note)


def _music(name: str, half: str, repo: tuple[str, str, str], path: str, start: float, note: str) -> Source:
    return Source(name, "music", f"track:{name}", half, repo[0], repo[1], repo[2], (path,), start_s=start,
                  max_s=45.0, note=note)


SOURCES: tuple[Source, ...] = (
    # --- speech, tuning half
    Source("pyannote_dev00", "speech", "speakers:pyannote-ami", "tuning", *PYANNOTE, ("tests/data/dev00.wav",),
           "en", note="meeting speech, several speakers (one group with pyannote_sample)"),
    Source("pyannote_sample", "speech", "speakers:pyannote-ami", "tuning", *PYANNOTE,
           ("src/pyannote/audio/sample/sample.wav",), "en", note="meeting speech, several speakers"),
    _sb("librispeech_spk1", "tuning", tuple(f"tests/samples/ASR/spk1_snt{i}.wav" for i in range(1, 7)),
        "speaker:librispeech-spk1", "en", "read speech, 6 sentences", gap=0.6),
    _sb("ljspeech_lj050", "tuning", ("tests/samples/TTS/LJ050-0131.wav",), "speaker:ljspeech", "en",
        "read speech, female"),
    Source("leopard_de", "speech", "speaker:leopard-de", "tuning", *LEOPARD,
           ("resources/audio_samples/test_de.wav",), "de", note="read speech (German)"),
    Source("leopard_es", "speech", "speaker:leopard-es", "tuning", *LEOPARD,
           ("resources/audio_samples/test_es.wav",), "es", note="read speech (Spanish)"),
    Source("uberi_english", "speech", "speaker:uberi-en", "tuning", *UBERI, ("examples/english.wav",), "en",
           note="one short English sentence"),
    _fsdd("jackson", "tuning", "US"),
    _fsdd("nicolas", "tuning", "Belgian French"),
    _fsdd("theo", "tuning", "US"),
    # --- speech, held-out half
    Source("leopard_en", "speech", "speaker:leopard-en", "heldout", *LEOPARD,
           ("resources/audio_samples/test.wav",), "en", note="read speech (English)"),
    Source("leopard_fr", "speech", "speaker:leopard-fr", "heldout", *LEOPARD,
           ("resources/audio_samples/test_fr.wav",), "fr", note="read speech (French)"),
    Source("leopard_it", "speech", "speaker:leopard-it", "heldout", *LEOPARD,
           ("resources/audio_samples/test_it.wav",), "it", note="read speech (Italian)"),
    Source("leopard_diarization", "speech", "speakers:leopard-diarization", "heldout", *LEOPARD,
           ("resources/audio_samples/diarization_test.wav",), "en", note="conversation, two speakers"),
    _sb("librispeech_spk2", "heldout", tuple(f"tests/samples/ASR/spk2_snt{i}.wav" for i in range(1, 7)),
        "speaker:librispeech-spk2", "en", "read speech, 6 sentences", gap=0.6),
    Source("uberi_french", "speech", "speaker:uberi-fr", "heldout", *UBERI, ("examples/french.aiff",), "fr",
           note="one short French sentence"),
    _fsdd("george", "heldout", "Greek"),
    _fsdd("lucas", "heldout", "German"),
    _fsdd("yweweler", "heldout", "German"),
    # --- music, tuning half
    _music("st_forest_theme", "tuning", SUPERTUX, _ST + "forest/forest_theme.ogg", 10, "orchestral game theme"),
    _music("st_chipdisko", "tuning", SUPERTUX, _ST + "antarctic/chipdisko.ogg", 20, "electronic / chiptune"),
    _music("st_tropicalbreeze", "tuning", SUPERTUX, _ST + "tropical/tropicalbreeze.ogg", 5, "light pop"),
    _music("sp_loop_tabla", "tuning", SONICPI, _SP + "loop_tabla.flac", 0, "tabla loop (percussion)"),
    _music("sp_guit_em9", "tuning", SONICPI, _SP + "guit_em9.flac", 0, "guitar chord, ringing out"),
    _music("sp_loop_garzul", "tuning", SONICPI, _SP + "loop_garzul.flac", 0, "electronic loop"),
    # --- music, held-out half
    _music("st_clavelian_march", "heldout", SUPERTUX, _ST + "forest/clavelian_march.ogg", 10, "classical march"),
    _music("st_arctic_breeze", "heldout", SUPERTUX, _ST + "antarctic/arctic_breeze.ogg", 20, "ambient / strings"),
    _music("st_retro_classic", "heldout", SUPERTUX, _ST + "retro/classic.ogg", 5, "retro chiptune"),
    _music("st_credits", "heldout", SUPERTUX, _ST + "misc/credits.ogg", 10, "piano and orchestra"),
    _music("sp_loop_amen_full", "heldout", SONICPI, _SP + "loop_amen_full.flac", 0, "drum break loop"),
    _music("sp_loop_mika", "heldout", SONICPI, _SP + "loop_mika.flac", 0, "electronic loop"),
    _music("sp_ambi_piano", "heldout", SONICPI, _SP + "ambi_piano.flac", 0, "piano phrase (looped)"),
    # --- noise, tuning half
    _sb("sb_noise1", "tuning", ("tests/samples/noise/noise1.wav",), "noise:sb-noise1", "", "recorded noise", kind="noise"),
    _sb("sb_noise3", "tuning", ("tests/samples/noise/noise3.wav",), "noise:sb-noise3", "", "recorded noise", kind="noise"),
    _sb("sb_noise5", "tuning", ("tests/samples/noise/noise5.wav",), "noise:sb-noise5", "", "recorded noise", kind="noise"),
    Source("sp_vinyl_hiss", "noise", "noise:vinyl-hiss", "tuning", *SONICPI, (_SP + "vinyl_hiss.flac",),
           note="hiss and crackle"),
    # --- noise, held-out half
    _sb("sb_noise2", "heldout", ("tests/samples/noise/noise2.wav",), "noise:sb-noise2", "", "recorded noise", kind="noise"),
    _sb("sb_noise4", "heldout", ("tests/samples/noise/noise4.wav",), "noise:sb-noise4", "", "recorded noise", kind="noise"),
    _sb("sb_noise_diffuse", "heldout", ("tests/samples/multi-mic/noise_diffuse.flac",), "noise:sb-diffuse", "",
        "diffuse room noise", kind="noise"),
    Source("sp_3d_printer", "noise", "noise:3d-printer", "heldout", *SONICPI, (_SP + "loop_3d_printer.flac",),
           note="machine noise (office)"),
)


def sources(half: str, kind: str) -> list[Source]:
    """The clips of one half and kind, in catalogue order."""
    return [s for s in SOURCES if s.half == half and s.kind == kind]


@cache
def load(name: str) -> np.ndarray:
    """A committed clip as float32 at 8 kHz."""
    data, rate = soundfile.read(SOURCES_DIR / f"{name}.flac", dtype="float32")
    if rate != RATE:
        raise ValueError(f"{name}.flac: expected {RATE} Hz, got {rate}")
    return np.asarray(data, dtype=np.float32)
