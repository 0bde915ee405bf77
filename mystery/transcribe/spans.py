"""Speech spans: which stretches of a recording are worth sending to a recogniser.

Transcription cost must follow the speech, not the call: a 10-minute call with 9 minutes of
hold music costs about what its one minute of speech costs. So engines never see the whole
file, only the spans chosen here (from the segmenter's labels), and word times are mapped back
to the recording's clock.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from mystery.records import Segment, Word

SPEECH_LABELS = frozenset({"live_human", "ivr_prompt", "announcement", "voicemail_greeting", "speech"})
"""Segment labels that carry words. Music, tones, noise and silence are never transcribed."""


@dataclass(frozen=True, slots=True)
class SpeechSpan:
    """A stretch of the recording to transcribe.

    start_s, end_s: seconds from the first sample of the recording (end_s > start_s).
    label: the segmenter's label ("live_human", "ivr_prompt", ...) or "speech" when unknown.
    """

    start_s: float
    end_s: float
    label: str = "speech"

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


def spans_from_segments(segments: Iterable[Segment], labels: Iterable[str] = SPEECH_LABELS,
                        pad_s: float = 0.15) -> tuple[SpeechSpan, ...]:
    """Speech spans of the segments whose label is in `labels`, padded and merged where they touch.

    The small pad keeps word onsets that a segmenter clipped; overlapping spans are merged so
    no audio is recognised twice.
    """
    wanted = set(labels)
    raw = sorted((max(0.0, s.start_s - pad_s), s.end_s + pad_s, s.label)
                 for s in segments if s.label in wanted and s.end_s > s.start_s)
    return merge_spans(SpeechSpan(a, b, label) for a, b, label in raw)


def merge_spans(spans: Iterable[SpeechSpan]) -> tuple[SpeechSpan, ...]:
    """Sorted spans with overlaps merged (the first span's label wins)."""
    out: list[SpeechSpan] = []
    for span in sorted(spans, key=lambda s: (s.start_s, s.end_s)):
        if out and span.start_s <= out[-1].end_s:
            last = out[-1]
            out[-1] = SpeechSpan(last.start_s, max(last.end_s, span.end_s), last.label)
        else:
            out.append(span)
    return tuple(out)


def clip_spans(spans: Iterable[SpeechSpan], duration_s: float, min_s: float = 0.1) -> tuple[SpeechSpan, ...]:
    """Spans cut to [0, duration_s]; spans shorter than `min_s` after the cut are dropped."""
    out = []
    for span in spans:
        start, end = max(0.0, span.start_s), min(duration_s, span.end_s)
        if end - start >= min_s:
            out.append(SpeechSpan(start, end, span.label))
    return merge_spans(out)


def offset_words(words: Iterable[Word], span: SpeechSpan) -> tuple[Word, ...]:
    """Words timed from the span's start, moved to the recording's clock and kept inside the span."""
    out = []
    for w in words:
        start = min(max(span.start_s + w.start_s, span.start_s), span.end_s)
        end = min(max(span.start_s + w.end_s, start), span.end_s)
        out.append(Word(start, end, w.text, w.confidence, w.channel))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class PackedSpans:
    """Spans laid end to end with a short silent gap, for engines that prefer one long input.

    Whisper pads every input to a 30 s window, so many short spans cost far more one by one
    than packed together. `packed_starts_s[i]` is where span i begins in the packed audio.
    """

    spans: tuple[SpeechSpan, ...]
    packed_starts_s: tuple[float, ...]
    gap_s: float

    @property
    def duration_s(self) -> float:
        if not self.spans:
            return 0.0
        return self.packed_starts_s[-1] + self.spans[-1].duration_s

    def to_recording_time(self, t_s: float) -> tuple[int, float]:
        """(span index, time in the recording) of a time in the packed audio; gaps snap to a span's edge."""
        i = max(0, bisect.bisect_right(self.packed_starts_s, t_s) - 1)
        span = self.spans[i]
        inside = min(max(t_s - self.packed_starts_s[i], 0.0), span.duration_s)
        return i, span.start_s + inside

    def unpack_word(self, word: Word) -> Word:
        """A word timed on the packed audio, moved to the recording's clock (never across spans)."""
        i, start = self.to_recording_time(word.start_s)
        mid = (word.start_s + word.end_s) / 2
        j, _ = self.to_recording_time(mid)
        if j != i:  # a word whose onset fell in the gap belongs to the next span
            i, start = j, self.spans[j].start_s
        span = self.spans[i]
        end = min(max(start, span.start_s + word.end_s - self.packed_starts_s[i]), span.end_s)
        return Word(start, end, word.text, word.confidence, word.channel)


def pack_spans(spans: Sequence[SpeechSpan], gap_s: float = 0.5) -> PackedSpans:
    """Lay spans end to end, `gap_s` of silence apart."""
    starts, t = [], 0.0
    for span in spans:
        starts.append(t)
        t += span.duration_s + gap_s
    return PackedSpans(tuple(spans), tuple(starts), gap_s)
