"""faster-whisper (CTranslate2, no torch) adapter: the only module that imports `faster_whisper`.

Whisper decodes 30-second windows whatever the input length, so the speech spans are packed end
to end with short silent gaps and decoded in one pass; word times are then mapped back to the
recording's clock. Whisper's own VAD stays off: the segmenter already chose the speech.

The client's vocabulary (`Vocabulary`) goes in as `hotwords` and a short glossary prompt. A prompt
can also derail a small model (it stops after a few words, or loops on one), so a span that comes
back empty or looping is decoded again on its own, without the vocabulary.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

import ctranslate2
import numpy as np
from faster_whisper import WhisperModel

from mystery.records import Word
from mystery.transcribe.protocol import ChannelAudio
from mystery.transcribe.spans import SpeechSpan, pack_spans
from mystery.transcribe.vocabulary import Vocabulary

RATE = 16000
SEED = 20261204   # of Whisper's fallback sampling (see _decode)
GAP_S = 0.6
EDGE_PUNCTUATION = ".,!?;:\"“”«»()¿¡…-"
LEAD_S = 0.5
"""Silence before the packed speech (see _decode)."""
EMPTY_SPAN_S = 0.8
"""A span at least this long that gives no word is decoded again (speech was found there)."""
LOOP_REPEATS = 3
"""The same word this many times in a row is a decoding loop, not speech."""
SPARSE_SPAN_S = 2.0
MIN_WORDS_PER_S = 1.0
"""A span of SPARSE_SPAN_S or more with fewer words a second than this was cut short (people say 2-3)."""


@functools.lru_cache(maxsize=2)
def _load(path: str, cpu_threads: int) -> WhisperModel:
    return WhisperModel(path, device="cpu", compute_type="int8", cpu_threads=cpu_threads)


def _span_of(word: Word, spans: Sequence[SpeechSpan]) -> int:
    mid = (word.start_s + word.end_s) / 2
    return min(range(len(spans)), key=lambda i: 0.0 if spans[i].start_s <= mid <= spans[i].end_s
               else min(abs(mid - spans[i].start_s), abs(mid - spans[i].end_s)))


def suspicious_spans(spans: Sequence[SpeechSpan], words: Sequence[Word]) -> list[int]:
    """Indices of spans whose words look like a failed decode: none at all in a long span, far too few
    for its length (the decoder stopped early), or a loop."""
    by_span: dict[int, list[str]] = {i: [] for i in range(len(spans))}
    for w in words:
        by_span[_span_of(w, spans)].append(w.text.lower())
    out = []
    for i, texts in by_span.items():
        looping = any(len(set(texts[j:j + LOOP_REPEATS])) == 1 for j in range(len(texts) - LOOP_REPEATS + 1))
        sparse = spans[i].duration_s >= SPARSE_SPAN_S and len(texts) < MIN_WORDS_PER_S * spans[i].duration_s
        if looping or sparse or (not texts and spans[i].duration_s >= EMPTY_SPAN_S):
            out.append(i)
    return out


class WhisperTranscriber:
    """A CTranslate2 Whisper model directory (model.bin, config.json, tokenizer.json ...)."""

    engine = "whisper"

    def __init__(self, model_dir: Path, language: str, model_name: str | None = None,
                 beam_size: int = 5, cpu_threads: int = 2, vocabulary: Vocabulary | None = None) -> None:
        self.model_dir = Path(model_dir)
        self.model = model_name or self.model_dir.name
        self.language = language
        self.beam_size = beam_size
        self.vocabulary = vocabulary or Vocabulary()
        self._model = _load(str(self.model_dir), cpu_threads)

    def transcribe(self, audio: ChannelAudio, spans: Sequence[SpeechSpan]) -> tuple[Word, ...]:
        if not spans:
            return ()
        audio16k = audio.at_rate(RATE)
        words = self._decode(audio16k, spans, self.vocabulary)
        retry = suspicious_spans(spans, words)
        if not retry:
            return tuple(words)
        kept = [w for w in words if _span_of(w, spans) not in retry]
        for i in retry:  # alone and without the prompt: what derailed the packed pass is gone
            first = [w for w in words if _span_of(w, spans) == i]
            again = self._decode(audio16k, [spans[i]], Vocabulary())
            kept += again if len(again) > len(first) or i in suspicious_spans([spans[i]], first) and again else first
        return tuple(sorted(kept, key=lambda w: (w.start_s, w.end_s)))

    def _decode(self, audio16k: ChannelAudio, spans: Sequence[SpeechSpan], vocabulary: Vocabulary) -> list[Word]:
        packed = pack_spans(spans, GAP_S)
        gap = np.zeros(int(GAP_S * RATE), dtype=np.float32)
        # a little silence before the first word: speech from the first sample loses its first words
        pieces: list[np.ndarray] = [np.zeros(int(LEAD_S * RATE), dtype=np.float32)]
        for span in spans:
            pieces += [audio16k.cut(span).astype(np.float32), gap]
        # Whisper falls back to sampling (temperature > 0) when a greedy pass looks wrong: seeded, the same
        # audio gives the same words in every run and every process, so a verdict does not change on a rerun
        ctranslate2.set_random_seed(SEED)
        segments, _info = self._model.transcribe(
            np.concatenate(pieces), language=self.language, beam_size=self.beam_size,
            word_timestamps=True, vad_filter=False, condition_on_previous_text=False,
            initial_prompt=vocabulary.glossary() or None, hotwords=vocabulary.hotwords() or None)
        words = []
        for segment in segments:
            for w in segment.words or ():
                text = w.word.strip().strip(EDGE_PUNCTUATION)
                if text:
                    words.append(packed.unpack_word(Word(max(0.0, float(w.start) - LEAD_S), max(0.0, float(w.end) - LEAD_S),
                                                         text, float(w.probability), audio16k.channel)))
        return words


WHISPER_PREFIX = "whisper-"


def whisper_sizes() -> tuple[str, ...]:
    """The model sizes faster-whisper can download (`tiny.en` ... `large-v3`, `distil-small.en`)."""
    import faster_whisper

    return tuple(faster_whisper.available_models())


def download_whisper(name: str, target: Path) -> Path:
    """Download the CTranslate2 Whisper model `whisper-SIZE` (e.g. whisper-small.en) into `target`
    with faster-whisper's own downloader (needs internet); returns `target`."""
    import faster_whisper

    size = name.removeprefix(WHISPER_PREFIX)
    faster_whisper.download_model(size, output_dir=str(target))
    return target
