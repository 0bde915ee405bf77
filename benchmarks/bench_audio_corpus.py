"""Today's audio analysis on issue 14's independent corpus: per call and in total, tuning and held-out halves.

Why: the simulator's figures (98 % labels) say nothing about lines whose audio nobody here produced.
This builds the corpus (tests/audio_corpus, real speech, music and noise from public sources, through a
telephone line), writes every call as a WAV file and runs `mystery analyse`'s own code on it
(`analyse_file`, no fingerprint library: a new user's first call), then prints per call and per half:
- label accuracy as `mystery/audio/evaluate.py` computes it (10 ms steps, no boundary tolerance),
  pooled over the half by duration;
- time-to-person error (reported - true first word), |error| p50/p95/max, share of calls that reach a
  person found within 0.5 s (a person not found counts as not within);
- false persons on calls with no person (a `time_to_human_s` or outcome `human`), outcomes right;
- CPU seconds of analysis per second of call;
- per confidence class of the time to a person (high / medium / low): calls, calls right (a person within
  0.5 s, or none reported when there is none), and which were wrong.

    python benchmarks/bench_audio_corpus.py [--half heldout] [--calls N] [--json out.json] [--keep DIR]

`--check-manifest` compares the held-out calls' checksums with tests/data/audio_corpus/heldout_manifest.json.
`--line-ablation` runs the tuning half again with parts of the telephone line left out (which step hurts).
`--lines` measures the client-line calls (4 lines x 4 calls per half, each line's recordings repeat across its
calls) alone and, as a campaign analyses them, two passes per line with a fingerprint library.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from audio_corpus.build import CALLS_PER_HALF, build_half, build_line_calls, manifest_entry, wav_bytes  # noqa: E402
from audio_corpus.line import LineTreatment  # noqa: E402

from mystery.audio.analyse import analyse_file  # noqa: E402
from mystery.audio.evaluate import evaluate  # noqa: E402
from mystery.audio.truth import TruthPhase  # noqa: E402
from mystery.records import Segment  # noqa: E402

MANIFEST = ROOT / "tests" / "data" / "audio_corpus" / "heldout_manifest.json"
LINES_MANIFEST = ROOT / "tests" / "data" / "audio_corpus" / "heldout_lines_manifest.json"
EXPECTED_OUTCOME = {"voicemail": "voicemail", "endless_queue": "abandoned_in_queue", "closed": "ivr_dead_end",
                    "ivr_dead_end": "ivr_dead_end"}


def score_call(call: Any, path: Path) -> dict[str, Any]:
    """Analyse one written call alone (no library) and compare it with its truth."""
    cpu = time.process_time()
    result = analyse_file(path, call.channel)
    used = time.process_time() - cpu
    return compare(call, [Segment(**s) for s in result["segments"]], result["measures"], used)


def compare(call: Any, segments: list[Segment], m: dict[str, Any], used: float) -> dict[str, Any]:
    """One call's row: its segments and measures against its truth."""
    truth = [TruthPhase(label, start, end) for label, start, end in call.truth]
    ev = evaluate(segments, truth)
    got = m["time_to_human_s"]
    error = None if call.human_start_s is None or got is None else round(got - call.human_start_s, 3)
    want = EXPECTED_OUTCOME.get(call.kind, "human")
    return {
        "name": call.name, "kind": call.kind, "channel": call.channel, "duration_s": round(call.duration_s, 2),
        "label_accuracy": round(ev.label_accuracy, 4), "true_tth_s": call.human_start_s, "tth_s": got,
        "tth_error_s": error, "within_0_5": error is not None and abs(error) <= 0.5,
        "false_person": call.human_start_s is None and (got is not None or m["outcome"] == "human"),
        "outcome": m["outcome"], "expected_outcome": want, "cpu_s": round(used, 3),
        "confidence": m.get("time_to_human_confidence"), "reasons": list(m.get("time_to_human_reasons", ())),
        "confusion_s": {f"{t} as {g or '-'}": s for (t, g), s in ev.confusion_s.items() if t != g},
    }


