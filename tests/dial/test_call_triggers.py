"""Caller steps fired by live audio events, checked by the tests' own pjsua2 UAS (actors/uas.py).

The UAS plays a known prompt and later a "reply"; it logs when it started each one and every
RFC 2833 digit it receives, so the test knows when the dialer acted relative to the audio.
"""

from __future__ import annotations

import math
import wave
from array import array

import pytest

from mystery.dial.listen import GREETING_PAUSE_S

pytestmark = pytest.mark.sip

SOUNDS = "/usr/share/asterisk/sounds/en"
PROMPT = f"{SOUNDS}/pls-hold-while-try.wav"
LINE = f"{SOUNDS}/hello-world.wav"


def sound_span(path: str, level_dbfs: float = -45.0) -> tuple[float, float]:
    """First and last time (s) a 20 ms frame of `path` is louder than `level_dbfs`."""
    with wave.open(path) as w:
        rate = w.getframerate()
        samples = array("h", w.readframes(w.getnframes()))
    n = rate // 50
    loud = []
    for i in range(0, len(samples) - n + 1, n):
        frame = samples[i:i + n]
        power = sum(s * s for s in frame) / n
        if power > 0 and 10 * math.log10(power / 32768**2) > level_dbfs:
            loud.append(i / rate)
    return loud[0], loud[-1] + 0.02


def test_dtmf_is_sent_as_rfc2833_at_the_planned_times(pjsua_uas, mystery_call):
    uas = pjsua_uas(ring_ms=200, answer_ms=300, hangup_after=4)
    run = mystery_call(uas.uri, "--dtmf", "12@0.5", "--dtmf", "#@2")
    log = uas.finish()
    assert 0 == run.returncode, run.stderr
    assert ["1", "2", "#"] == [d["digit"] for d in log["digits"]]
    assert {0} == {d["method"] for d in log["digits"]}            # 0 = RFC 2833 / 4733
    assert log["digits"][0]["t"] - log["answered_sent"] == pytest.approx(0.5, abs=0.1)
    assert log["digits"][2]["t"] - log["answered_sent"] == pytest.approx(2.0, abs=0.1)
    assert ("answered", "callee") == (run.result["outcome"], run.result["hangup_by"])
    assert run.result["time_to_answer_s"] == pytest.approx(log["answered_sent"] - log["invite_rx"], abs=0.02)


def test_dtmf_after_prompt_ended_waits_for_the_silence(pjsua_uas, mystery_call):
    uas = pjsua_uas(ring_ms=100, answer_ms=200, prompt=PROMPT, prompt_at=0.3, hangup_after=6)
    run = mystery_call(uas.uri, "--dtmf", "1@prompt_ended:600")
    log = uas.finish()
    assert 0 == run.returncode, run.stderr
    _, last_sound = sound_span(PROMPT)
    prompt_end = log["prompt_started"] + last_sound
    assert ["1"] == [d["digit"] for d in log["digits"]]
    late = log["digits"][0]["t"] - (prompt_end + 0.6)
    # network + jitter buffer + frame clock; at most one 20 ms frame early: the prompt's last loud frame in the file
    # can fall under the detector's level once through G.711, so the silence may start a frame sooner than here
    assert -0.02 <= late <= 0.25, late
    step = run.result["extra"]["steps"][0]
    assert "prompt_ended" == step["fired_by"]


def test_human_reached_fires_on_a_reply_to_the_caller(pjsua_uas, mystery_call):
    # prompt 0.3-2.7 s; caller line after 0.5 s of silence (~3.2-4.6 s); reply at 5.2 s
    uas = pjsua_uas(ring_ms=100, answer_ms=200, prompt=PROMPT, prompt_at=0.3, reply=LINE, reply_at=5.2,
                    hangup_after=8)
    run = mystery_call(uas.uri, "--say", f"{LINE}@prompt_ended:500", "--dtmf", "9@human_reached+0.2")
    log = uas.finish()
    assert 0 == run.returncode, run.stderr
    first_sound, _ = sound_span(LINE)
    reply_onset = log["reply_started"] + first_sound
    assert ["9"] == [d["digit"] for d in log["digits"]]
    late = log["digits"][0]["t"] - (reply_onset + 0.2)
    assert 0.0 <= late <= 0.45, late   # the onset is confirmed after 0.3 s of sound
    steps = run.result["extra"]["steps"]
    assert ["prompt_ended", "human_reached"] == [s["fired_by"] for s in steps]


def test_timeout_fallback_fires_a_step_whose_event_never_comes(pjsua_uas, mystery_call):
    uas = pjsua_uas(ring_ms=100, answer_ms=200, hangup_after=4)   # silent callee: no prompt ever ends
    run = mystery_call(uas.uri, "--dtmf", "5@silence:1.5")
    log = uas.finish()
    assert 0 == run.returncode, run.stderr
    assert ["5"] == [d["digit"] for d in log["digits"]]
    assert log["digits"][0]["t"] - log["answered_sent"] == pytest.approx(1.5, abs=0.15)


def test_human_reached_fires_when_a_greeting_after_hold_music_pauses(pjsua_uas, mystery_call, tmp_path):
    import subprocess

    music = tmp_path / "hold.wav"   # 8 s of Debian's music on hold
    subprocess.run(["sox", "/usr/share/asterisk/moh/manolo_camp-morning_coffee.wav", str(music), "trim", "20", "8"],
                   check=True)
    uas = pjsua_uas(ring_ms=100, answer_ms=200, prompt=str(music), prompt_at=0.2, reply=LINE, reply_at=8.4,
                    hangup_after=13)
    run = mystery_call(uas.uri, "--dtmf", "9@human_reached")
    log = uas.finish()
    assert 0 == run.returncode, run.stderr
    _, last_sound = sound_span(LINE)
    greeting_end = log["reply_started"] + last_sound
    assert ["9"] == [d["digit"] for d in log["digits"]]
    late = log["digits"][0]["t"] - (greeting_end + GREETING_PAUSE_S)
    assert -0.05 <= late <= 0.3, late


def test_human_reached_does_not_fire_when_hold_music_stops_with_no_one_there(pjsua_uas, mystery_call, tmp_path):
    """Issue 14: the live cue hears the samples, not just the level, so the silence after music is not a
    person (on levels alone, the greeting-after-hold rule fired 1 s into that silence)."""
    import subprocess

    music = tmp_path / "hold.wav"   # 8 s of Debian's music on hold, then nothing
    subprocess.run(["sox", "/usr/share/asterisk/moh/manolo_camp-morning_coffee.wav", str(music), "trim", "20", "8"],
                   check=True)
    uas = pjsua_uas(ring_ms=100, answer_ms=200, prompt=str(music), prompt_at=0.2, hangup_after=12)
    run = mystery_call(uas.uri, "--dtmf", "9@human_reached")
    log = uas.finish()
    assert 0 == run.returncode, run.stderr
    assert [] == log["digits"]
    assert [None] == [s["fired_t_s"] for s in run.result["extra"]["steps"]]
