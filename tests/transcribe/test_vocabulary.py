"""The client's vocabulary as the recogniser receives it, and the retry of a derailed span."""

from __future__ import annotations

from mystery.records import Word
from mystery.score.checklist import Checklist
from mystery.score.vocabulary import campaign_vocabulary
from mystery.transcribe.spans import SpeechSpan
from mystery.transcribe.vocabulary import Vocabulary
from tests.score.conftest import HOTEL_BOOKING


def test_names_come_first_then_the_scenario_terms_and_never_the_checklist_phrases() -> None:
    from mystery.score.checklist import load_checklist

    checklist: Checklist = load_checklist(HOTEL_BOOKING)
    vocabulary = campaign_vocabulary(checklist, [{"hotel": "Grand Hotel Riviera", "staff": "Sophie, Marc",
                                                  "vocabulary": "double room; 179 euros"}])
    assert ("Grand Hotel", "Grand Hotel Riviera", "Sophie", "Marc") == vocabulary.names
    # the checklist's phrases stay out: in a prompt they are written over what was really said
    assert ("double room", "179 euros") == vocabulary.terms
    assert "Glossary: Grand Hotel; Grand Hotel Riviera; Sophie; Marc; double room; 179 euros." == vocabulary.glossary()


def test_a_long_vocabulary_is_cut_at_a_term_boundary() -> None:
    vocabulary = Vocabulary.of([f"Name{i:02d}" for i in range(200)])
    assert len(vocabulary.glossary(120)) <= 120
    assert vocabulary.glossary(120).endswith(".")
    assert all(t.startswith("Name") for t in vocabulary.hotwords(50).split())
    assert "" == Vocabulary().glossary() and not Vocabulary()


def test_duplicates_are_dropped_ignoring_case_and_a_name_is_not_repeated_as_a_term() -> None:
    vocabulary = Vocabulary.of(["Sophie", "sophie "], ["Sophie", "double  room", "Double room"])
    assert (("Sophie",), ("double room",)) == (vocabulary.names, vocabulary.terms)


def test_an_empty_or_looping_span_is_decoded_again() -> None:
    from mystery.transcribe.whisper_engine import suspicious_spans

    spans = [SpeechSpan(0.0, 2.0), SpeechSpan(3.0, 5.0), SpeechSpan(6.0, 6.5), SpeechSpan(7.0, 9.0)]
    words = [Word(0.1, 0.5, "Grand", 0.9, "callee"), Word(0.6, 1.0, "Hotel", 0.9, "callee")]
    words += [Word(7.0 + i * 0.3, 7.2 + i * 0.3, "Cucan", 0.5, "callee") for i in range(4)]
    # span 1 (2 s) gave nothing, span 2 is too short to count, span 3 loops
    assert [1, 3] == suspicious_spans(spans, words)