def score_lines(calls: list[Any], out: Path) -> list[dict[str, Any]]:
    """Calls to client lines analysed as a campaign is (mystery.pipeline.process.analyse_recordings): per
    line, pass 1 teaches a fingerprint library every call, pass 2 labels each call against the others."""
    from mystery.audio.fingerprint import FingerprintLibrary
    from mystery.audio.phases import measure_phases
    from mystery.audio.segment import remember, segment_call
    from mystery.audio.wav import read_channels

    rows = []
    for line in dict.fromkeys(c.details["client_line"] for c in calls):
        mine = [c for c in calls if c.details["client_line"] == line]
        library = FingerprintLibrary()
        audio = {}
        cpu = time.process_time()
        for call in mine:
            path = out / f"{call.name}.wav"
            path.write_bytes(wav_bytes(call))
            audio[call.name] = read_channels(path, call.channel)
            ch = audio[call.name]
            remember(library, call.name, segment_call(ch.callee, ch.caller, library, call.name))
        learn = (time.process_time() - cpu) / len(mine)
        for call in mine:
            ch = audio[call.name]
            cpu = time.process_time()
            analysis = segment_call(ch.callee, ch.caller, library, call.name)
            measures = measure_phases(analysis.segments, ch.duration_s, evidence=analysis.evidence)
            rows.append(compare(call, list(analysis.segments), dataclasses.asdict(measures),
                                learn + time.process_time() - cpu))
    return rows


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    total = sum(r["duration_s"] for r in rows) or 1.0
    with_person = [r for r in rows if r["true_tth_s"] is not None]
    no_person = [r for r in rows if r["true_tth_s"] is None]
    errors = np.array([abs(r["tth_error_s"]) for r in with_person if r["tth_error_s"] is not None])

    def q(p: float) -> float | None:
        return round(float(np.percentile(errors, p)), 2) if len(errors) else None

    confusion: dict[str, float] = {}
    for r in rows:
        for pair, seconds in r["confusion_s"].items():
            confusion[pair] = round(confusion.get(pair, 0.0) + seconds, 2)
    return {
        "calls": len(rows), "minutes": round(total / 60, 1),
        "label_accuracy": round(sum(r["label_accuracy"] * r["duration_s"] for r in rows) / total, 4),
        "calls_with_person": len(with_person),
        "persons_found": len(errors),
        "within_0_5_s": sum(r["within_0_5"] for r in with_person),
        "share_within_0_5_s": round(sum(r["within_0_5"] for r in with_person) / max(len(with_person), 1), 3),
        "tth_abs_error_p50_p95_max_s": [q(50), q(95), round(float(errors.max()), 2) if len(errors) else None],
        "calls_without_person": len(no_person),
        "false_persons": sum(r["false_person"] for r in no_person),
        "outcomes_right": sum(r["outcome"] == r["expected_outcome"] for r in rows),
        "cpu_s_per_call_s": round(sum(r["cpu_s"] for r in rows) / total, 4),
        "per_confidence": per_confidence(rows),
        "mislabelled_s": dict(sorted(((k, v) for k, v in confusion.items() if v >= 5), key=lambda kv: -kv[1])),
    }


def right(row: dict[str, Any]) -> bool:
    """A call's time to a person is right: within 0.5 s of the person, or null (and not `human`) without one."""
    return row["within_0_5"] if row["true_tth_s"] is not None else not row["false_person"]


