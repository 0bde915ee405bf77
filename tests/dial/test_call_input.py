"""Bad input to `mystery call`: one clear line, exit 2, nothing written."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.dial.conftest import dialer_env


def assert_refused(run, tmp_path: Path, *needles: str) -> None:
    assert 2 == run.returncode
    lines = run.stderr.strip().splitlines()
    assert 1 == len(lines), run.stderr
    for needle in needles:
        assert needle in lines[0]
    assert "" == run.stdout
    assert not (tmp_path / "recordings").exists()


@pytest.mark.parametrize("uri", ["hotel@127.0.0.1", "sip:", "sip:hotel@", "sip:hotel@127.0.0.1:99999",
                                 "http://example.com", "sip:ho tel@127.0.0.1"])
def test_malformed_uri_is_refused(mystery_call, tmp_path, uri):
    run = mystery_call(uri)
    assert_refused(run, tmp_path, "SIP_URI")


def test_missing_wav_is_refused_naming_the_file(mystery_call, tmp_path):
    run = mystery_call("sip:hotel@127.0.0.1:5999", "--say", "nowhere/greeting.wav@1")
    assert_refused(run, tmp_path, "--say", "nowhere/greeting.wav", "no such file")


def test_file_that_is_not_a_wav_is_refused(mystery_call, tmp_path):
    fake = tmp_path / "fake.wav"
    fake.write_text("not audio")
    run = mystery_call("sip:hotel@127.0.0.1:5999", "--say", f"{fake}@1")
    assert_refused(run, tmp_path, "--say", "not a PCM WAV")


@pytest.mark.parametrize("spec", ["12x@1", "1@soon", "1@-2", "1@prompt_ended:abc"])
def test_bad_dtmf_step_is_refused(mystery_call, tmp_path, spec):
    run = mystery_call("sip:hotel@127.0.0.1:5999", "--dtmf", spec)
    assert_refused(run, tmp_path, "--dtmf")


@pytest.mark.parametrize("value", ["0", "inf", "nan", "86401"])
def test_a_max_seconds_that_is_not_a_finite_day_at_most_is_refused(mystery_call, tmp_path, value):
    run = mystery_call("sip:hotel@127.0.0.1:5999", "--max-seconds", value)
    assert_refused(run, tmp_path, "--max-seconds", "must be > 0 and <= 86400")


def test_a_plan_with_an_endless_call_is_refused_by_the_worker():
    from mystery.scenario.plan import parse_plan
    from mystery_core.errors import InputError

    with pytest.raises(InputError) as refused:
        parse_plan({"uri": "sip:hotel@127.0.0.1:5999", "max_seconds": float("inf")})
    assert "plan: max_seconds: expected a number of seconds, got inf" == str(refused.value)


@pytest.mark.sip
def test_sip_port_in_use_is_refused(mystery_call, tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as busy:
        busy.bind(("127.0.0.1", 0))
        port = busy.getsockname()[1]
        run = mystery_call("sip:hotel@127.0.0.1:5999", sip_port=str(port))
    assert_refused(run, tmp_path, "sip.port", str(port), "in use")


def test_worker_refuses_invalid_json_plan(tmp_path):
    done = subprocess.run([sys.executable, "-m", "mystery.dial.worker"], input="{not json", text=True,
                          capture_output=True, env=dialer_env(tmp_path), cwd=tmp_path, timeout=60)
    assert 2 == done.returncode
    assert "stdin:1: invalid JSON" in done.stderr


def test_worker_refuses_unknown_step_trigger(tmp_path):
    plan = {"uri": "sip:hotel@127.0.0.1:5999", "steps": [{"action": "dtmf", "value": "1", "on": "whenever"}]}
    done = subprocess.run([sys.executable, "-m", "mystery.dial.worker"], input=json.dumps(plan), text=True,
                          capture_output=True, env=dialer_env(tmp_path), cwd=tmp_path, timeout=60)
    assert 2 == done.returncode
    assert "steps[0]: on: expected one of answered" in done.stderr


@pytest.mark.sip
def test_unknown_espeak_voice_is_refused(mystery_call, tmp_path):
    run = mystery_call("sip:hotel@127.0.0.1:5999", "--say", "hello@1", "--voice", "xx-nonexistent")
    assert_refused(run, tmp_path, "voice", "xx-nonexistent")
