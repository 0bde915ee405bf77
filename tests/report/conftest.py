"""Fixture calls for the report: one per outcome, with a real WAV, segments, words and scores."""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

import pytest

from mystery.records import CallResult, Segment, SipEvent, Word

CAMPAIGN = {"id": 1, "name": "Hotel Lumière — booking line, November", "client": "Hôtel Lumière Paris",
            "scenario_path": "", "scenario": {}}


def write_wav(path: Path, seconds: float, rate: int = 8000) -> Path:
    """A two-channel 16-bit WAV: a 440 Hz tone on the callee channel (right), silence left."""
    frames = bytearray()
    for i in range(int(seconds * rate)):
        frames += struct.pack("<hh", 0, int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(frames))
    return path


def make_calls(recordings: Path) -> list[CallResult]:
    """Nine calls on two lines covering every phase the report draws."""
    recordings.mkdir(parents=True, exist_ok=True)

    def call(n: int, outcome: str, hour: int, **kw) -> CallResult:  # type: ignore[no-untyped-def]
        # Monday 23 Nov 2026, UTC; Paris is UTC+1.
        return CallResult(call_id=f"call-{n:02d}", target_uri="sip:reservations@127.0.0.1:5080",
                          outcome=outcome, started_at=f"2026-11-23T{hour:02d}:{7 * n % 60:02d}:00+00:00",
                          line=kw.pop("line", "Reservations"), **kw)

    return [
        call(1, "human", 8, sip_status=200, pdd_s=0.12, ring_s=6.0, time_to_answer_s=6.12, ivr_s=14.0, hold_s=8.5,
             time_to_human_s=28.8, wait_basis="time_to_human", talk_s=42.0, duration_s=70.8, talk_basis="audio",
             recording=str(write_wav(recordings / "call-01.wav", 3.0)),
             segments=(Segment(0.0, 14.0, "ivr_prompt"), Segment(14.0, 22.5, "hold_music"),
                       Segment(22.5, 64.7, "live_human")),
             words=(Word(23.0, 23.4, "Hôtel", channel="callee"), Word(23.4, 23.9, "Lumière", channel="callee"),
                    Word(24.0, 24.5, "bonjour", channel="callee"),
                    Word(27.0, 27.3, "I'd", channel="caller"), Word(27.3, 27.6, "like", channel="caller"),
                    Word(27.6, 27.9, "a", channel="caller"), Word(27.9, 28.4, "room", channel="caller"),
                    Word(30.0, 30.4, "<script>alert(1)</script>", channel="callee")),
             recording_offset_s=6.12),
        call(2, "human", 9, sip_status=200, pdd_s=0.1, ring_s=3.0, time_to_answer_s=3.1, hold_s=95.0,
             time_to_human_s=98.1, wait_basis="time_to_human", talk_s=30.0, duration_s=128.1),
        call(3, "busy", 9, sip_status=486, sip_reason="Busy Here", pdd_s=0.09, duration_s=0.4),
        call(4, "no_answer", 10, sip_status=487, pdd_s=0.1, ring_s=None, duration_s=45.0),
        call(5, "closed_message", 12, sip_status=200, pdd_s=0.1, ring_s=2.0, time_to_answer_s=2.1, talk_s=12.0,
             duration_s=14.1),
        call(6, "voicemail", 13, sip_status=200, pdd_s=0.1, ring_s=20.0, time_to_answer_s=20.1, talk_s=25.0,
             duration_s=45.1, line="Groups desk"),
        call(7, "answered", 14, sip_status=200, pdd_s=0.11, ring_s=4.0, time_to_answer_s=4.11, talk_s=33.0,
             duration_s=37.1, line="Groups desk", recording=str(recordings / "missing.wav")),
        call(8, "human", 15, sip_status=200, pdd_s=0.1, ring_s=9.0, time_to_answer_s=9.1, time_to_human_s=9.6,
             wait_basis="time_to_human", talk_s=50.0, duration_s=59.6, line="Groups desk",
             events=(SipEvent(0.0, "2026-11-23T15:56:00Z", "INVITE"),
                     SipEvent(0.1, "2026-11-23T15:56:00Z", "180", 180))),
        call(9, "ivr_dead_end", 16, sip_status=200, pdd_s=0.1, ring_s=1.0, time_to_answer_s=1.1, ivr_s=40.0,
             duration_s=41.1),
    ]


SCORES = {
    "call-01": [
        {"item": "greeting_with_hotel_name", "passed": True, "at_s": 23.0, "quote": "Hôtel Lumière bonjour"},
        {"item": "availability", "passed": False, "at_s": None, "quote": ""},
        {"item": "rate", "passed": True, "at_s": 35.2, "quote": "189 euros the night"},
    ],
    "call-08": [
        {"item": "greeting_with_hotel_name", "passed": True, "at_s": 9.7, "quote": "Lumière, good morning"},
        {"item": "availability", "passed": True, "at_s": 20.0, "quote": "we have a double"},
        {"item": "rate", "passed": True, "at_s": 25.0, "quote": "149 euros"},
    ],
}


@pytest.fixture
def fixture_calls(tmp_path: Path) -> list[CallResult]:
    return make_calls(tmp_path / "recordings")


@pytest.fixture
def campaign() -> dict:
    return dict(CAMPAIGN)


@pytest.fixture
def scores() -> dict:
    return {key: list(value) for key, value in SCORES.items()}
