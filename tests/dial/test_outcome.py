"""Outcome classification and SIP timings (pure)."""

from __future__ import annotations

import pytest

from mystery.dial.outcome import CallFacts, judge


def test_answered_call_timings():
    v = judge(CallFacts(first_response_s=0.001, first_provisional_s=0.3, answered_s=1.8, ended_s=10.0))
    assert ("answered", 200, "caller", "plan") == (v.outcome, v.sip_status, v.hangup_by, v.end_reason)
    assert (0.3, 1.5, 1.8, 8.2) == (v.pdd_s, v.ring_s, v.time_to_answer_s, v.talk_s)


@pytest.mark.parametrize("code,outcome", [(486, "busy"), (600, "busy"), (603, "rejected"), (404, "rejected"),
                                          (403, "rejected"), (480, "no_answer"), (503, "failed"), (500, "failed")])
def test_final_responses(code, outcome):
    v = judge(CallFacts(first_response_s=0.01, final_status=code, final_reason="x", ended_s=0.2))
    assert (outcome, code) == (v.outcome, v.sip_status)
    assert v.time_to_answer_s is None


def test_ring_timeout_after_ringing_is_no_answer():
    v = judge(CallFacts(first_response_s=0.0, first_provisional_s=0.2, final_status=487, local_end="ring_timeout",
                        ended_s=30.0))
    assert ("no_answer", "timeout", 0.2) == (v.outcome, v.hangup_by, v.pdd_s)


def test_silence_from_the_far_end_is_a_failure_not_a_no_answer():
    v = judge(CallFacts(final_status=487, local_end="no_response", ended_s=8.0))
    assert ("failed", None) == (v.outcome, v.sip_status)


def test_remote_bye_with_steps_left_is_dropped():
    facts = CallFacts(first_response_s=0.0, answered_s=1.0, ended_s=5.0, remote_bye=True, steps_pending=True)
    assert ("dropped", "callee") == (judge(facts).outcome, judge(facts).hangup_by)
    facts.steps_pending = False
    assert "answered" == judge(facts).outcome


def test_rtp_timeout_is_dropped():
    v = judge(CallFacts(first_response_s=0.0, answered_s=1.0, ended_s=25.0, local_end="rtp_timeout"))
    assert ("dropped", "timeout") == (v.outcome, v.hangup_by)


def test_local_error_is_failed_with_its_reason():
    v = judge(CallFacts(error="Unable to resolve host", ended_s=0.0))
    assert ("failed", None, "Unable to resolve host") == (v.outcome, v.sip_status, v.sip_reason)
