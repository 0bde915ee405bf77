"""Dial the evaluation hotel (tests/e2e/data/hotel_eval.yaml) and keep everything for study.

    python benchmarks/collect_switchboard_calls.py OUT_DIR [--calls-scale 1]

Writes OUT_DIR/results.jsonl (the dialer's CallResults), OUT_DIR/truth.jsonl (the simulator's
ground truth) and the recordings, so the audio analysis can be tuned and measured on real
recordings of real SIP calls without dialling again (tests/e2e/test_audio_vs_switchboard.py
runs the same mix in CI).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from e2e.test_audio_vs_switchboard import CONFIG, MIX  # noqa: E402

from mystery.pipeline.runner import run_calls  # noqa: E402
from mystery.scenario.plan import CallPlan  # noqa: E402
from switchboard.harness import running_switchboard  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--calls-scale", type=int, default=1, help="multiply every group's count")
    args = parser.parse_args()
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    with running_switchboard(CONFIG, workers=3, workdir=out / "switchboard") as switchboard:
        plans = [CallPlan(uri=switchboard.uri(name.split("-")[0]), steps=steps, max_seconds=70.0,
                          recordings_dir=str(out / "recordings"), line=name.split("-")[0],
                          call_id=f"eval-{name}-{i}", recording_name=f"eval-{name}-{i}.wav")
                 for name, (count, steps) in MIX.items() for i in range(count * args.calls_scale)]
        results = asyncio.run(run_calls(plans, 8, lambda r: print(r.call_id, r.outcome, flush=True)))
    with open(out / "results.jsonl", "w") as f:
        for r in results:
            f.write(json.dumps(r.to_json()) + "\n")
    with open(out / "truth.jsonl", "w") as f:
        for record in switchboard.records():
            f.write(json.dumps(record) + "\n")
    print(f"{len(results)} calls in {out}")


if __name__ == "__main__":
    main()
