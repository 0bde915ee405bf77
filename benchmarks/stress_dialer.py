"""Dialer crashes under load: waves of concurrent calls against SIPp, each with DTMF, `say` and hang-up steps.

A crash is a dialer process that died without a result (`DialerCrashed`). The call rang, so a crash
loses a call; the target is 0. SIPp answers every call after 100-300 ms of ringing and plays speech;
each call sends DTMF at 0.5 s, says a line at 1.0 s and hangs up at 2.5 s after the answer.

    python benchmarks/stress_dialer.py --calls 500 --concurrency 50      # the acceptance run
    python benchmarks/stress_dialer.py --calls 100 --concurrency 20 --json out.json
    python benchmarks/stress_dialer.py --calls 500 --concurrency 50 --calls-per-process 4   # warm, 4 a process

Run it alone on the machine: CPU contention changes the crash rate (more preemption in the bridge
thread) and SIP timings. Prints one JSON object: calls, crashes, stored results and outcomes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mystery.dial import CallPlan, Step, run_call_async  # noqa: E402
from mystery.dial.runner import DialerCrashed, Packer  # noqa: E402

SCENARIO = ROOT / "tests" / "dial" / "scenarios" / "uas_answer.xml"
SIPP_PCAPS = Path("/usr/share/sip-tester")  # holds g711a.pcap, which the scenario plays as pcap/g711a.pcap


def free_udp() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_sipp(workdir: Path, calls: int, trace: Path | None = None) -> tuple[subprocess.Popen[bytes], int]:
    """SIPp as the far end for `calls` calls: 180 after 100-300 ms, 200 after 100-300 ms more; with `trace`,
    SIPp writes every message there with its own time stamp."""
    workdir.mkdir(parents=True, exist_ok=True)
    if SIPP_PCAPS.is_dir() and not (workdir / "pcap").exists():
        (workdir / "pcap").symlink_to(SIPP_PCAPS)
    text = SCENARIO.read_text()
    for key, value in {"RING_MS": 100, "RING_MAX_MS": 300, "ANSWER_MS": 100, "ANSWER_MAX_MS": 300}.items():
        text = text.replace(f"@{key}@", str(value))
    (workdir / "scenario.xml").write_text(text)
    port = free_udp()
    media = free_udp() & ~1
    process = subprocess.Popen(
        ["sipp", "-sf", "scenario.xml", "-i", "127.0.0.1", "-p", str(port), "-mp", str(media), "-m", str(calls),
         "-l", str(calls), "-nostdin", "-timeout", "900s",
         *(["-trace_msg", "-message_file", str(trace)] if trace else [])],
        cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    return process, port


async def dial_all(plans: list[CallPlan], concurrency: int, per_process: int = 0) -> tuple[list[object], list[str]]:
    """Every plan dialled once (a crashed call is never re-dialled: it may have rung), `concurrency` at once;
    with `per_process`, through warm dialer processes of up to that many calls (mystery.dial.runner.Packer)."""
    gate = asyncio.Semaphore(concurrency)
    results: list[object] = []
    crashes: list[str] = []
    packer = Packer(per_process, spare=min(8, -(-concurrency // per_process))) if per_process else None
    if packer is not None:
        await packer.warm_up(-(-concurrency // per_process))

    async def one(plan: CallPlan) -> None:
        async with gate:
            try:
                results.append(await (packer.dial(plan) if packer is not None else run_call_async(plan)))
            except DialerCrashed as error:
                crashes.append(f"{plan.call_id}: {str(error)[-1500:]}")

    await asyncio.gather(*(one(plan) for plan in plans))
    if packer is not None:
        await packer.close()
    return results, crashes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--calls-per-process", type=int, default=0, metavar="N",
                        help="dial through warm dialer processes of up to N calls (default: a cold process per call)")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    if not shutil.which("sipp"):
        sys.exit("sipp is not installed (Debian package sip-tester)")
    with tempfile.TemporaryDirectory(prefix="stress-dialer-") as folder:
        work = Path(folder)
        sipp, port = start_sipp(work / "sipp", args.calls)
        steps = (Step("dtmf", "12", on="answered", offset_s=0.5),
                 Step("say", "Hello, I would like to book a room.", on="answered", offset_s=1.0),
                 Step("hangup", on="answered", offset_s=2.5))
        plans = [CallPlan(uri=f"sip:stress@127.0.0.1:{port}", steps=steps, recordings_dir=str(work / "recordings"),
                          call_id=f"stress-{n:04d}", max_seconds=60) for n in range(args.calls)]
        started = time.perf_counter()
        try:
            results, crashes = asyncio.run(dial_all(plans, args.concurrency, args.calls_per_process))
        finally:
            sipp.kill()
            sipp.wait()
        seconds = time.perf_counter() - started
        orphans = sorted(p.name for p in (work / "recordings").glob(".*.wav"))
    outcomes = Counter(getattr(r, "outcome", "?") for r in results)
    report = {"calls": args.calls, "concurrency": args.concurrency, "calls_per_process": args.calls_per_process, "results": len(results),
              "crashes": len(crashes), "crash_rate": round(len(crashes) / args.calls, 4),
              "outcomes": dict(outcomes), "orphaned_temporaries": len(orphans), "seconds": round(seconds, 1),
              "crash_samples": crashes[:5]}
    print(json.dumps(report, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
