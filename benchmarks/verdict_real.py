"""Real people's voices with published reference transcripts, through a telephone line, for measuring
checklist verdicts (not a test; benchmarks/bench_verdicts.py --set clips).

Why: the simulator's espeak voices and Debian's Asterisk prompts are the two voices the recogniser's
settings were tuned on. These clips are other people (several speakers, accents), cut from the
tuning half of the audio evaluation corpus (tests/data/audio_corpus/sources, issue 14; its held-out
half is left alone), each with the transcript its source publishes (benchmarks/verdict_real.md).
Each clip goes through the corpus's phone line (tests/audio_corpus/line.py: band limit, AGC or not,
comfort noise, G.711 mu-law or A-law, 1-3 % lost frames), drawn from the clip's own seed.

None of them is a hotel call, so the checklist of a clip is made from the reference texts: items the
clip says (two phrases of three words, its two longest words, a number read digit by digit) and items of
the same kinds taken from other clips, which it does not say. The truth of an item is the verdict
the checklist gives on the reference text.
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from verdict_corpus import SimCall, Turn  # noqa: E402

from mystery.score.checklist import Checklist, ChecklistItem, Rule  # noqa: E402
from tests.audio_corpus.catalogue import load  # noqa: E402
from tests.audio_corpus.line import RATE, draw_treatment, treat  # noqa: E402

DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
STOP = frozenset(["a", "an", "the", "at", "of", "is", "in", "to", "for", "and", "you", "when", "this", "that", "there"])


@dataclass(frozen=True)
class Clip:
    """One clip: which committed source, which of its parts (split at the silences the corpus put
    between the files it joined), the reference text and who speaks."""

    clip_id: str
    source: str
    parts: tuple[int, ...]
    text: str
    speaker: str
    voice: str          # sex and accent (where the source does not say the sex: by the median pitch)
    transcript_from: str  # where the reference text is published


_SB = "speechbrain/speechbrain tests/samples/annotation/ASR_train.json (ASR_dev.json for snt5), field wrd"
_SPK1 = ("the child almost hurt the small dog", "drop the two when you add the figures",
         "at that high level the air is pure", "a thin stripe runs down the middle",
         "sunday is the best part of the week")
# speechbrain's own annotation writes "tue" for the spoken "two" (its phone labels say t uw); the
# sentence is Harvard list sentence "Drop the two when you add the figures".


def _digit_clips(speaker: str, accent: str, seed: int = 18) -> list[Clip]:
    """The 20 recordings of a free-spoken-digit-dataset speaker (each digit twice; part k is digit
    k % 10) shuffled into five numbers of four digits, as a phone number is read out."""
    order = list(range(20))
    random.Random(f"{seed}:{speaker}").shuffle(order)
    return [Clip(f"fsdd-{speaker}-{i}", f"fsdd_{speaker}", tuple(order[4 * i:4 * i + 4]),
                 " ".join(DIGITS[k % 10] for k in order[4 * i:4 * i + 4]), f"fsdd-{speaker}",
                 f"male, {accent} accent",
                 f"Jakobovski/free-spoken-digit-dataset file names recordings/DIGIT_{speaker}_N.wav")
            for i in range(5)]


CLIPS: tuple[Clip, ...] = (
    *(Clip(f"spk1-{i + 1}", "librispeech_spk1", (i,), text, "speechbrain-spk1", "female by pitch", _SB)
      for i, text in enumerate(_SPK1)),
    Clip("lj050-0131", "ljspeech_lj050", (0,), "unless a system is established for the frequent formal review "
         "of activities thereunder in this regard", "ljspeech", "female, US accent",
         "speechbrain/speechbrain tests/samples/annotation/TTS_train.json, field label (LJ Speech metadata)"),
    Clip("uberi-en", "uberi_english", (0, 1), "one two three", "uberi-en", "male by pitch",
         "Uberi/speech_recognition tests/test_recognition.py (the expected text of examples/english.wav)"),
    *_digit_clips("jackson", "US"),
    *_digit_clips("nicolas", "Belgian French"),
    *_digit_clips("theo", "US"),
)


def _parts(samples: np.ndarray, min_gap_s: float = 0.3) -> list[np.ndarray]:
    """The pieces between runs of digital silence (the gaps the corpus put between joined files)."""
    quiet = np.abs(samples) < 1e-4
    pieces, start, i, n = [], 0, 0, len(samples)
    while i < n:
        if quiet[i]:
            j = i
            while j < n and quiet[j]:
                j += 1
            if j - i >= min_gap_s * RATE:
                if i > start:
                    pieces.append(samples[start:i])
                start = j
            i = j
        else:
            i += 1
    if start < n:
        pieces.append(samples[start:])
    return pieces


def clip_audio(clip: Clip) -> np.ndarray:
    """The clip's speech at 8 kHz before the line: its parts joined with 0.25 s pauses."""
    pieces = _parts(load(clip.source))
    pause = np.zeros(int(0.25 * RATE), np.float32)
    return np.concatenate([np.concatenate([pieces[k], pause]) for k in clip.parts])[:-len(pause)]


