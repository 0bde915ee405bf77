"""faster-whisper (CTranslate2, no torch) adapter: the only module that imports `faster_whisper`.

Whisper decodes 30-second windows whatever the input length, so the speech spans are packed end
to end with short silent gaps and decoded in one pass; word times are then mapped back to the
recording's clock. Whisper's own VAD stays off: the segmenter already chose the speech.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from faster_whisper import WhisperModel

from mystery.records import Word
from mystery.transcribe.protocol import ChannelAudio
from mystery.transcribe.spans import SpeechSpan, pack_spans

RATE = 16000
GAP_S = 0.6
EDGE_PUNCTUATION = ".,!?;:\"“”«»()¿¡…-"


@functools.lru_cache(maxsize=2)
def _load(path: str, cpu_threads: int) -> WhisperModel:
    return WhisperModel(path, device="cpu", compute_type="int8", cpu_threads=cpu_threads)


class WhisperTranscriber:
    """A CTranslate2 Whisper model directory (model.bin, config.json, tokenizer.json ...)."""

    engine = "whisper"

    def __init__(self, model_dir: Path, language: str, model_name: str | None = None,
                 beam_size: int = 5, cpu_threads: int = 2) -> None:
        self.model_dir = Path(model_dir)
        self.model = model_name or self.model_dir.name
        self.language = language
        self.beam_size = beam_size
        self._model = _load(str(self.model_dir), cpu_threads)

    def transcribe(self, audio: ChannelAudio, spans: Sequence[SpeechSpan]) -> tuple[Word, ...]:
        if not spans:
            return ()
        audio16k = audio.at_rate(RATE)
        packed = pack_spans(spans, GAP_S)
        gap = np.zeros(int(GAP_S * RATE), dtype=np.float32)
        pieces: list[np.ndarray] = []
        for span in spans:
            pieces += [audio16k.cut(span).astype(np.float32), gap]
        segments, _info = self._model.transcribe(
            np.concatenate(pieces), language=self.language, beam_size=self.beam_size,
            word_timestamps=True, vad_filter=False, condition_on_previous_text=False)
        words = []
        for segment in segments:
            for w in segment.words or ():
                text = w.word.strip().strip(EDGE_PUNCTUATION)
                if text:
                    words.append(packed.unpack_word(
                        Word(float(w.start), float(w.end), text, float(w.probability), audio.channel)))
        return tuple(words)
