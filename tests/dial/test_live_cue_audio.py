"""The live `human_reached` cue on real audio, fed 20 ms frames (level and samples) as the dialer feeds it.

Issue 14 part 3: the cue must not fire on the silence after hold music, on line noise or after a voicemail
beep, and must fire within 1.5 s after a person's greeting ends. Material: clips and calls of the
independent corpus's tuning half (tests/audio_corpus, real recordings through a telephone line) and the
simulator's own sounds (Debian's Asterisk hold music, an espeak-ng agent, G.711). Whole sets are measured by
benchmarks/bench_live_cue.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from audio_corpus.build import build_call  # noqa: E402
from audio_corpus.catalogue import load  # noqa: E402
from audio_corpus.line import LineTreatment, treat  # noqa: E402

from mystery.audio.synthetic import asterisk_sound, g711_round_trip, speak  # noqa: E402
from mystery.dial.listen import Listener, frame_dbfs  # noqa: E402

FRAME = 160
MISS_S = 1.5
LINE = LineTreatment("pcma", agc=True, comfort_noise_db=None, frame_loss=0.0, plc=False)


def first_fire(audio: np.ndarray, armed_at: float = 0.0) -> float | None:
    """Wall time (s from the first sample) at which the cue first reports a person, polled every frame."""
    pcm = np.clip(np.round(audio * 32767), -32768, 32767).astype(np.int16)
    listener = Listener(-45.0)
    for i in range(len(pcm) // FRAME):
        t = (i + 1) * 0.02
        chunk = pcm[i * FRAME:(i + 1) * FRAME].tobytes()
        listener.feed(t, frame_dbfs(chunk), chunk)
        if listener.human_reached(armed_at, [], t) is not None:
            return t
    return None


def on_line(x: np.ndarray, seed: int = 14) -> np.ndarray:
    return treat(x.astype(np.float32), LINE, np.random.default_rng(seed))


def quiet(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * 8000), np.float32)


def level(x: np.ndarray, db: float) -> np.ndarray:
    return x / (np.sqrt(np.mean(x ** 2)) + 1e-9) * 10 ** (db / 20)


@pytest.mark.parametrize("track", ["st_forest_theme", "st_chipdisko", "sp_loop_garzul"])
def test_silence_after_real_hold_music_is_not_a_person(track: str) -> None:
    music = level(load(track)[8000 * 2: 8000 * 12], -22)
    assert first_fire(on_line(np.concatenate([music, quiet(4.0)]))) is None


@pytest.mark.parametrize("noise", ["sb_noise1", "sb_noise3", "sp_vinyl_hiss"])
def test_silence_after_real_line_noise_is_not_a_person(noise: str) -> None:
    hiss = level(load(noise)[: 8000 * 8], -30)
    assert first_fire(on_line(np.concatenate([hiss, quiet(4.0)]))) is None


def from_answer(index: int) -> tuple[np.ndarray, float, float | None, float | None]:
    """A two-channel tuning-half call's callee side from its answer on, as a SIP peer streams it (a mono
    call's channel also holds the caller's recorded lines, which the live tap never hears), with its
    person's first word and the end of their first turn, from the answer."""
    call = build_call("tuning", index)
    assert "mono" != call.channel
    answer = next((end for label, _, end in call.truth if label == "ringback"), 0.0)
    callee = call.audio[int(round(answer * 8000)):, 1 if call.channel == "right" else 0]
    turn_end = call.details.get("first_turn_end_s")
    return (callee, answer, None if call.human_start_s is None else call.human_start_s - answer,
            None if turn_end is None else float(turn_end) - answer)  # type: ignore[arg-type]


@pytest.mark.parametrize("index", [18, 29])
def test_a_voicemail_greeting_that_ends_with_a_beep_is_not_a_person(index: int) -> None:
    callee, _, person, _ = from_answer(index)
    assert person is None
    assert first_fire(callee) is None


@pytest.mark.parametrize("index", [0, 33, 36, 38, 39])
def test_a_person_is_reached_within_1_5_s_of_their_greeting_on_corpus_calls(index: int) -> None:
    """Direct greetings, a person after hold music, a person in a noisy room (tuning half)."""
    callee, _, person, turn_end = from_answer(index)
    assert person is not None and turn_end is not None
    fired = first_fire(callee)
    assert fired is not None
    assert person <= fired <= turn_end + MISS_S


def simulator_greeting() -> np.ndarray:
    return speak("Good morning, Hotel Belvedere, Sophie speaking, how may I help you?", "en-gb", "f3", 165, 50) * 0.5


def test_a_simulator_agent_after_asterisk_hold_music_is_reached_within_1_5_s() -> None:
    music = asterisk_sound("macroform-cold_day")[: 8000 * 12] * 0.3
    greeting = simulator_greeting()
    audio = g711_round_trip(np.concatenate([music, quiet(0.6), greeting, quiet(3.0)]))
    start = (len(music) + len(quiet(0.6))) / 8000
    end = start + len(greeting) / 8000
    fired = first_fire(audio)
    assert fired is not None
    assert start <= fired <= end + MISS_S


def test_asterisk_hold_music_that_stops_with_no_one_there_is_not_a_person() -> None:
    music = asterisk_sound("manolo_camp-morning_coffee")[: 8000 * 12] * 0.3
    assert first_fire(g711_round_trip(np.concatenate([music, quiet(4.0)]))) is None


def test_a_simulator_agent_who_answers_directly_is_reached_within_1_5_s() -> None:
    greeting = simulator_greeting()
    audio = g711_round_trip(np.concatenate([quiet(0.5), greeting, quiet(3.0)]))
    fired = first_fire(audio)
    assert fired is not None
    assert 0.5 <= fired <= 0.5 + len(greeting) / 8000 + MISS_S
