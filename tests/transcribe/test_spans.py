"""Speech spans: which audio is decoded, and how word times get back to the recording's clock."""

from __future__ import annotations

import pytest

from mystery.records import Segment, Word
from mystery.transcribe.spans import SpeechSpan, clip_spans, offset_words, pack_spans, spans_from_segments


def test_only_speech_labels_become_spans_and_touching_ones_merge() -> None:
    segments = [
        Segment(0.0, 4.0, "ringback"),
        Segment(4.0, 9.0, "ivr_prompt"),
        Segment(9.0, 70.0, "hold_music"),
        Segment(70.0, 74.0, "announcement"),
        Segment(74.0, 300.0, "hold_music"),
        Segment(300.0, 330.0, "live_human"),
        Segment(330.1, 345.0, "live_human"),
        Segment(345.0, 350.0, "silence"),
    ]
    spans = spans_from_segments(segments, pad_s=0.15)
    assert [(3.85, 9.15, "ivr_prompt"), (69.85, 74.15, "announcement"), (299.85, 345.15, "live_human")] == [
        (pytest.approx(s.start_s), pytest.approx(s.end_s), s.label) for s in spans]
    assert pytest.approx(5.3 + 4.3 + 45.3) == sum(s.duration_s for s in spans)


def test_label_filter_keeps_only_the_live_human() -> None:
    segments = [Segment(4.0, 9.0, "ivr_prompt"), Segment(300.0, 330.0, "live_human")]
    assert [SpeechSpan(300.0, 330.0, "live_human")] == list(spans_from_segments(segments, {"live_human"}, pad_s=0))


def test_spans_are_clipped_to_the_audio_and_tiny_leftovers_dropped() -> None:
    spans = [SpeechSpan(-1.0, 2.0), SpeechSpan(9.95, 12.0), SpeechSpan(5.0, 6.0)]
    assert [SpeechSpan(0.0, 2.0), SpeechSpan(5.0, 6.0)] == list(clip_spans(spans, 10.0))


def test_word_times_are_offset_by_the_span_start_and_kept_inside_it() -> None:
    span = SpeechSpan(100.0, 102.0, "live_human")
    words = [Word(0.1, 0.5, "bonjour"), Word(1.8, 2.4, "hôtel")]
    moved = offset_words(words, span)
    assert [(100.1, 100.5), (101.8, 102.0)] == [(pytest.approx(w.start_s), pytest.approx(w.end_s)) for w in moved]
    assert ["bonjour", "hôtel"] == [w.text for w in moved]


def test_packed_times_map_back_to_each_span_and_gaps_snap_forward() -> None:
    spans = [SpeechSpan(10.0, 12.0), SpeechSpan(50.0, 53.0), SpeechSpan(200.0, 201.0)]
    packed = pack_spans(spans, gap_s=0.5)
    assert (0.0, 2.5, 6.0) == packed.packed_starts_s
    assert pytest.approx(7.0) == packed.duration_s
    assert (1, pytest.approx(51.0)) == packed.to_recording_time(3.5)
    # a word recognised across the gap before span 2 belongs to span 2 and starts at its edge
    word = packed.unpack_word(Word(5.7, 6.4, "merci"))
    assert (pytest.approx(200.0), pytest.approx(200.4)) == (word.start_s, word.end_s)
    # a word that ends in the gap after its span is cut at the span's end
    word = packed.unpack_word(Word(1.6, 2.3, "hello"))
    assert (pytest.approx(11.6), pytest.approx(12.0)) == (word.start_s, word.end_s)
