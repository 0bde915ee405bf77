"""Agent personas, the shared seat pool (real SQLite, real processes) and espeak-ng/sox renders."""

from __future__ import annotations

import subprocess
import sys
import wave
from datetime import datetime
from pathlib import Path

from switchboard.config import Voice, load_switchboard
from switchboard.persona import call_rng, choose_persona
from switchboard.render import render_prompt, render_speech, wav_duration_s
from switchboard.seats import Seats, create_seats
from tests.switchboard.conftest import LINES


def test_consecutive_calls_get_a_different_agent_name_and_voice() -> None:
    pool = load_switchboard(LINES).pools["desk"]
    personas = [choose_persona(pool, n, call_rng(1, "agent", n), {"hotel": "H"}, datetime(2026, 1, 1, 9)) for n in range(8)]
    for a, b in zip(personas, personas[1:], strict=False):
        assert a.name != b.name
        assert a.voice.voice != b.voice.voice
    assert all("{" not in p.greeting for p in personas)
    assert len({p.greeting for p in personas}) > 1  # wording varies too
    again = choose_persona(pool, 3, call_rng(1, "agent", 3), {"hotel": "H"}, datetime(2026, 1, 1, 9))
    assert personas[3] == again  # the n-th call sounds the same in every run


def test_one_seat_serves_callers_in_arrival_order(tmp_path: Path) -> None:
    db = tmp_path / "state.sqlite"
    create_seats(db, {"desk": 1})
    a, b = Seats(db), Seats(db)
    a.enqueue("desk", "call-1")
    b.enqueue("desk", "call-2")
    assert b.try_claim("desk", "call-2") is None  # not at the head
    assert 0 == a.try_claim("desk", "call-1")
    assert b.try_claim("desk", "call-2") is None  # the only agent is busy
    assert (1, 1) == (a.busy_seats("desk"), a.waiting_count("desk"))
    a.leave("call-1")
    assert 0 == b.try_claim("desk", "call-2")
    assert [0, 1, 2] == [a.next_seq("line:x"), b.next_seq("line:x"), a.next_seq("line:x")]


def test_a_seat_held_by_a_dead_process_is_freed(tmp_path: Path) -> None:
    db = tmp_path / "state.sqlite"
    create_seats(db, {"desk": 1})
    code = (
        "import sys; from pathlib import Path; from switchboard.seats import Seats;"
        f"s = Seats(Path({str(db)!r})); s.enqueue('desk', 'ghost'); assert s.try_claim('desk', 'ghost') == 0"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=30)
    seats = Seats(db)
    assert 1 == seats.busy_seats("desk")
    seats.enqueue("desk", "alive")
    assert 0 == seats.try_claim("desk", "alive")


def test_speech_renders_8khz_mono_cached_and_voice_dependent(tmp_path: Path) -> None:
    first = render_speech("Hello, Julia speaking.", Voice("en-gb+f3", 160, 60), tmp_path)
    with wave.open(str(first)) as w:
        assert (8000, 1, 2) == (w.getframerate(), w.getnchannels(), w.getsampwidth())
        assert w.getnframes() > 4000
    stamp = first.stat().st_mtime_ns
    assert first == render_speech("Hello, Julia speaking.", Voice("en-gb+f3", 160, 60), tmp_path)
    assert stamp == first.stat().st_mtime_ns  # served from the cache
    other = render_speech("Hello, Julia speaking.", Voice("en-us+m3", 140, 35), tmp_path)
    assert first.read_bytes() != other.read_bytes()


def test_prompt_concatenates_sounds_speech_and_silence(tmp_path: Path) -> None:
    cfg = load_switchboard(LINES)
    menu = cfg.lines["ivr"].then
    path = render_prompt(menu.prompt, cfg.ivr_voice, tmp_path)  # type: ignore[union-attr]
    assert wav_duration_s(path) > 1.0
    from switchboard.config import PromptItem

    beep = "/usr/share/asterisk/sounds/en/beep.wav"
    joined = render_prompt((PromptItem("sound", beep), PromptItem("silence", 0.5)), cfg.ivr_voice, tmp_path)
    assert wav_duration_s(joined) == wav_duration_s(beep) + 0.5
