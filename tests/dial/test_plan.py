"""Call plans and the command-line step syntax (pure)."""

from __future__ import annotations

import pytest

from mystery.scenario.plan import CallPlan, Step, check_uri, parse_cli_step, parse_plan, say_is_file
from mystery_core.errors import InputError


@pytest.mark.parametrize("uri", ["sip:hotel@127.0.0.1:5070", "sip:+33140000000@trunk.example.net",
                                 "sips:desk@example.com;transport=tls", "sip:127.0.0.1", "sip:a@[::1]:5060"])
def test_valid_sip_uris_pass(uri):
    assert uri == check_uri(uri)


@pytest.mark.parametrize("uri", ["hotel@example.com", "sip:", "sip:a@", "tel:+3314000", "sip:a@b c", "sip:a@h:0"])
def test_malformed_uris_name_the_argument(uri):
    with pytest.raises(InputError, match="^SIP_URI: "):
        check_uri(uri)


def test_seconds_count_from_the_answer():
    assert Step(action="dtmf", value="12#", on="answered", offset_s=2.5) == parse_cli_step("dtmf", "12#@2.5", "--dtmf")


def test_event_with_parameter_and_offset():
    step = parse_cli_step("say", "hello there@prompt_ended:800+0.3", "--say")
    assert ("say", "hello there", "prompt_ended", 800, 0.3) == (
        step.action, step.value, step.on, step.min_silence_ms, step.offset_s)
    assert step.sequential


def test_silence_and_timeout_parameters_are_seconds():
    assert 4.0 == parse_cli_step("dtmf", "1@silence:4", "--dtmf").silence_s
    assert 10.0 == parse_cli_step("dtmf", "1@timeout:10", "--dtmf").after_s


def test_text_with_at_sign_keeps_everything_before_the_last_at():
    assert "mail me at a@b.com" == parse_cli_step("say", "mail me at a@b.com@1", "--say").value


@pytest.mark.parametrize("spec,problem", [("1x@1", "DTMF digits"), ("1@later", "expected one of answered"), ("1@", "VALUE@SECONDS"),
                                          ("1@human_reached:3", "takes no parameter")])
def test_bad_cli_steps_are_refused(spec, problem):
    with pytest.raises(InputError, match=problem):
        parse_cli_step("dtmf", spec, "--dtmf")


def test_plan_round_trips_through_json():
    plan = parse_plan({"uri": "sip:hotel@127.0.0.1:5070", "steps": [{"action": "hangup", "on": "timeout",
                                                                     "after_s": 3}],
                       "account": {"username": "u", "password": "p", "codecs": ["PCMU"]}})
    assert plan == parse_plan(plan.to_json())
    assert ("PCMU",) == plan.account.codecs


def test_password_is_not_in_the_plan_repr():
    plan = CallPlan(uri="sip:a@b", account=parse_plan({"uri": "sip:a@b", "account": {"password": "hunter2"}}).account)
    assert "hunter2" not in repr(plan)


def test_plan_errors_name_the_step_and_field():
    with pytest.raises(InputError) as error:
        parse_plan({"uri": "sip:a@b", "steps": [{"action": "dtmf", "value": "1"}, {"action": "shout"}]}, "plan.json")
    assert "plan.json: steps[1]: action: expected one of dtmf, say, hangup, got 'shout'" == str(error.value)


def test_unknown_plan_field_is_refused():
    with pytest.raises(InputError, match="ring_timout"):
        parse_plan({"uri": "sip:a@b", "ring_timout": 3})


def test_say_value_is_a_file_when_it_ends_in_wav(tmp_path):
    assert say_is_file("greeting.WAV")
    assert not say_is_file("Hello, do you have a room?")


def test_orchestrator_side_of_the_dialer_does_not_load_pjsua2():
    import subprocess
    import sys

    code = ("import sys, mystery.dial, console.commands.call, mystery.dial.steps, mystery.dial.outcome; "
            "print('pjsua2' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "False" == done.stdout.strip()
