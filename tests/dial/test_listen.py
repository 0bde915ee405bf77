"""The live listener and the step runner, fed synthetic frame levels (pure)."""

from __future__ import annotations

import math
from array import array

import pytest

from mystery.dial.listen import Listener, frame_dbfs
from mystery.dial.steps import StepRunner
from mystery.scenario.plan import Step

LOUD, QUIET = -20.0, -70.0


def feed(listener: Listener, start: float, end: float, level: float) -> None:
    """Frames ending every 20 ms in (start, end]."""
    t = start + 0.02
    while t <= end + 1e-9:
        listener.feed(round(t, 3), level)
        t += 0.02


def test_frame_level_of_full_scale_square_wave_is_zero_dbfs():
    assert 0.0 == pytest.approx(frame_dbfs(array("h", [32767, -32767] * 80).tobytes()), abs=0.01)
    assert -math.inf == frame_dbfs(bytes(320))


def test_prompt_ended_needs_sound_then_the_silence():
    listener = Listener(-45)
    feed(listener, 0.0, 2.0, LOUD)
    feed(listener, 2.0, 2.5, QUIET)
    assert listener.prompt_ended(0.0, 0.7, now=2.5) is None
    feed(listener, 2.5, 3.0, QUIET)
    assert 2.0 + 0.7 == pytest.approx(listener.prompt_ended(0.0, 0.7, now=3.0))


def test_prompt_that_ended_before_arming_does_not_count():
    listener = Listener(-45)
    feed(listener, 0.0, 1.0, LOUD)
    feed(listener, 1.0, 4.0, QUIET)
    assert listener.prompt_ended(armed_at=2.0, min_silence_s=0.5, now=4.0) is None


def test_a_click_is_not_sound():
    listener = Listener(-45)
    feed(listener, 0.0, 1.0, QUIET)
    listener.feed(1.02, LOUD)
    feed(listener, 1.02, 3.0, QUIET)
    assert [] == listener.bursts


def test_silence_counts_from_arming_at_the_earliest():
    listener = Listener(-45)
    feed(listener, 0.0, 5.0, QUIET)
    assert listener.silence(armed_at=2.0, silence_s=3.0, now=4.9) is None
    assert 5.0 == pytest.approx(listener.silence(armed_at=2.0, silence_s=3.0, now=5.0))


def test_human_reached_is_a_reply_after_the_caller_spoke():
    listener = Listener(-45)
    feed(listener, 0.0, 2.0, LOUD)      # greeting / prompt
    feed(listener, 2.0, 5.0, QUIET)     # the caller speaks 3.0-4.5
    feed(listener, 5.0, 6.0, LOUD)      # reply
    turns = [(3.0, 4.5)]
    assert 5.0 == pytest.approx(listener.human_reached(0.0, turns, now=6.0))
    assert listener.human_reached(0.0, [], now=6.0) is None


def test_music_that_never_pauses_is_not_a_human():
    listener = Listener(-45)
    feed(listener, 0.0, 20.0, LOUD)
    assert listener.human_reached(0.0, [(3.0, 4.5)], now=20.0) is None


def test_timed_steps_fire_at_their_offset_after_the_answer():
    runner = StepRunner((Step("dtmf", "1", "answered", 2.0), Step("dtmf", "2", "answered", 1.0)), Listener())
    runner.on_answered(10.0)
    assert [] == runner.due(10.5)
    assert [1] == runner.due(11.0)
    runner.fired(1, 11.0)
    assert [0] == runner.due(12.0)


def test_sequential_step_waits_for_the_line_before_it():
    listener = Listener(-45)
    steps = (Step("say", "hello", "answered", 0.0), Step("dtmf", "1", "silence", silence_s=1.0))
    runner = StepRunner(steps, listener)
    runner.on_answered(0.0)
    feed(listener, 0.0, 4.0, QUIET)
    assert [0] == runner.due(0.0)
    runner.fired(0, 0.0, duration_s=2.5)     # the caller talks until 2.5
    assert [] == runner.due(3.4)
    assert [1] == runner.due(3.5)


def test_timeout_fallback_fires_when_the_event_never_comes():
    listener = Listener(-45)
    runner = StepRunner((Step("dtmf", "1", "human_reached", timeout_s=5.0),), listener)
    runner.on_answered(0.0)
    feed(listener, 0.0, 6.0, LOUD)
    assert [] == runner.due(4.9)
    assert [0] == runner.due(5.0)
    assert "timeout_s" == runner.progress[0].fired_by


def test_early_media_steps_go_at_the_answer_when_there_was_none():
    runner = StepRunner((Step("dtmf", "1", "early_media", 0.5),), Listener())
    runner.on_answered(3.0)
    assert [0] == runner.due(3.5)


