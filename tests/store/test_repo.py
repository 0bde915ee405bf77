"""The store: migrations from empty, records round-trip, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from mystery.records import CallResult, Segment, SipEvent, Word
from mystery.store import repo
from mystery_core.errors import InputError
from mystery_core.store.engine import make_engine, migrate, open_store


def sample_call(key: str = "c1") -> CallResult:
    return CallResult(
        call_id=key, target_uri="sip:hotel@127.0.0.1:5080", outcome="answered",
        started_at="2026-11-23T10:00:00.000+00:00", line="reservations", sip_status=200, sip_reason="OK",
        pdd_s=0.012, ring_s=3.5, time_to_answer_s=3.512, talk_s=20.0, duration_s=23.6, hangup_by="caller",
        recording="recordings/c1.wav",
        events=(SipEvent(0.0, "2026-11-23T10:00:00.000+00:00", "INVITE"),
                SipEvent(0.012, "2026-11-23T10:00:00.012+00:00", "180", 180, "Ringing")),
        segments=(Segment(0.0, 3.5, "ringback", 0.9), Segment(3.6, 10.0, "live_human", 0.8)),
        words=(Word(3.7, 4.0, "bonjour", 0.95),),
        extra={"dtmf": "1"},
    )


def test_migrations_create_every_table_from_empty(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    migrate(engine)  # idempotent: a second run changes nothing
    tables = set(inspect(engine).get_table_names())
    assert {"call_campaigns", "calls", "sip_events", "segments", "words", "scores",
            "revenue_estimates"} <= tables


def test_a_call_round_trips_with_its_events_segments_and_words(database_url: str) -> None:
    engine = open_store(database_url)
    campaign_id = repo.create_campaign(engine, "nov", {"calls": 1})
    repo.save_call(engine, sample_call(), campaign_id)
    loaded = repo.load_calls(engine, campaign_id)
    assert [sample_call()] == loaded


def test_a_campaign_name_is_used_once(database_url: str) -> None:
    engine = open_store(database_url)
    repo.create_campaign(engine, "nov", {})
    with pytest.raises(InputError, match="already exists"):
        repo.create_campaign(engine, "nov", {})
    assert 1 == len(repo.list_campaigns(engine))


def test_scores_replace_earlier_verdicts(database_url: str) -> None:
    engine = open_store(database_url)
    campaign_id = repo.create_campaign(engine, "nov", {})
    repo.save_call(engine, sample_call(), campaign_id)
    repo.save_scores(engine, "c1", [{"item": "greeting", "passed": False}])
    repo.save_scores(engine, "c1", [{"item": "greeting", "passed": True, "at_s": 4.0, "quote": "bonjour"}])
    assert {"c1": [{"item": "greeting", "passed": True, "verdict": "said", "at_s": 4.0, "quote": "bonjour",
                    "reason": ""}]} == repo.load_scores(engine, campaign_id)


def test_an_unsure_verdict_is_stored_with_its_reason_and_is_not_passed(database_url: str) -> None:
    engine = open_store(database_url)
    campaign_id = repo.create_campaign(engine, "dec", {})
    repo.save_call(engine, sample_call(), campaign_id)
    reason = "unsure: no words were recognised where the agent could have said it"
    repo.save_scores(engine, "c1", [{"item": "rate", "passed": False, "verdict": "unsure", "at_s": None,
                                     "quote": "", "reason": reason}])
    assert {"c1": [{"item": "rate", "passed": False, "verdict": "unsure", "at_s": None, "quote": "",
                    "reason": reason}]} == repo.load_scores(engine, campaign_id)


def test_a_reanalysis_replaces_segments_and_words_but_keeps_sip_events(database_url: str) -> None:
    import dataclasses

    engine = open_store(database_url)
    campaign_id = repo.create_campaign(engine, "nov", {})
    repo.save_call(engine, sample_call(), campaign_id)
    redone = dataclasses.replace(sample_call(), outcome="human", time_to_human_s=4.1, talk_basis="audio",
                                 segments=(Segment(0.0, 3.5, "ringback", 0.7),), words=())
    repo.replace_analysis(engine, "c1", redone)
    assert [redone] == repo.load_calls(engine, campaign_id)


def test_a_time_to_human_is_stored_with_its_confidence_and_reasons(database_url: str) -> None:
    import dataclasses

    engine = open_store(database_url)
    campaign_id = repo.create_campaign(engine, "dec", {})
    graded = dataclasses.replace(sample_call(), outcome="human", time_to_human_s=4.1, time_to_human_confidence="low",
                                 time_to_human_reasons=("the caller never spoke: turn-taking cannot be checked",
                                                        "person found only by weak evidence (last speech)"))
    repo.save_call(engine, graded, campaign_id)
    repo.save_call(engine, sample_call("c2"), campaign_id)   # never graded: no confidence, no reasons
    assert [graded, sample_call("c2")] == repo.load_calls(engine, campaign_id)
