"""Interleaving the two mono recordings into the call's stereo WAV."""

from __future__ import annotations

import wave
from array import array

from mystery.dial.recording import clock_gaps, interleave


def write(path, samples):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(array("h", samples).tobytes())


def test_caller_left_callee_right_padded_to_the_longer(tmp_path):
    write(tmp_path / "caller.wav", [1, 2, 3])
    write(tmp_path / "callee.wav", [10, 20, 30, 40])
    seconds = interleave(tmp_path / "caller.wav", tmp_path / "callee.wav", tmp_path / "call.wav")
    with wave.open(str(tmp_path / "call.wav")) as w:
        assert (2, 8000, 4) == (w.getnchannels(), w.getframerate(), w.getnframes())
        frames = array("h", w.readframes(4))
    assert [1, 10, 2, 20, 3, 30, 0, 40] == list(frames)
    assert 4 / 8000 == seconds
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".partial"] == []


def ticks(*segments):
    """Tick times: (count, start) segments of regular 20 ms ticks."""
    out = []
    for count, start in segments:
        out.extend(start + 0.02 * i for i in range(count))
    return out


def test_a_regular_clock_has_no_gaps():
    assert [] == clock_gaps(ticks((500, 100.0)))


def test_a_burst_that_catches_up_loses_nothing():
    times = ticks((100, 100.0))
    times += [times[-1] + 0.3 + 0.001 * i for i in range(15)]        # starved 0.3 s, then a burst
    times += ticks((100, times[0] + 0.02 * len(times)))                # back on time
    assert [] == clock_gaps(times)


def test_a_jump_ahead_is_a_gap_at_the_right_frame():
    times = ticks((100, 100.0), (100, 100.0 + 2.0 + 0.6))              # 0.6 s of ticks never happened
    assert [(100, 30)] == clock_gaps(times)


def test_silence_is_put_back_in_both_channels(tmp_path):
    write(tmp_path / "caller.wav", [1] * 320)
    write(tmp_path / "callee.wav", [2] * 320)
    seconds = interleave(tmp_path / "caller.wav", tmp_path / "callee.wav", tmp_path / "call.wav", [(1, 2)])
    with wave.open(str(tmp_path / "call.wav")) as w:
        frames = array("h", w.readframes(w.getnframes()))
    assert (320 + 320) / 8000 == seconds
    left = list(frames[0::2])
    assert [1] * 160 + [0] * 320 + [1] * 160 == left


def test_a_clock_still_behind_when_the_recorders_stopped_is_padded_to_the_wall_time(tmp_path):
    write(tmp_path / "caller.wav", [1] * 320)      # 40 ms recorded, but the recorders ran for 50 ms of wall time
    write(tmp_path / "callee.wav", [2] * 320)
    seconds = interleave(tmp_path / "caller.wav", tmp_path / "callee.wav", tmp_path / "call.wav", min_s=0.05)
    with wave.open(str(tmp_path / "call.wav")) as w:
        frames = array("h", w.readframes(w.getnframes()))
    assert 0.05 == seconds
    assert [1] * 320 + [0] * 80 == list(frames[0::2])
    assert [2] * 320 + [0] * 80 == list(frames[1::2])
