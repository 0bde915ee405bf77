"""`mystery analyse FILE`: JSON for any recording; bad input is one line and exit 2."""

from __future__ import annotations

import json
import subprocess
import sys

from mystery.audio.synthetic import LINES, synthesize_call
from mystery.audio.wav import write_stereo

from .conftest import needs_tools


def run(*args):
    return subprocess.run([sys.executable, "-m", "mystery", "analyse", *map(str, args)],
                          capture_output=True, text=True, timeout=300)


@needs_tools
def test_analyse_prints_segments_and_measures_and_grows_the_library(tmp_path):
    call = synthesize_call(31, LINES[0], "queue_human", hold_s=15.0)
    wav = tmp_path / "call.wav"
    write_stereo(wav, call.caller, call.callee)
    done = run(wav, "--json", "--fingerprints", tmp_path / "fp", "--offset", call.invite_offset_s)
    assert 0 == done.returncode, done.stderr
    result = json.loads(done.stdout)
    assert "human" == result["measures"]["outcome"]
    assert abs(result["measures"]["time_to_human_s"] - call.time_to_human_s) <= 0.5
    assert {"start_s", "end_s", "label", "confidence"} == set(result["segments"][0])
    # how sure the time to a person is, and why not surer (a first call on its line: said, costs nothing)
    assert result["measures"]["time_to_human_confidence"] in ("high", "medium", "low")
    assert isinstance(result["measures"]["time_to_human_reasons"], list)
    assert (tmp_path / "fp" / "items.json").exists() and result["fingerprints"]["items"] > 0


def test_unreadable_file_is_one_line_and_exit_2(tmp_path):
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio")
    done = run(bad, "--json")
    assert 2 == done.returncode
    assert 1 == len(done.stderr.strip().splitlines())
    assert str(bad) in done.stderr and "not a readable audio file" in done.stderr


def test_mono_file_with_a_stereo_channel_choice_is_bad_input(tmp_path):
    import numpy as np
    import soundfile

    mono = tmp_path / "mono.wav"
    soundfile.write(mono, np.zeros(8000, np.float32), 8000)
    done = run(mono, "--channel", "left")
    assert 2 == done.returncode
    assert "--channel mono" in done.stderr
