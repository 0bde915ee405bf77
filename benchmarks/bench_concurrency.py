"""Where the knee is: 10, 25, 50, 100 calls at once from this machine against SIPp.

Each level places as many calls as it has at once (all together), each with a `say` on
`human_reached` (SIPp plays speech after answering) and a hang-up 4 s after the answer. Printed
per level: calls stored, crashes (a dialer process that died without a result: a lost call), SIP
timing error against SIPp's own trace (the dialer's time to answer against SIPp's INVITE received
-> 200 OK sent, p50 / p95 / max), recording completeness (WAV length against the call's length, and
whether each WAV covers the call's audio: from the far end's first provisional or answer, the earliest
its audio can come, to the end of the call, with the smallest margins at both ends; a WAV begins 20 ms
before the bridge's first tick, `extra.recording_first_frame_t_s`),
CPU seconds per call (all dialer processes) and the largest dialer process's memory, with the
p95 timing error as a ratio to the first level's (the baseline measured in the same run).
Dialer and SIPp stamp the same wall clock, so the error splits into its two sides: how late SIPp read
the INVITE after the dialer stamped it (`sipp_invite_late_ms`: the reference's own lateness) and how
late the dialer read the 200 OK after SIPp stamped it (`dialer_200_late_ms`).

`--calls-per-process 1 4` runs every level once per mode (1: a dialer process per call; 4: up to 4
calls in one process, mystery.dial.runner.Packer), and `--pool cold warm` once started as the calls are
dialled and once with the dialer processes started warm beforehand (imports done, `Packer.warm_up`),
side by side in the same run; `p95_ratio_to_first_mode` compares each with the first mode's same level.

    python benchmarks/bench_concurrency.py                      # 10 25 50 100, one cold call per process
    python benchmarks/bench_concurrency.py --levels 10 25 --calls-per-process 1 4 --pool cold warm --json out.json

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
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.stress_dialer import start_sipp  # noqa: E402
from mystery.dial import CallPlan, Step  # noqa: E402
from mystery.dial.runner import DialerCrashed, Packer  # noqa: E402
from mystery.records import CallResult  # noqa: E402
from tests.dial.conftest import parse_sipp_trace  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def dial_all(plans: list[CallPlan], per_process: int, warm: bool) -> tuple[list[object], list[str]]:
    """Every plan dialled once, all at once, `per_process` calls per dialer process; with `warm`, the
    processes are started and ready before the first call."""
    packer = Packer(per_process, linger_s=0.2)
    if warm:
        await packer.warm_up(-(-len(plans) // per_process))
    results: list[object] = []
    crashes: list[str] = []

    async def one(plan: CallPlan) -> None:
        try:
            results.append(await packer.dial(plan))
        except DialerCrashed as error:
            crashes.append(f"{plan.call_id}: {str(error)[-1500:]}")

    await asyncio.gather(*(one(plan) for plan in plans))
    await packer.close()
    return results, crashes


def spread(values: list[float]) -> dict[str, float | None]:
    """min / p50 / p95 / max, in the unit given, to 0.1 (a side's lateness is negative when the other side
    stamped late: the dialer stamps its INVITE just after sending it)."""
    return {"min": round(min(values), 1) if values else None, "p50": round(percentile(values, 0.5), 1),
            "p95": round(percentile(values, 0.95), 1), "max": round(max(values), 1) if values else None}


def level(calls: int, work: Path, per_process: int = 1, warm: bool = False) -> dict[str, object]:
    trace = work / "sipp" / "messages.log"
    sipp, port = start_sipp(work / "sipp", calls, trace)
    steps = (Step("say", "Hello, I would like to book a room for two nights.", on="human_reached", timeout_s=6),
             Step("hangup", on="answered", offset_s=4.0))
    plans = [CallPlan(uri=f"sip:knee@127.0.0.1:{port}", steps=steps, recordings_dir=str(work / "recordings"),
                      call_id=f"knee-{calls}-{n:04d}", max_seconds=60) for n in range(calls)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    try:
        results, crashes = asyncio.run(dial_all(plans, per_process, warm))
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
    errors, complete, sipp_late, dialer_late, head, tail = [], [], [], [], [], []
    for result in results:
        if not isinstance(result, CallResult):
            continue
        key, tta = result.call_id, result.time_to_answer_s
        if tta is not None and key in invite and key in ok:
            errors.append(abs(tta - (ok[key] - invite[key])) * 1000)
            sent = datetime.fromisoformat(result.started_at.replace("Z", "+00:00")).timestamp()
            sipp_late.append((invite[key] - sent) * 1000)
            dialer_late.append((sent + tta - ok[key]) * 1000)
        if result.recording and result.duration_s:
            with wave.open(result.recording) as w:
                length = w.getnframes() / w.getframerate()
            complete.append(length / (result.duration_s - result.recording_offset_s))
            first = result.extra.get("recording_first_frame_t_s")
            media = [t for t in (result.pdd_s, result.time_to_answer_s) if t is not None]
            if first is not None and media:
                # the file holds the 20 ms before each bridge tick: [first tick - 20 ms, + its length]
                start, end = first - 0.02, first - 0.02 + length
                head.append((min(media) - start) * 1000)
                tail.append((end - result.duration_s) * 1000)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {"at_once": calls, "calls_per_process": per_process, "pool": "warm" if warm else "cold", "stored": len(results), "crashes": len(crashes),
            "timing_error_ms": {"p50": round(percentile(errors, 0.5), 1), "p95": round(percentile(errors, 0.95), 1),
                                "max": round(max(errors), 1) if errors else None},
            "sipp_invite_late_ms": spread(sipp_late), "dialer_200_late_ms": spread(dialer_late),
            "recording_complete_min": round(min(complete), 3) if complete else None,
            "recordings_covering_call": f"{sum(1 for h, t in zip(head, tail, strict=True) if h >= 0 and t >= -20)}"
                                        f"/{len(head)}",
            "recording_head_margin_ms_min": round(min(head), 1) if head else None,
            "recording_tail_margin_ms_min": round(min(tail), 1) if tail else None,
            "cpu_s_per_call": round(cpu / max(1, calls), 3), "max_dialer_rss_mb": round(after.ru_maxrss / 1024, 1),
            "rss_mb_per_call": round(after.ru_maxrss / 1024 / per_process, 1),
            "seconds": round(seconds, 1), "crash_samples": crashes[:3]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--levels", "--at-once", type=int, nargs="+", default=[10, 25, 50, 100],
                        help="calls placed at once, one run per level")
    parser.add_argument("--calls-per-process", type=int, nargs="+", default=[1], metavar="N",
                        help="modes to compare (1 to 4 calls per dialer process), each at every level")
    parser.add_argument("--pool", nargs="+", choices=["cold", "warm"], default=["cold"],
                        help="dialer processes started as the calls are dialled (cold) or before (warm)")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    if not shutil.which("sipp"):
        sys.exit("sipp is not installed (Debian package sip-tester)")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-concurrency-") as folder:
        for calls in args.levels:
            for per_process in args.calls_per_process:
                for pool in args.pool:
                    rows.append(level(calls, Path(folder) / f"level{calls}-{per_process}-{pool}", per_process,
                                      pool == "warm"))
                    print(json.dumps(rows[-1]), flush=True)
    base = float(rows[0]["timing_error_ms"]["p95"]) or 1.0   # type: ignore[index]
    for row in rows:
        p95 = float(row["timing_error_ms"]["p95"])   # type: ignore[index]
        row["p95_ratio_to_first_level"] = round(p95 / base, 2)
        same = next(r for r in rows if r["at_once"] == row["at_once"])   # the first mode, same level
        row["p95_ratio_to_first_mode"] = round(p95 / (float(same["timing_error_ms"]["p95"]) or 1.0), 2)  # type: ignore[index]
    print(json.dumps(rows, indent=2))
    print_table(rows)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


def print_table(rows: list[dict[str, object]]) -> None:
    """The rows side by side, one line per level and mode."""
    print("at once | calls/process | pool | stored | crashes | timing error p50/p95/max ms | SIPp late on INVITE "
          "p95 | dialer late on 200 p95 | shortest rec/call | recordings covering the call (head/tail margin min ms) "
          "| CPU s/call | dialer RSS MB | s")
    for r in rows:
        t = r["timing_error_ms"]
        print(f"{r['at_once']} | {r['calls_per_process']} | {r['pool']} | {r['stored']} | {r['crashes']} | "
              f"{t['p50']} / {t['p95']} / {t['max']} | {r['sipp_invite_late_ms']['p95']} | "  # type: ignore[index]
              f"{r['dialer_200_late_ms']['p95']} | {r['recording_complete_min']} | {r['recordings_covering_call']} "  # type: ignore[index]
              f"({r['recording_head_margin_ms_min']} / {r['recording_tail_margin_ms_min']}) | {r['cpu_s_per_call']} | "
              f"{r['max_dialer_rss_mb']} | {r['seconds']}")


if __name__ == "__main__":
    main()
