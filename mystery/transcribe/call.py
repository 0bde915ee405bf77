"""Transcribing calls after the analysis: the words of each call's speech segments.

`transcribe_segments` is the one step from segments to words, for a stored call and for
`mystery transcribe` alike. For the campaign pipeline: after segmentation,
`CallTranscription(...)(call, language)` returns the call with `words` filled, and
`repo.replace_analysis` stores them. Each language's model is loaded once per run, whatever the
number of calls.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from mystery.records import CallResult, Segment
from mystery.transcribe.models import resolve_model
from mystery.transcribe.protocol import ChannelAudio, Transcriber, Transcript, transcribe_spans
from mystery.transcribe.recording import open_transcriber, read_channel
from mystery.transcribe.spans import SPEECH_LABELS, SpeechSpan, spans_from_segments
from mystery.transcribe.vocabulary import Vocabulary

SEGMENT_PAD_S = 0.15
"""Spans around the segmenter's speech segments: keeps word onsets it clipped."""


def transcribe_segments(transcriber: Transcriber, audio: ChannelAudio, segments: Sequence[Segment] | None,
                        labels: Iterable[str] = SPEECH_LABELS, pad_s: float = SEGMENT_PAD_S) -> Transcript:
    """Words of the segments labelled with `labels` (padded by `pad_s`), or of the whole channel when
    `segments` is None; times on the recording's clock."""
    if segments is None:
        spans: tuple[SpeechSpan, ...] = (SpeechSpan(0.0, audio.duration_s, "speech"),)
    else:
        spans = spans_from_segments(segments, labels, pad_s)
    return transcribe_spans(transcriber, audio, spans)


class CallTranscription:
    """Transcribes the callee channel of analysed calls, one engine and model per language."""

    def __init__(self, engine: str, model_dir: Path, language_dirs: Mapping[str, str] | None = None,
                 labels: Iterable[str] = SPEECH_LABELS, vocabulary: Vocabulary | None = None) -> None:
        self.engine = engine
        self.vocabulary = vocabulary
        self.model_dir = Path(model_dir)
        self.language_dirs = dict(language_dirs or {})
        self.labels = frozenset(labels)
        self._loaded: dict[str, Transcriber] = {}

    def transcriber(self, language: str) -> Transcriber:
        """The loaded engine for a language (InputError naming how to install a missing model)."""
        if language not in self._loaded:
            model = resolve_model(self.engine, language, self.model_dir, self.language_dirs)
            self._loaded[language] = open_transcriber(model, language, vocabulary=self.vocabulary)
        return self._loaded[language]

    def __call__(self, call: CallResult, language: str) -> CallResult:
        """The call with `words` from its speech segments (unchanged if it has no recording or speech).

        Segment and word times are both on the recording's clock (first sample = 0).
        """
        if not call.recording or not Path(call.recording).exists():
            return call
        spans = spans_from_segments(call.segments, self.labels)
        if not spans:
            return dataclasses.replace(call, words=())
        audio = read_channel(Path(call.recording), "callee")
        transcript = transcribe_segments(self.transcriber(language), audio, call.segments, self.labels)
        return dataclasses.replace(call, words=transcript.words)
