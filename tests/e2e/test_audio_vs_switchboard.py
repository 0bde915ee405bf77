"""Audio analysis of real recordings of real SIP calls, against the simulator's ground truth.

32 calls to a simulated hotel (agents whose words and voices vary, IVR, hold music with
announcements of varied length, voicemail, an IVR dead end) are dialled over loopback; the
recordings are analysed exactly as a campaign does it (two passes per line, fingerprints
shared across calls) and scored against what the switchboard really played.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import numpy as np
import pytest

from mystery.audio.evaluate import evaluate
from mystery.pipeline.process import analyse_recordings
from mystery.pipeline.runner import run_calls
from mystery.records import CallResult
from mystery.scenario.plan import CallPlan, parse_step
from switchboard.harness import running_switchboard

from .switchboard_truth import true_time_to_human, truth_phases

# timing: run alone (`make test` runs these first, serially): on a starved 2-core machine the simulator's
# and the dialer's audio clocks drop frames (a set dialled at load 6 lost 3 % of its audio to silence).
pytestmark = [pytest.mark.sip, pytest.mark.slow, pytest.mark.timing, pytest.mark.xdist_group("switchboard_audio")]

CONFIG = Path(__file__).parent / "data" / "hotel_eval.yaml"


def steps(*raw: dict) -> tuple:
    return tuple(parse_step(s, "test") for s in raw)


TALK = steps({"action": "say", "value": "Hello, I would like to book a room for two nights.",
              "on": "human_reached", "offset_s": 0.3, "timeout_s": 45},
             {"action": "hangup", "on": "prompt_ended", "offset_s": 1.0, "timeout_s": 10})
IVR_TALK = steps({"action": "dtmf", "value": "1", "on": "prompt_ended", "offset_s": 0.3, "min_silence_ms": 900,
                  "timeout_s": 12}) + TALK
IVR_DEAD_END = steps({"action": "dtmf", "value": "2", "on": "prompt_ended", "offset_s": 0.3,
                      "min_silence_ms": 900, "timeout_s": 12})
VOICEMAIL = steps({"action": "hangup", "on": "answered", "offset_s": 14.0})
MIX = {"direct": (8, TALK), "hold": (12, TALK), "ivr": (8, IVR_TALK), "ivr-deadend": (2, IVR_DEAD_END),
       "voicemail": (2, VOICEMAIL)}


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[CallResult, dict]]:
    workdir = tmp_path_factory.mktemp("switchboard")
    recordings = tmp_path_factory.mktemp("recordings")
    with running_switchboard(CONFIG, workers=3, workdir=workdir) as switchboard:
        plans = [CallPlan(uri=switchboard.uri(name.split("-")[0]), steps=call_steps, max_seconds=70.0,
                          recordings_dir=str(recordings), line=name.split("-")[0], call_id=f"eval-{name}-{i}",
                          recording_name=f"eval-{name}-{i}.wav")
                 for name, (count, call_steps) in MIX.items() for i in range(count)]
        crashed: list = []  # the product retries a dialer that died once; a second death loses the call
        results = asyncio.run(run_calls(plans, 8, lambda _: None, crashed=crashed))
    assert [] == [(c.plan.call_id, c.error) for c in crashed]
    truth = {r["call_id"]: r for r in switchboard.records()}
    calls = analyse_recordings(results, tmp_path_factory.mktemp("fingerprints"))
    return [(c, truth[c.call_id]) for c in calls]


def test_audio_analysis_matches_ground_truth(analysed) -> None:  # type: ignore[no-untyped-def]
    total, right, tth_errors, false_humans = 0.0, 0.0, [], []
    per_call = []
    for call, record in analysed:
        phases = truth_phases(call, record)
        evaluation = evaluate(call.segments, phases)
        duration = sum(p.end_s - p.start_s for p in phases)
        total += duration
        right += evaluation.label_accuracy * duration
        true_tth = true_time_to_human(call, record)
        if true_tth is not None and call.time_to_human_s is not None:
            tth_errors.append(call.time_to_human_s - true_tth)
        if true_tth is None and call.time_to_human_s is not None:
            false_humans.append(call.call_id)
        if evaluation.false_human_s > 1.0:
            false_humans.append(call.call_id)
        per_call.append({"call": call.call_id, "accuracy": round(evaluation.label_accuracy, 3),
                         "tth": call.time_to_human_s, "true_tth": None if true_tth is None else round(true_tth, 2)})
    errors = np.abs(np.array(tth_errors))
    stats = {"calls": len(analysed), "label_accuracy": round(right / total, 4),
             "tth_with_human": len(tth_errors),
             "tth_abs_error_p50_s": round(float(np.percentile(errors, 50)), 3) if len(errors) else None,
             "tth_abs_error_p95_s": round(float(np.percentile(errors, 95)), 3) if len(errors) else None,
             "tth_abs_error_max_s": round(float(errors.max()), 3) if len(errors) else None,
             "tth_error_median_s": round(float(np.median(tth_errors)), 3) if len(errors) else None,
             "false_human_calls": sorted(set(false_humans))}
    print("audio analysis vs ground truth:", json.dumps(stats))
    if os.environ.get("MYSTERY_AUDIO_REPORT"):
        Path(os.environ["MYSTERY_AUDIO_REPORT"]).write_text(json.dumps({"summary": stats, "calls": per_call}, indent=2))
    humans = [c for c, r in analysed if true_time_to_human(c, r) is not None]
    # Issue 4's acceptance, asserted on every run: no false human, time to human p95 <= 0.5 s,
    # >= 95 % of the truth's duration labelled right, and a person found on every call that reached one.
    assert [] == stats["false_human_calls"]
    assert stats["tth_abs_error_p95_s"] <= 0.5
    assert stats["label_accuracy"] >= 0.95
    assert len(tth_errors) == len(humans), "every call that reached a person must get a time to human"


def test_voicemail_and_ivr_dead_end_get_their_outcomes(analysed) -> None:  # type: ignore[no-untyped-def]
    outcomes = {c.call_id: c.outcome for c, _ in analysed}
    assert {"voicemail"} == {o for k, o in outcomes.items() if k.startswith("eval-voicemail")}
    assert {"ivr_dead_end"} == {o for k, o in outcomes.items() if k.startswith("eval-ivr-deadend")}
