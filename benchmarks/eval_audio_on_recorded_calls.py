"""Score the audio analysis on calls saved by collect_switchboard_calls.py (no dialling).

    python benchmarks/eval_audio_on_recorded_calls.py DIR [--verbose]

Prints label accuracy (share of the truth's duration), time-to-human error p50/p95/max,
false-human calls, the seconds mislabelled per (truth, reported) pair, and outcomes, the same numbers tests/e2e/test_audio_vs_switchboard.py checks.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from e2e.switchboard_truth import true_time_to_human, truth_phases  # noqa: E402

from mystery.audio.evaluate import evaluate  # noqa: E402
from mystery.pipeline.process import analyse_recordings  # noqa: E402
from mystery.records import CallResult  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    lines = (args.dir / "results.jsonl").read_text().splitlines()
    results = [CallResult.from_json(json.loads(line)) for line in lines]
    records = map(json.loads, (args.dir / "truth.jsonl").read_text().splitlines())
    truth = {r["call_id"]: r for r in records if r.get("kind") == "call"}
    started = time.process_time()
    with tempfile.TemporaryDirectory() as fingerprints:
        calls = analyse_recordings(results, Path(fingerprints))
    cpu_s = time.process_time() - started
    total = right = 0.0
    errors, false_humans = [], []
    confusion: dict[tuple[str, str], float] = {}
    for call in calls:
        record = truth.get(call.call_id)
        if record is None:
            continue
        phases = truth_phases(call, record)
        ev = evaluate(call.segments, phases)
        duration = sum(p.end_s - p.start_s for p in phases)
        total += duration
        right += ev.label_accuracy * duration
        for pair, seconds in ev.confusion_s.items():
            confusion[pair] = confusion.get(pair, 0.0) + seconds
        true_tth = true_time_to_human(call, record)
        if true_tth is not None and call.time_to_human_s is not None:
            errors.append(call.time_to_human_s - true_tth)
        if (true_tth is None and call.time_to_human_s is not None) or ev.false_human_s > 1.0:
            false_humans.append(call.call_id)
        if args.verbose:
            print(f"{call.call_id:22s} {call.outcome:18s} acc {ev.label_accuracy:5.2f} tth {call.time_to_human_s} "
                  f"true {None if true_tth is None else round(true_tth, 2)}")
    e = np.abs(np.array(errors))
    audio_s = sum((c.duration_s or 0.0) for c in results)
    print(json.dumps({
        "calls": len(calls), "with_truth": sum(1 for c in calls if c.call_id in truth),
        "label_accuracy": round(right / max(total, 1e-9), 4), "tth_n": len(errors),
        "tth_abs_error_p50_s": round(float(np.percentile(e, 50)), 3) if len(e) else None,
        "tth_abs_error_p95_s": round(float(np.percentile(e, 95)), 3) if len(e) else None,
        "tth_abs_error_max_s": round(float(e.max()), 3) if len(e) else None,
        "false_human_calls": false_humans,
        "mislabelled_seconds": {f"{t or '-'} as {g or '-'}": round(sec, 1) for (t, g), sec in
                                sorted(confusion.items(), key=lambda kv: -kv[1]) if t != g and sec >= 0.5},
        "analysis_cpu_per_call_second": round(cpu_s / max(audio_s, 1e-9), 4),
    }, indent=2))


if __name__ == "__main__":
    main()
