"""Where the knee is: 10, 25, 50, 100 calls at once from this machine against SIPp.

Each level places as many calls as it has at once (all together), each with a `say` on
`human_reached` (SIPp plays speech after answering) and a hang-up 4 s after the answer. Printed
per level: calls stored, crashes (a dialer process that died without a result: a lost call), SIP
timing error against SIPp's own trace (the dialer's time to answer against SIPp's INVITE received
-> 200 OK sent, p50 / p95 / max), recording completeness (WAV length against the call's length),
CPU seconds per call (all dialer processes) and the largest dialer process's memory, with the
p95 timing error as a ratio to the first level's (the baseline measured in the same run).

    python benchmarks/bench_concurrency.py                      # 10 25 50 100
    python benchmarks/bench_concurrency.py --levels 10 25 --json out.json

Run it alone: CPU contention is measured as timing error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import shutil
import sys
import tempfile
import time
import wave
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.stress_dialer import dial_all, start_sipp  # noqa: E402
from mystery.dial import CallPlan, Step  # noqa: E402
from mystery.records import CallResult  # noqa: E402
from tests.dial.conftest import parse_sipp_trace  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def level(calls: int, work: Path) -> dict[str, object]:
    trace = work / "sipp" / "messages.log"
    sipp, port = start_sipp(work / "sipp", calls, trace)
    steps = (Step("say", "Hello, I would like to book a room for two nights.", on="human_reached", timeout_s=6),
             Step("hangup", on="answered", offset_s=4.0))
    plans = [CallPlan(uri=f"sip:knee@127.0.0.1:{port}", steps=steps, recordings_dir=str(work / "recordings"),
                      call_id=f"knee-{calls}-{n:04d}", max_seconds=60) for n in range(calls)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    try:
        results, crashes = asyncio.run(dial_all(plans, calls))
    finally:
        sipp.kill()
        sipp.wait()
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    messages = parse_sipp_trace(trace)
    invite: dict[str, float] = {}
    ok: dict[str, float] = {}    # the first 200 SIPp sent in a call answers the INVITE (a later one, the BYE)
    for m in messages:
        if m.method == "INVITE" and not m.sent:
            invite.setdefault(m.call_id, m.t)
        elif m.code == 200 and m.sent:
            ok.setdefault(m.call_id, m.t)
    errors, complete = [], []
    for result in results:
        if not isinstance(result, CallResult):
            continue
        key, tta = result.call_id, result.time_to_answer_s
        if tta is not None and key in invite and key in ok:
            errors.append(abs(tta - (ok[key] - invite[key])) * 1000)
        if result.recording and result.duration_s:
            with wave.open(result.recording) as w:
                complete.append(w.getnframes() / w.getframerate() / (result.duration_s - result.recording_offset_s))
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {"at_once": calls, "stored": len(results), "crashes": len(crashes),
            "timing_error_ms": {"p50": round(percentile(errors, 0.5), 1), "p95": round(percentile(errors, 0.95), 1),
                                "max": round(max(errors), 1) if errors else None},
            "recording_complete_min": round(min(complete), 3) if complete else None,
            "cpu_s_per_call": round(cpu / max(1, calls), 3), "max_dialer_rss_mb": round(after.ru_maxrss / 1024, 1),
            "seconds": round(seconds, 1), "crash_samples": crashes[:3]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--levels", type=int, nargs="+", default=[10, 25, 50, 100])
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    if not shutil.which("sipp"):
        sys.exit("sipp is not installed (Debian package sip-tester)")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-concurrency-") as folder:
        for calls in args.levels:
            rows.append(level(calls, Path(folder) / f"level{calls}"))
            print(json.dumps(rows[-1]), flush=True)
    base = float(rows[0]["timing_error_ms"]["p95"]) or 1.0   # type: ignore[index]
    for row in rows:
        row["p95_ratio_to_first_level"] = round(float(row["timing_error_ms"]["p95"]) / base, 2)   # type: ignore[index]
    print(json.dumps(rows, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