def per_confidence(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per confidence class: calls, calls right (see `right`), share right, and the wrong calls' names."""
    out = {}
    for level in ("high", "medium", "low", None):
        mine = [r for r in rows if r["confidence"] == level]
        if mine:
            out[str(level)] = {"calls": len(mine), "right": sum(right(r) for r in mine),
                               "share_right": round(sum(right(r) for r in mine) / len(mine), 3),
                               "wrong": [r["name"] for r in mine if not right(r)]}
    return out


def check_manifest(calls: list[Any], manifest: Path = MANIFEST) -> list[str]:
    """Names of held-out calls whose rebuilt bytes or truth differ from the committed manifest."""
    committed = {e["name"]: e for e in json.loads(manifest.read_text())}
    bad = []
    for call in calls:
        entry, want = manifest_entry(call), committed.get(call.name)
        if want is None or entry["sha256"] != want["sha256"] or entry["truth"] != want["truth"]:
            bad.append(call.name)
    return bad


ABLATIONS: dict[str, Any] = {
    "no line (studio audio)": lambda line: None,
    "band only": lambda line: LineTreatment("none", False, None, 0.0, False),
    "band + G.711": lambda line: dataclasses.replace(line, agc=False, comfort_noise_db=None, frame_loss=0.0),
    "band + G.711 + AGC + comfort noise": lambda line: dataclasses.replace(line, frame_loss=0.0),
    "full line (with lost frames)": lambda line: line,
}


def run_half(half: str, calls: list[Any], out: Path, quiet: bool = False) -> list[dict[str, Any]]:
    rows = []
    for call in calls:
        path = out / f"{call.name}.wav"
        path.write_bytes(wav_bytes(call))
        row = score_call(call, path)
        rows.append(row)
        if quiet:
            continue
        err = "-" if row["tth_error_s"] is None else f"{row['tth_error_s']:+.2f}"
        print(f"{row['name']:34s} {row['channel']:5s} {row['duration_s']:6.1f}s acc {row['label_accuracy']:.3f} "
              f"tth {row['tth_s']} true {row['true_tth_s']} err {err} outcome {row['outcome']}"
              f"{'' if row['outcome'] == row['expected_outcome'] else ' (want ' + row['expected_outcome'] + ')'}"
              f"{' FALSE PERSON' if row['false_person'] else ''} confidence {row['confidence']}", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half", choices=["tuning", "heldout", "both"], default="both")
    parser.add_argument("--calls", type=int, default=CALLS_PER_HALF)
    parser.add_argument("--json", dest="json_out", type=Path)
    parser.add_argument("--keep", type=Path, help="write the WAV files here (default: a temporary folder)")
    parser.add_argument("--check-manifest", action="store_true")
    parser.add_argument("--line-ablation", action="store_true")
    parser.add_argument("--lines", action="store_true")
    args = parser.parse_args()
    halves = ["tuning", "heldout"] if args.half == "both" else [args.half]
    if args.line_ablation:
        halves = []
        with tempfile.TemporaryDirectory() as tmp:
            for name, override in ABLATIONS.items():
                total = summarise(run_half("tuning", build_half("tuning", range(args.calls), override), Path(tmp), True))
                print(f"{name:38s} labels {total['label_accuracy']:.3f}  within 0.5 s {total['within_0_5_s']}/"
                      f"{total['calls_with_person']}  found {total['persons_found']}  false persons "
                      f"{total['false_persons']}/{total['calls_without_person']}  outcomes {total['outcomes_right']}/"
                      f"{total['calls']}", flush=True)
    report: dict[str, Any] = {}
    if args.lines:
        with tempfile.TemporaryDirectory() as tmp:
            for half in ["tuning", "heldout"] if args.half == "both" else [args.half]:
                calls = build_line_calls(half)
                if half == "heldout" and args.check_manifest:
                    bad = check_manifest(calls, LINES_MANIFEST)
                    print(f"held-out lines manifest: {len(calls) - len(bad)} of {len(calls)} calls match", bad or "")
                alone = run_half(half, calls, Path(tmp))
                print(f"{half} lines, each call alone:", json.dumps(summarise(alone)), flush=True)
                rows = score_lines(calls, Path(tmp))
                for row in rows:
                    err = "-" if row["tth_error_s"] is None else f"{row['tth_error_s']:+.2f}"
                    print(f"  with library {row['name']:36s} acc {row['label_accuracy']:.3f} err {err} "
                          f"outcome {row['outcome']}{' FALSE PERSON' if row['false_person'] else ''}")
                report[f"{half}_lines"] = {"alone": summarise(alone), "total": summarise(rows), "calls": rows}
                print(f"{half} lines, two passes with a library:", json.dumps(report[f"{half}_lines"]["total"]),
                      flush=True)
        halves = []
    with tempfile.TemporaryDirectory() as tmp:
        out = args.keep or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        for half in halves:
            calls = build_half(half, range(args.calls))
            if half == "heldout" and args.check_manifest:
                bad = check_manifest(calls)
                print(f"held-out manifest: {len(calls) - len(bad)} of {len(calls)} calls match", bad or "")
            rows = run_half(half, calls, out)
            report[half] = {"total": summarise(rows), "calls": rows}
            print(half, json.dumps(report[half]["total"], indent=1), flush=True)
    if args.json_out:
        args.json_out.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
