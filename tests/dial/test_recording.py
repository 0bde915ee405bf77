"""Interleaving the two mono recordings into the call's stereo WAV."""

from __future__ import annotations

import wave
from array import array

from mystery.dial.recording import interleave


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
