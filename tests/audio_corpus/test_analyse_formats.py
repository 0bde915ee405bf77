"""`mystery analyse` on what agencies already have (issue 14 part 5): WAV, MP3, OGG and FLAC at 8, 16, 44.1
and 48 kHz, mono and both channel orders, and recordings that start after the answer.

The call is one of the corpus's tuning calls (real voices through a telephone line) that today's analysis
gets right as an 8 kHz WAV; every other form of the same call must give the same answer.
"""

from __future__ import annotations

import json
import subprocess
import sys
from math import gcd
from pathlib import Path

import numpy as np
import pytest
import soundfile
from scipy.signal import resample_poly

from mystery.audio.analyse import analyse_file

from .build import BuiltCall, build_call

FORMATS = {"wav": ("WAV", "PCM_16"), "flac": ("FLAC", "PCM_16"), "ogg": ("OGG", "VORBIS"),
           "mp3": ("MP3", "MPEG_LAYER_III")}
RATES = (8000, 16000, 44100, 48000)


def sides(call: BuiltCall) -> tuple[np.ndarray, np.ndarray]:
    """(callee, caller) of a two-channel corpus call."""
    assert call.audio.ndim == 2
    right = call.channel == "right"
    return (call.audio[:, 1], call.audio[:, 0]) if right else (call.audio[:, 0], call.audio[:, 1])


def write(path: Path, callee: np.ndarray, caller: np.ndarray, rate: int, layout: str) -> None:
    """The call at `rate`, mono (mixed) or with the callee on the `layout` channel."""
    g = gcd(rate, 8000)
    callee, caller = (x if rate == 8000 else resample_poly(x, rate // g, 8000 // g) for x in (callee, caller))
    data = np.clip(callee + caller, -1, 1) if layout == "mono" else \
        np.stack([caller, callee] if layout == "right" else [callee, caller], axis=1)
    fmt, subtype = FORMATS[path.suffix[1:]]
    soundfile.write(path, data, rate, format=fmt, subtype=subtype)


@pytest.fixture(scope="module")
def call() -> BuiltCall:
    built = build_call("tuning", 2)   # ringback, an IVR menu answered by DTMF, then a person who is answered
    assert built.human_start_s is not None and built.audio.ndim == 2
    return built


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("ext", list(FORMATS))
def test_every_format_rate_and_channel_order_finds_the_same_person(call, ext, rate, tmp_path):
    callee, caller = sides(call)
    for layout in ("right", "left", "mono"):
        path = tmp_path / f"call-{layout}.{ext}"
        write(path, callee, caller, rate, layout)
        result = analyse_file(path, layout)
        assert abs(result["duration_s"] - call.duration_s) <= 0.1, (layout, result["duration_s"])
        m = result["measures"]
        assert "human" == m["outcome"], layout
        assert abs(m["time_to_human_s"] - call.human_start_s) <= 0.5, (layout, m["time_to_human_s"])
        if layout != "mono" and call.caller_speaks:
            assert result["caller_speech"], layout     # the caller's turns were read from the other channel


@pytest.mark.parametrize("ext", list(FORMATS))
def test_the_command_reads_each_format_with_the_callee_on_the_left(call, ext, tmp_path):
    path = tmp_path / f"agency.{ext}"
    write(path, *sides(call), 44100, "left")
    done = subprocess.run([sys.executable, "-m", "mystery", "analyse", str(path), "--channel", "left", "--json"],
                          capture_output=True, text=True, timeout=120)
    assert 0 == done.returncode, done.stderr
    measures = json.loads(done.stdout)["measures"]
    assert "human" == measures["outcome"] and abs(measures["time_to_human_s"] - call.human_start_s) <= 0.5


@pytest.mark.parametrize("index", [2, 26, 35])   # 35: an IVR prompt at the very start of the file
def test_a_recording_that_starts_at_the_answer(index, tmp_path):
    call = build_call("tuning", index)
    answer = next(end for label, _, end in call.truth if label == "ringback")
    path = tmp_path / "after-answer.wav"
    soundfile.write(path, call.audio[int(round(answer * 8000)):], 8000, subtype="PCM_16")
    result = analyse_file(path, call.channel, recording_offset_s=answer)
    assert "ringback" not in {s["label"] for s in result["segments"]}
    m = result["measures"]
    assert "human" == m["outcome"] and call.human_start_s is not None
    assert abs(m["time_to_human_s"] - call.human_start_s) <= 0.5, (m["time_to_human_s"], call.human_start_s)