# --- checklist items from the reference texts -------------------------------------------------------------


def _phrases(text: str) -> tuple[str, ...]:
    """Two windows of three words that do not overlap, most letters outside stop words first (none
    for a text of fewer than six words or of digits)."""
    words = text.split()
    if len(words) < 6 or all(w in DIGITS for w in words):
        return ()
    weight = [sum(len(w) for w in words[i:i + 3] if w not in STOP) for i in range(len(words) - 2)]
    first = max(range(len(weight)), key=lambda i: weight[i])
    second = max((i for i in range(len(weight)) if abs(i - first) >= 3), key=lambda i: weight[i])
    return tuple(" ".join(words[i:i + 3]) for i in (first, second))


def _keywords(text: str) -> tuple[str, ...]:
    """The text's two longest words of five letters or more (not numbers)."""
    words = sorted(dict.fromkeys(w for w in text.split() if len(w) >= 5 and w not in DIGITS), key=len, reverse=True)
    return tuple(words[:2])


def _numbers(text: str) -> tuple[str, ...]:
    """A number read digit by digit, as digits ("four seven one nine" -> "4 7 1 9")."""
    words = text.split()
    if len(words) < 3 or not all(w in DIGITS for w in words):
        return ()
    return (" ".join(str(DIGITS.index(w)) for w in words),)


MAKERS = {"phrase": _phrases, "keyword": _keywords, "number": _numbers}


def _rule(kind: str, pattern: str) -> Rule:
    return Rule("phrases" if kind == "phrase" else "keywords", (pattern,), where=f"verdict_real:{kind}")


def clip_checklist(clip: Clip, seed: int = 18) -> Checklist:
    """The clip's own items of every kind it has (`KIND_own`, `KIND_own2`), and for every kind one
    item taken from another clip (`KIND_other`; the truth says whether this clip says it too)."""
    rng = random.Random(f"{seed}:items:{clip.clip_id}")
    items = []
    for kind, make in MAKERS.items():
        own = make(clip.text)
        for i, pattern in enumerate(own):
            items.append(ChecklistItem(f"{kind}_own{i + 1 if i else ''}", f"{kind} said in the clip",
                                       (_rule(kind, pattern),)))
        others = [ps[0] for c in CLIPS if c.clip_id != clip.clip_id and (ps := make(c.text)) and ps[0] not in own]
        items.append(ChecklistItem(f"{kind}_other", f"{kind} of another clip", (_rule(kind, rng.choice(others)),)))
    return Checklist(f"clip:{clip.clip_id}", "en", tuple(items))


def item_class(item_id: str) -> str:
    """phrase_own2 -> phrase: the kind of item, what the benchmark reports per."""
    return item_id.rsplit("_", 1)[0]


def build_clip_calls(n: int | None = None, seed: int = 18) -> list[SimCall]:
    """Each clip as a call: 0.6 s of line, the clip, 1 s of line, through the phone line drawn from
    the clip's seed; one agent turn where the clip is."""
    out = []
    for index, clip in enumerate(CLIPS[:n]):
        rng = np.random.default_rng(seed * 1000 + index)
        speech = clip_audio(clip)
        lead, tail = int(0.6 * RATE), int(1.0 * RATE)
        samples = np.concatenate([np.zeros(lead, np.float32), speech, np.zeros(tail, np.float32)])
        samples = treat(samples, draw_treatment(rng), rng)
        turn = Turn("clip", clip.text, lead / RATE, (lead + len(speech)) / RATE)
        out.append(SimCall(clip.clip_id, clip.speaker, clip.voice, 0, samples.astype(np.float32), (turn,),
                           clip_checklist(clip, seed)))
    return out