def test_pending_ignores_hangup_steps():
    runner = StepRunner((Step("dtmf", "1", "answered"), Step("hangup", on="answered", offset_s=9)), Listener())
    runner.on_answered(0.0)
    runner.fired(0, 0.0)
    assert not runner.pending()


def test_greeting_after_hold_music_is_a_human():
    listener = Listener(-45)
    feed(listener, 0.0, 20.0, LOUD)       # hold music with announcements mixed in
    feed(listener, 20.0, 20.4, QUIET)
    feed(listener, 20.4, 23.0, LOUD)      # "Good evening, Grand Hotel, Sophie speaking"
    feed(listener, 23.0, 23.9, QUIET)
    assert listener.human_reached(1.0, [], now=23.9) is None
    feed(listener, 23.9, 24.2, QUIET)
    assert 24.0 == pytest.approx(listener.human_reached(1.0, [], now=24.2))


def test_a_greeting_then_a_wait_for_the_caller_is_a_human():
    listener = Listener(-45)
    feed(listener, 0.0, 0.5, QUIET)
    feed(listener, 0.5, 1.8, LOUD)        # "Grand Hotel, Sophie speaking,"
    feed(listener, 1.8, 2.1, QUIET)
    feed(listener, 2.1, 3.0, LOUD)        # "how may I help you?"
    feed(listener, 3.0, 4.3, QUIET)
    assert listener.human_reached(0.0, [], now=4.3) is None
    feed(listener, 4.3, 4.5, QUIET)       # 1.4 s of waiting: within 1.5 s of the greeting's end
    assert 4.4 == pytest.approx(listener.human_reached(0.0, [], now=4.5))


def test_prompt_then_music_after_a_short_pause_is_not_a_human():
    listener = Listener(-45)
    feed(listener, 0.0, 4.0, LOUD)        # "all our agents are busy, please hold"
    feed(listener, 4.0, 5.3, QUIET)       # the music fades in
    feed(listener, 5.3, 9.0, LOUD)
    assert listener.human_reached(0.0, [], now=9.0) is None


def test_a_greeting_that_began_before_arming_is_not_waited_for():
    listener = Listener(-45)
    feed(listener, 0.0, 4.0, LOUD)        # "press 1 for reservations" (armed after the key press)
    feed(listener, 4.0, 10.0, QUIET)
    assert listener.human_reached(4.5, [], now=10.0) is None


def test_hold_music_that_ended_before_arming_does_not_count():
    listener = Listener(-45)
    feed(listener, 0.0, 10.0, LOUD)
    feed(listener, 10.0, 12.0, QUIET)
    feed(listener, 12.0, 14.0, LOUD)
    feed(listener, 14.0, 15.3, QUIET)     # shorter than a greeting's wait for the caller
    assert listener.human_reached(11.0, [], now=15.3) is None


def test_music_with_short_dips_is_still_one_hold_stretch():
    listener = Listener(-45)
    t = 0.0
    for _ in range(8):                    # 0.8 s notes with 0.2 s decays: no single burst reaches 6 s
        feed(listener, t, t + 0.8, LOUD)
        feed(listener, t + 0.8, t + 1.0, QUIET)
        t += 1.0
    feed(listener, t, t + 1.0, QUIET)
    assert (t - 0.2) + 1.0 == pytest.approx(listener.human_reached(0.5, [], now=t + 1.0))


def test_music_fading_in_under_the_level_ends_the_pause_after_a_prompt():
    """A "please hold" prompt, 1 s of silence, then hold music fading in (-52 dBFS, under -45 for 0.6 s):
    the 1.4 s wait for a greeting must not be reached in the fade-in."""
    listener = Listener(-45)
    feed(listener, 0.0, 4.0, LOUD)        # "all our agents are busy, please hold"
    feed(listener, 4.0, 5.0, QUIET)
    feed(listener, 5.0, 5.6, -52.0)       # the music fades in
    assert listener.human_reached(0.0, [], now=5.6) is None
    feed(listener, 5.6, 9.0, LOUD)
    assert listener.human_reached(0.0, [], now=9.0) is None


def test_a_line_noise_floor_under_the_level_does_not_hide_a_waiting_person():
    """In a noisy room (-50 dBFS between words) the wait after a greeting is still heard."""
    listener = Listener(-45)
    feed(listener, 0.0, 2.0, -50.0)
    feed(listener, 2.0, 3.5, LOUD)        # "Grand Hotel, good morning?"
    feed(listener, 3.5, 5.0, -50.0)
    assert 4.9 == pytest.approx(listener.human_reached(0.0, [], now=5.0))
