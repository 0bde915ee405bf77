"""Scoring transcripts against the example hotel checklist: verdicts, evidence, timing, speakers."""

from __future__ import annotations

import pytest

from mystery.records import Word
from mystery.score.checklist import Checklist
from mystery.score.scorecard import live_words, score_call, score_lines
from tests.score.conftest import load_transcript, words_of

ALL_ITEMS = ("greeting", "agent_name", "availability", "rate", "upsell", "contact_details", "closing")


def test_an_agent_who_says_every_item_scores_100_percent(hotel_checklist: Checklist) -> None:
    answer_s, words = load_transcript("agent_complete.yaml")
    card = score_call(hotel_checklist, words, answer_s=answer_s)
    assert ALL_ITEMS == tuple(v.item_id for v in card.verdicts)
    assert () == card.missed
    assert 100.0 == card.score_pct
    for verdict in card.verdicts:
        assert verdict.at_s is not None and answer_s <= verdict.at_s <= 90.0
        assert verdict.quote
    greeting = card.verdicts[0]
    assert pytest.approx(42.0) == greeting.at_s
    assert "Good morning, Grand Hotel, Maria…" == greeting.quote
    assert 2 == len(greeting.evidence)  # match: all -> one piece of evidence per rule
    rate = next(v for v in card.verdicts if v.item_id == "rate")
    assert "one hundred and twenty euros" in rate.quote


def test_an_agent_who_omits_two_items_loses_exactly_those_two_each_with_evidence(
        hotel_checklist: Checklist) -> None:
    answer_s, words = load_transcript("agent_omits_two.yaml")
    card = score_call(hotel_checklist, words, answer_s=answer_s)
    assert ("upsell", "contact_details") == card.missed
    assert pytest.approx(100.0 * 5 / 7) == card.score_pct
    upsell, contact = (v for v in card.verdicts if not v.passed)
    assert upsell.reason.startswith("keyword 'upgrade | suite | junior suite")
    assert "parking' not said (closest: " in upsell.reason  # a keyword of two words or more has a closest window too
    # the caller asked "What is your name" and gave a phone number: the caller's words never count
    assert contact.reason.startswith("phrase 'your name | your phone number")
    assert "(closest: " in contact.reason and "< 85)" in contact.reason
    assert 1 == len(contact.evidence)
    closest = contact.evidence[0]
    assert closest.score < 85 and closest.quote and closest.start_s >= answer_s
    assert all(w.channel == "callee" for w in words if w.start_s == closest.start_s)


def test_a_greeting_after_the_time_limit_fails_and_says_when_it_came(hotel_checklist: Checklist) -> None:
    words = words_of([{"at": 10.0, "channel": "callee", "text": "Yes? Hold on."},
                      {"at": 30.0, "channel": "callee", "text": "Sorry. Good morning, Grand Hotel, Tom speaking."}])
    card = score_call(hotel_checklist, words, answer_s=10.0)
    greeting = card.verdicts[0]
    assert not greeting.passed
    assert greeting.reason.endswith("; phrase 'grand hotel' said at 31.1 s, later than 15 s after the answer (10.0 s)")
    assert pytest.approx(30.35) == greeting.evidence[0].start_s  # "Good morning", the first late match
    assert "agent_name" not in card.missed  # 30 s limit: still in time


def test_the_lines_hotel_name_overrides_the_checklists(hotel_checklist: Checklist) -> None:
    words = words_of([{"at": 0.0, "channel": "callee", "text": "Hello, Seaside Inn, Aisha speaking."}])
    assert "greeting" in score_call(hotel_checklist, words).missed
    card = score_call(hotel_checklist, words, variables={"hotel": "Seaside Inn"})
    assert "greeting" not in card.missed


def test_fuzzy_phrases_forgive_recognition_errors_in_the_hotel_name(hotel_checklist: Checklist) -> None:
    words = words_of([{"at": 0.0, "channel": "callee", "text": "Hello, Grant Hotel, good morning."}])
    assert "greeting" not in score_call(hotel_checklist, words).missed
    words = words_of([{"at": 0.0, "channel": "callee", "text": "Hello, Green Motel, good morning."}])
    assert "greeting" in score_call(hotel_checklist, words).missed


def test_a_recorded_ivr_greeting_does_not_count_as_the_agents(hotel_checklist: Checklist) -> None:
    words = words_of([{"at": 1.0, "channel": "callee", "text": "Thank you for calling Grand Hotel. Please hold."},
                      {"at": 60.0, "channel": "callee", "text": "Reservations, how can I help?"}])
    spans = [(0.5, 5.0, "ivr_prompt"), (59.5, 63.0, "live_human")]
    assert "greeting" not in score_call(hotel_checklist, words).missed
    assert "greeting" in score_call(hotel_checklist, live_words(words, spans), answer_s=59.5).missed


def test_a_mono_recording_counts_everyones_words_for_the_agent(hotel_checklist: Checklist) -> None:
    words = (Word(0.0, 0.3, "Hello", 1.0, "mono"), Word(0.4, 0.7, "Grand", 1.0, "mono"),
             Word(0.8, 1.1, "Hotel", 1.0, "mono"))
    assert "greeting" not in score_call(hotel_checklist, words).missed


def test_scores_aggregate_per_line(hotel_checklist: Checklist) -> None:
    _, complete = load_transcript("agent_complete.yaml")
    _, partial = load_transcript("agent_omits_two.yaml")
    cards = [("paris", score_call(hotel_checklist, complete)), ("paris", score_call(hotel_checklist, partial)),
             ("nice", score_call(hotel_checklist, complete))]
    nice, paris = score_lines(cards)
    assert ("nice", 1, 100.0) == (nice.line, nice.calls, nice.mean_pct)
    assert ("paris", 2) == (paris.line, paris.calls)
    assert pytest.approx((100 + 500 / 7) / 2) == paris.mean_pct
    assert pytest.approx(500 / 7) == paris.min_pct
    rates = dict(paris.item_pass_rates)
    assert (1.0, 0.5, 0.5) == (rates["greeting"], rates["upsell"], rates["contact_details"])
    assert list(ALL_ITEMS) == [item for item, _ in paris.item_pass_rates]


def test_a_french_agent_scores_100_percent_on_the_french_checklist_whatever_the_accents() -> None:
    from mystery.score.checklist import find_checklist, load_checklist

    french = load_checklist(find_checklist("hotel_booking_fr"))
    answer_s, words = load_transcript("agent_fr_complete.yaml")
    card = score_call(french, words, answer_s=answer_s)
    assert () == card.missed
    upsell = next(v for v in card.verdicts if v.item_id == "upsell")
    assert "petit-déjeuner" in upsell.quote  # quotes keep the words as recognised
