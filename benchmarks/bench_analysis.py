"""Audio analysis: cost per minute of call (a ratio to the call's length) and accuracy on synthetic calls.

Builds N synthetic calls (Asterisk prompts, hold music with announcements, espeak-ng agents that
change voice and words on every call, voicemail, IVR dead ends, noise; G.711 round trip), analyses
them in dialling order with one fingerprint library per line (the library grows call by call, so the
first call to each line is analysed with an empty library), and prints:
- cost: analysis seconds / call seconds (p50, max), and seconds of CPU per minute of call;
- accuracy: label-duration accuracy, |time_to_human error| p50/p95/max, false-human calls,
  voicemail / dead-end outcomes;
- per confidence class of the time to a person: calls, and calls right (within 0.5 s, or no person
  reported when there is none).
Run: .venv/bin/python benchmarks/bench_analysis.py [--calls 36] [--seed 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict

import numpy as np

from mystery.audio.evaluate import evaluate, summarize
from mystery.audio.fingerprint import FingerprintLibrary
from mystery.audio.phases import measure_phases
from mystery.audio.segment import remember, segment_call
from mystery.audio.synthetic import synthesize_campaign


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=36)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--json", dest="json_out")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    libraries: dict[str, FingerprintLibrary] = {}
    results, ratios, outcomes = [], [], []
    graded: dict[str, list[bool]] = {}   # confidence class -> per call: time to a person right (0.5 s)
    call_s = cpu_s = 0.0
    for call in synthesize_campaign(args.calls, args.seed):
        library = libraries.setdefault(call.line, FingerprintLibrary())
        started, cpu = time.perf_counter(), time.process_time()
        analysis = segment_call(call.callee, call.caller, library, call.name)
        measures = measure_phases(analysis.segments, call.duration_s, call.invite_offset_s,
                                  evidence=analysis.evidence)
        remember(library, call.name, analysis)
        elapsed, used = time.perf_counter() - started, time.process_time() - cpu
        ratios.append(elapsed / call.duration_s)
        call_s += call.duration_s
        cpu_s += used
        ev = evaluate(analysis.segments, call.truth)
        results.append((call.name, ev, call.truth[-1].end_s))
        tth = None if call.time_to_human_s is None or measures.time_to_human_s is None \
            else measures.time_to_human_s - call.time_to_human_s
        outcomes.append((call.name, call.outcome, measures.outcome))
        ok = abs(tth) <= 0.5 if tth is not None else (
            call.time_to_human_s is None and measures.time_to_human_s is None and measures.outcome != "human")
        graded.setdefault(str(measures.time_to_human_confidence), []).append(bool(ok))
        print(f"{call.name:40s} {call.duration_s:6.1f}s acc={ev.label_accuracy:.3f} "
              f"tth_err={'-' if tth is None else f'{tth:+.2f}'} outcome={measures.outcome}/{call.outcome} "
              f"false_human={ev.false_human_s:.1f}s cost={elapsed / call.duration_s:.4f}x")
        if args.verbose and (ev.label_accuracy < 0.9 or ev.false_human or (tth is not None and abs(tth) > 0.5)):
            print("   truth", [(p.label, round(p.start_s, 1), round(p.end_s, 1)) for p in call.truth])
            print("   got  ", [(s.label, s.start_s, s.end_s) for s in analysis.segments])
    summary = summarize(results)
    wrong_outcomes = [(n, want, got) for n, want, got in outcomes if want != got]
    report = {
        "calls": len(results),
        "call_minutes": round(call_s / 60, 1),
        "cost_ratio_p50": round(float(np.median(ratios)), 4),
        "cost_ratio_max": round(float(np.max(ratios)), 4),
        "cpu_s_per_call_minute": round(cpu_s / (call_s / 60), 2),
        **{k: v for k, v in asdict(summary).items() if k != "calls"},
        "wrong_outcomes": wrong_outcomes,
        "per_confidence": {level: {"calls": len(ok), "right": sum(ok)} for level, ok in sorted(graded.items())},
    }
    print(json.dumps(report, indent=1))
    if args.json_out:
        with open(args.json_out, "w") as out:
            json.dump(report, out, indent=1)


if __name__ == "__main__":
    main()
