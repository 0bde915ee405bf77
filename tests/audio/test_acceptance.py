"""Issue 4 acceptance on 36 synthetic calls (three lines, varied holds, agents that change every call).

The fingerprint library of each line grows call by call, as in a campaign; the first call to each
line is analysed with an empty library.
"""

from __future__ import annotations

import pytest

from mystery.audio.evaluate import evaluate, summarize
from mystery.audio.fingerprint import FingerprintLibrary
from mystery.audio.phases import measure_phases
from mystery.audio.segment import remember, segment_call

from .conftest import needs_tools

pytestmark = [needs_tools, pytest.mark.slow]


@pytest.fixture(scope="module")
def analysed(campaign):
    libraries: dict[str, FingerprintLibrary] = {}
    out = []
    for call in campaign:
        library = libraries.setdefault(call.line, FingerprintLibrary())
        analysis = segment_call(call.callee, call.caller, library, call.name)
        remember(library, call.name, analysis)
        measures = measure_phases(analysis.segments, call.duration_s, call.invite_offset_s)
        out.append((call, analysis, measures, evaluate(analysis.segments, call.truth)))
    return out


def test_at_least_thirty_calls_with_varied_holds(analysed):
    holds = sorted(call.notes["hold_s"] for call, *_ in analysed if "queue" in call.kind)
    assert len(analysed) >= 30 and holds[-1] - holds[0] > 40


def test_labels_right_for_95_percent_of_the_duration(analysed):
    summary = summarize([(call.name, ev, call.truth[-1].end_s) for call, _, _, ev in analysed])
    assert summary.label_accuracy >= 0.95, summary


def test_time_to_human_error_p95_within_half_a_second(analysed):
    summary = summarize([(call.name, ev, call.truth[-1].end_s) for call, _, _, ev in analysed])
    assert 0 == summary.humans_missed, summary
    assert summary.tth_abs_error_p95_s <= 0.5, summary


def test_no_call_reports_music_noise_or_a_recording_as_a_live_human(analysed):
    false = [(call.name, ev.false_human_s, ev.false_human_over) for call, _, _, ev in analysed if ev.false_human]
    assert [] == false


def test_voicemail_and_dead_end_calls_get_those_outcomes(analysed):
    pairs = [(call.outcome, m.outcome) for call, _, m, _ in analysed if call.outcome in ("voicemail", "ivr_dead_end")]
    assert {"voicemail", "ivr_dead_end"} <= {want for want, _ in pairs}
    assert all(want == got for want, got in pairs), pairs
