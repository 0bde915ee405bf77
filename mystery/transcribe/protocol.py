"""What every speech engine promises, and the records that go in and out.

Engines (vosk, faster-whisper) live in their own adapter modules, each the only importer of its
library; everything else depends on `Transcriber` alone, so a better engine is one new module.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from mystery.records import Word
from mystery.transcribe.spans import SpeechSpan


@dataclass(frozen=True, slots=True, eq=False)
class ChannelAudio:
    """One channel of a recording.

    samples: mono float32 in [-1, 1].
    sample_rate: samples per second (telephone recordings: 8000).
    channel: who is heard: "callee" (the switchboard / agent), "caller" (the mystery shopper)
        or "mono" (a mixed recording made elsewhere).
    """

    samples: np.ndarray
    sample_rate: int
    channel: str = "callee"

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate

    def at_rate(self, rate: int) -> ChannelAudio:
        """The same audio resampled to `rate` (polyphase filter; exact for 8 kHz <-> 16 kHz)."""
        if rate == self.sample_rate:
            return self
        from scipy.signal import resample_poly

        g = math.gcd(rate, self.sample_rate)
        out = resample_poly(self.samples, rate // g, self.sample_rate // g).astype(np.float32)
        return ChannelAudio(out, rate, self.channel)

    def cut(self, span: SpeechSpan) -> np.ndarray:
        """Samples of one span."""
        a = max(0, int(round(span.start_s * self.sample_rate)))
        b = min(len(self.samples), int(round(span.end_s * self.sample_rate)))
        return self.samples[a:b]


def pcm16(samples: np.ndarray) -> bytes:
    """Little-endian signed 16-bit PCM of float samples (clipped), as Kaldi-style engines want."""
    return (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


@dataclass(frozen=True, slots=True)
class Transcript:
    """Words of one channel, plus what produced them (a re-run with a better model can be compared).

    words: in time order, times from the first sample of the recording.
    engine, model: e.g. "vosk", "vosk-model-small-fr-0.22".
    language: ISO 639-1 code the model was chosen for.
    spans: the stretches that were recognised; everything else was never decoded.
    audio_s: length of the channel; speech_s: total length of `spans`.
    """

    words: tuple[Word, ...]
    engine: str
    model: str
    language: str
    channel: str
    spans: tuple[SpeechSpan, ...]
    audio_s: float

    @property
    def speech_s(self) -> float:
        return sum(s.duration_s for s in self.spans)

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    def to_json(self) -> dict[str, object]:
        return {
            "engine": self.engine, "model": self.model, "language": self.language, "channel": self.channel,
            "audio_s": round(self.audio_s, 3), "speech_s": round(self.speech_s, 3),
            "spans": [{"start_s": round(s.start_s, 3), "end_s": round(s.end_s, 3), "label": s.label}
                      for s in self.spans],
            "words": [{"start_s": round(w.start_s, 3), "end_s": round(w.end_s, 3), "text": w.text,
                       "confidence": round(w.confidence, 3), "channel": w.channel} for w in self.words],
        }


class Transcriber(Protocol):
    """A loaded speech model that turns spans of audio into timed words."""

    engine: str
    model: str
    language: str

    def transcribe(self, audio: ChannelAudio, spans: Sequence[SpeechSpan]) -> tuple[Word, ...]:
        """Words of `spans` only, timed on the recording's clock, confidence in [0, 1]."""
        ...


def transcribe_spans(transcriber: Transcriber, audio: ChannelAudio,
                     spans: Sequence[SpeechSpan]) -> Transcript:
    """Run an engine on the speech spans of one channel and wrap the result with its provenance."""
    from mystery.transcribe.spans import clip_spans

    kept = clip_spans(spans, audio.duration_s)
    words = transcriber.transcribe(audio, kept) if kept else ()
    return Transcript(tuple(sorted(words, key=lambda w: (w.start_s, w.end_s))), transcriber.engine,
                      transcriber.model, transcriber.language, audio.channel, kept, audio.duration_s)
