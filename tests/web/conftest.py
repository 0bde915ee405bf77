"""A store with two mystery-call campaigns, a loose call and one compliance audit run, written with
the products' own repo functions, plus a recordings folder holding one real WAV."""

from __future__ import annotations

import math
import struct
import wave
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import Engine

from campaigns.model.records import RejectedRow, Violation
from campaigns.store.repo import RunRecorder
from console.web.app import make_app
from mystery.records import CallResult, Segment, SipEvent, Word
from mystery.store import repo
from mystery_core.settings import Settings, load_settings
from mystery_core.store.engine import open_store

CAMPAIGN = "Hôtel Lumière — booking line 1/2"
SECOND = "empty <campaign>"
SCORES = [
    {"item": "greeting_with_hotel_name", "passed": True, "at_s": 23.0, "quote": "Hôtel Lumière bonjour"},
    {"item": "rate", "passed": False, "at_s": None, "quote": ""},
]

SUMMARY = {"rules": [{"rule": "fr-2023.hours", "title": "Calls only 10:00-13:00 and 14:00-20:00",
                      "citation": "C. consom. art. D223-9", "evaluated": 4, "violations": 1}]}


def write_wav(path: Path, seconds: float = 1.0, rate: int = 8000) -> Path:
    """Two-channel 16-bit WAV: silence left (caller), a 440 Hz tone right (callee)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = b"".join(struct.pack("<hh", 0, int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
                      for i in range(int(seconds * rate)))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return path


def make_calls(recordings: Path) -> list[CallResult]:
    def call(n: int, outcome: str, **kw) -> CallResult:  # type: ignore[no-untyped-def]
        return CallResult(call_id=f"call-{n:02d}", target_uri="sip:reservations@127.0.0.1:5080", outcome=outcome,
                          started_at=f"2026-11-23T{8 + n:02d}:05:00+00:00", line=kw.pop("line", "Reservations"),
                          **kw)

    return [
        call(1, "human", sip_status=200, pdd_s=0.12, ring_s=6.0, time_to_answer_s=6.12, ivr_s=14.0, hold_s=8.5,
             time_to_human_s=28.8, wait_basis="time_to_human", talk_s=42.0, duration_s=70.8, talk_basis="audio",
             recording=str(write_wav(recordings / "lumiere" / "call-01.wav")), recording_offset_s=6.12,
             events=(SipEvent(0.0, "2026-11-23T09:05:00.000Z", "INVITE"),
                     SipEvent(0.12, "2026-11-23T09:05:00.120Z", "180", 180, "Ringing"),
                     SipEvent(6.12, "2026-11-23T09:05:06.120Z", "200", 200, "OK"),
                     SipEvent(70.8, "2026-11-23T09:06:10.800Z", "BYE_sent")),
             segments=(Segment(0.0, 14.0, "ivr_prompt", 0.9), Segment(14.0, 22.5, "hold_music", 0.8),
                       Segment(22.5, 64.7, "live_human", 0.95)),
             words=(Word(23.0, 23.4, "Hôtel"), Word(23.4, 23.9, "Lumière"), Word(24.0, 24.5, "bonjour"),
                    Word(27.0, 27.4, "room", channel="caller"),
                    Word(30.0, 30.4, "<script>alert(1)</script>"))),
        call(2, "human", sip_status=200, pdd_s=0.1, ring_s=3.0, time_to_answer_s=3.1, hold_s=95.0,
             time_to_human_s=98.1, wait_basis="time_to_human", talk_s=30.0, duration_s=128.1),
        call(3, "busy", sip_status=486, sip_reason="Busy Here", pdd_s=0.09, duration_s=0.4),
        call(4, "voicemail", sip_status=200, pdd_s=0.1, ring_s=20.0, time_to_answer_s=20.1, talk_s=25.0,
             duration_s=45.1, line="Groups desk", recording="missing.wav"),
    ]


@dataclass(frozen=True)
class Store:
    url: str
    engine: Engine
    settings: Settings
    recordings: Path
    run_id: int


def build_store(database_url: str, tmp_path: Path) -> Store:
    recordings = tmp_path / "recordings"
    engine = open_store(database_url)
    campaign_id = repo.create_campaign(engine, CAMPAIGN, {"revenue": {"calls_per_month": 1200}},
                                       client="Hôtel Lumière Paris")
    for call in make_calls(recordings):
        repo.save_call(engine, call, campaign_id)
    repo.save_scores(engine, "call-01", SCORES)
    repo.finish_campaign(engine, campaign_id)
    repo.create_campaign(engine, SECOND, {})
    repo.save_call(engine, CallResult(call_id="loose-1", target_uri="sip:x@127.0.0.1", outcome="no_answer",
                                      started_at="2026-11-22T10:00:00+00:00", duration_s=30.0))
    with engine.begin() as connection:
        recorder = RunRecorder(connection, "logs/dialer.csv", ["fr-2023"], {"window": "rolling"})
        for i in range(3):
            recorder.violation(Violation(
                call_id=f"A{i}", rule="fr-2023.frequency" if i else "fr-2023.hours", phone="+33612345678",
                person_id="p1", person_key_basis="phone", campaign="energy", principal="ACME", local_time=f"2026-11-2{i}T21:0{i}",
                zones=("Europe/Paris",), message=f"finding {i} <b>bold</b>", evidence={"earlier": [f"A{i - 1}"]},
                source="logs/dialer.csv", line=10 + i, started_at_utc=f"2026-11-2{i}T20:0{i}:00Z"))
        recorder.rejected(RejectedRow("logs/dialer.csv", 4, "phone", "not a phone number: 'abc'"))
        recorder.finish(log_sha256="ab" * 32, log_format="generic", evidence={}, summary=SUMMARY, rows=5, attempts=4,
                        rejected=1, violations=3, exit_code=1)
        run_id = recorder.run_id
    settings = load_settings(env={}, overrides={"database_url": database_url, "recordings_dir": str(recordings)})
    return Store(database_url, engine, settings, recordings, run_id)


@pytest.fixture
def store(database_url: str, tmp_path: Path) -> Store:
    """The store on SQLite and on PostgreSQL."""
    return build_store(database_url, tmp_path)


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Store:
    """The store on SQLite only: for the slower tests that start processes."""
    return build_store(f"sqlite:///{tmp_path / 'store.db'}", tmp_path)


@pytest.fixture
async def client(store: Store) -> AsyncIterator[TestClient]:
    """An aiohttp test client of the dashboard over 127.0.0.1."""
    async with TestClient(TestServer(make_app(store.settings), host="127.0.0.1")) as test_client:
        yield test_client


def campaign_path(name: str) -> str:
    return f"/campaigns/{quote(name, safe='')}/"
