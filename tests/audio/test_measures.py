"""Measures and evaluation on hand-made segments (pure functions)."""

from __future__ import annotations

import pytest

from mystery.audio.evaluate import evaluate, summarize
from mystery.audio.phases import measure_phases
from mystery.audio.truth import TruthPhase
from mystery.records import Segment


def seg(label, a, b):
    return Segment(a, b, label, 0.9)


CALL = [seg("ringback", 0, 4), seg("ivr_prompt", 4, 20), seg("announcement", 20, 23), seg("hold_music", 23, 60),
        seg("announcement", 60, 66), seg("hold_music", 66, 80), seg("live_human", 80, 120)]


def test_phases_of_an_ivr_queue_human_call():
    m = measure_phases(CALL, 120.0, recording_offset_s=0.3)
    assert (16.0, 60.0, 80.3, 40.0, "human") == (m.ivr_s, m.hold_s, m.time_to_human_s, m.talk_s, m.outcome)


@pytest.mark.parametrize(("segments", "outcome"), [
    ([seg("ringback", 0, 10), seg("voicemail_greeting", 10, 16), seg("silence", 16, 30)], "voicemail"),
    ([seg("ringback", 0, 5), seg("ivr_prompt", 5, 30), seg("silence", 30, 31)], "ivr_dead_end"),
    ([seg("ivr_prompt", 0, 10), seg("hold_music", 10, 90)], "abandoned_in_queue"),
    ([seg("ringback", 0, 30)], "no_answer"),
])
def test_outcome_from_audio(segments, outcome):
    assert outcome == measure_phases(segments, segments[-1].end_s).outcome


def test_evaluation_counts_duration_and_time_to_human():
    truth = [TruthPhase("hold_music", 0, 10), TruthPhase("live_human", 10, 20)]
    got = [seg("hold_music", 0, 9), seg("live_human", 9, 20)]
    ev = evaluate(got, truth)
    assert 0.95 == pytest.approx(ev.label_accuracy, abs=1e-3)
    assert -1.0 == pytest.approx(ev.tth_error_s)
    assert ev.false_human and ("hold_music",) == ev.false_human_over
    summary = summarize([("a", ev, 20.0)])
    assert 1 == summary.false_human_calls and 1.0 == summary.tth_abs_error_max_s
