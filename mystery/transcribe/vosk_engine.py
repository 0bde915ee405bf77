"""vosk (Kaldi) adapter: the only module that imports `vosk`.

Telephone audio is fed at 8 kHz (`KaldiRecognizer(model, 8000)`), one fresh recogniser per speech
span, so decoding time follows the speech and one span's context never leaks into the next.

The client's vocabulary is accepted and not used: vosk's only way to bias a model is a grammar
(`KaldiRecognizer(model, rate, '["word", ...]')`), which restricts the output to those words, so
everything else the agent says would come back as "[unk]"; and the large vosk models have no
dynamic graph to take one at all.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import vosk

from mystery.records import Word
from mystery.transcribe.protocol import ChannelAudio, pcm16
from mystery.transcribe.spans import SpeechSpan, offset_words
from mystery.transcribe.vocabulary import Vocabulary

RATE = 8000
CHUNK_SAMPLES = 4000  # half a second per AcceptWaveform call

vosk.SetLogLevel(-1)


@functools.lru_cache(maxsize=4)
def _load(path: str) -> vosk.Model:
    # Loading a model takes seconds; calls of a campaign share it.
    return vosk.Model(path)


class VoskTranscriber:
    """A vosk model directory (am/, conf/, graph/ ...) ready to decode 8 kHz speech."""

    engine = "vosk"

    def __init__(self, model_dir: Path, language: str, model_name: str | None = None, threads: int = 2,
                 vocabulary: Vocabulary | None = None) -> None:
        self.model_dir = Path(model_dir)
        self.model = model_name or self.model_dir.name
        self.language = language
        self.threads = max(1, threads)
        self.vocabulary = vocabulary or Vocabulary()  # kept for provenance; see the module's docstring
        self._model = _load(str(self.model_dir))

    def transcribe(self, audio: ChannelAudio, spans: Sequence[SpeechSpan]) -> tuple[Word, ...]:
        audio8k = audio.at_rate(RATE)

        def decode(span: SpeechSpan) -> tuple[Word, ...]:
            return offset_words(self._decode(pcm16(audio8k.cut(span)), audio.channel), span)

        if self.threads == 1 or len(spans) < 2:
            return tuple(w for span in spans for w in decode(span))
        # Recognisers share the model and libvosk runs without the GIL, so spans decode in parallel.
        with ThreadPoolExecutor(max_workers=self.threads) as pool:
            return tuple(w for words in pool.map(decode, spans) for w in words)

    def _decode(self, pcm: bytes, channel: str) -> list[Word]:
        recognizer = vosk.KaldiRecognizer(self._model, RATE)
        recognizer.SetWords(True)
        results = []
        step = CHUNK_SAMPLES * 2
        for i in range(0, len(pcm), step):
            if recognizer.AcceptWaveform(pcm[i:i + step]):
                results.append(json.loads(recognizer.Result()))
        results.append(json.loads(recognizer.FinalResult()))
        return [Word(float(r["start"]), float(r["end"]), str(r["word"]), float(r.get("conf", 1.0)), channel)
                for result in results for r in result.get("result", ())]
