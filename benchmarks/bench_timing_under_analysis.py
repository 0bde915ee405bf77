"""Does audio analysis disturb live calls' timing? PDD and time-to-answer errors with and without it.

    python benchmarks/bench_timing_under_analysis.py [--calls 24] [--concurrency 8] [--rounds 1]
                                                     [--phases ABC] [--json OUT]

One run, one machine, one switchboard (demo_hotel behind kamailio, 3 workers), the call mix and
the ground-truth comparison of tests/e2e/test_calls_against_switchboard.py. A warm-up wave of
calls (not measured) is stored as campaigns; then each round places the same mix in each phase:

  A  nothing else running (but whatever else this machine's users run: see `load1`)
  B  `mystery campaign analyse` looping over the warm-up campaigns as the product runs it
     (mystery/campaign/priority.py): a job started before the calls goes on at idle priority
     (SCHED_IDLE, nice 19, one CPU left free); the next ones wait until the calls have ended
  C  the same loop with `--no-wait --normal-priority`: analysis beside the calls, normal priority
  D  `--no-wait`: beside the calls at idle priority, one CPU left free (the product's fallback
     for calls that start while an analysis runs)
  E  (optional) SCHED_IDLE and nice 19 set from outside, every CPU allowed: what leaving one
     CPU free saves

`--analysers N` runs N loops side by side in B and C (N campaigns analysed at once).

Prints JSON: per phase the |error| of PDD and time to answer against the switchboard's ground
truth (p50/p95/max ms), the calls, the analysis done meanwhile (completed jobs' seconds of audio,
CPU seconds the analysis got, the scheduling policy its threads had), load average and CPU busy
fraction; then the ratios B/A and C/A. Phases of several rounds are pooled (rounds interleave
A, B, C so that a change in the machine's other load hits every phase alike).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from e2e.test_calls_against_switchboard import MIX  # noqa: E402

from mystery.dial.runner import DialerCrashed, run_call_async  # noqa: E402
from mystery.pipeline.priority import read_thread_priorities  # noqa: E402
from mystery.pipeline.runner import CrashedCall, run_calls  # noqa: E402
from mystery.records import CallResult  # noqa: E402
from mystery.scenario.plan import CallPlan  # noqa: E402
from mystery.store import repo  # noqa: E402
from mystery_core.store.engine import open_store  # noqa: E402
from switchboard.harness import running_switchboard  # noqa: E402


def idle_on_every_cpu() -> None:
    """In the analysis job before exec: SCHED_IDLE and nice 19 but every CPU (phase E)."""
    os.setpriority(os.PRIO_PROCESS, 0, 19)
    os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))


# phase -> (label, `campaign analyse` flags or None for no analysis, what the job does before exec)
PHASES: dict[str, tuple[str, list[str] | None, Any]] = {
    "A": ("no analysis", None, None),
    "B": ("analysis as the product runs it: new jobs wait for the calls to end, the running one goes on "
          "at idle priority with one CPU left free", [], None),
    "C": ("analysis beside the calls at normal priority (--no-wait --normal-priority)",
          ["--no-wait", "--normal-priority"], None),
    "D": ("analysis beside the calls at idle priority, one CPU left free (--no-wait)", ["--no-wait"], None),
    "E": ("analysis beside the calls at idle priority on every CPU (SCHED_IDLE + nice 19 set from outside)",
          ["--no-wait", "--normal-priority"], idle_on_every_cpu),
}


def log(message: str) -> None:
    print(f"{datetime.now().strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def mix_lines(n: int) -> list[str]:
    """n lines in the e2e test's proportions, interleaved (24 = exactly its mix)."""
    slots = sorted(((i + 0.5) / count, order, line)
                   for order, (line, (count, *_)) in enumerate(MIX.items()) for i in range(count))
    lines = [line for *_, line in slots]
    return [lines[k % len(lines)] for k in range(n)]


def plans_for(tag: str, n: int, uri: Any, recordings: Path) -> list[CallPlan]:
    plans = []
    for k, line in enumerate(mix_lines(n)):
        _, steps, ring_timeout, _ = MIX[line]
        plans.append(CallPlan(uri=uri(line), steps=steps, ring_timeout_s=ring_timeout, max_seconds=20.0,
                              recordings_dir=str(recordings / tag), line=line, call_id=f"{tag}-{line}-{k}",
                              recording_name=f"{tag}-{line}-{k}.wav"))
    return plans


def dial(plans: list[CallPlan], concurrency: int) -> tuple[list[CallResult], set[str]]:
    """The results, and the calls whose dialer died once and were dialled again (two truths: not compared)."""
    crashed: list[CrashedCall] = []
    retried: set[str] = set()

    async def dialer(plan: CallPlan) -> CallResult:
        try:
            return await run_call_async(plan)
        except DialerCrashed:
            retried.add(plan.call_id or "")
            raise

    results = asyncio.run(run_calls(plans, concurrency, lambda _: None, dialer=dialer, crashed=crashed))
    for c in crashed:
        log(f"dialer crashed twice on {c.plan.call_id}: {c.error}")
    return results, retried


@dataclass
class AnalysisLoop:
    """`mystery campaign analyse` on the stored campaigns, one after the other, round and round."""

    store_url: str
    campaigns: list[tuple[str, float]]  # (name, seconds of audio)
    workdir: Path
    flags: list[str]
    before_exec: Any = None
    jobs: list[dict[str, Any]] = field(default_factory=list)
    policies: set[str] = field(default_factory=set)
    transcription: str = ""
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join()

    def _run(self) -> None:
        k = 0
        while not self._stop.is_set():
            name, audio_s = self.campaigns[k % len(self.campaigns)]
            k += 1
            self.jobs.append(self._one(name, audio_s, k))

    def _one(self, name: str, audio_s: float, k: int) -> dict[str, Any]:
        # a fresh fingerprint library each time: every job does the same work
        env = {**os.environ, "MYSTERY_FINGERPRINTS_DIR": tempfile.mkdtemp(prefix="fingerprints-", dir=self.workdir)}
        out = Path(env["MYSTERY_FINGERPRINTS_DIR"]) / "job.out"
        started = time.monotonic()
        with open(out, "w") as sink:
            proc = subprocess.Popen([sys.executable, "-m", "mystery", "--database-url", self.store_url, "campaign",
                                     "analyse", name, *self.flags], cwd=self.workdir, env=env, stdout=sink,
                                    stderr=subprocess.STDOUT, preexec_fn=self.before_exec)
        status, rusage, killed = None, None, False
        while status is None:
            pid, raw, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                status, rusage = os.waitstatus_to_exitcode(raw), usage
                break
            if time.monotonic() - started > 2.0:  # past the interpreter's start
                self.policies.update(f"{t.policy} nice {t.nice} cpus {','.join(map(str, t.cpus))}"
                                     for t in read_thread_priorities(proc.pid))
            if self._stop.is_set() and not killed:
                os.kill(proc.pid, signal.SIGKILL)
                killed = True
            time.sleep(0.2)
        proc.returncode = status  # reaped by wait4 above
        text = out.read_text()
        if not self.transcription:
            self.transcription = next((ln for ln in text.splitlines() if ln.startswith("transcription")), "")
        done = status == 0
        if not done and not killed:
            log(f"analysis job {name} failed ({status}): {text[-500:]}")
        return {"campaign": name, "started_at": time.time() - (time.monotonic() - started), "ended_at": time.time(),
                "completed": done, "killed": killed, "audio_s": audio_s if done else 0.0,
                "cpu_s": rusage.ru_utime + rusage.ru_stime if rusage else 0.0,
                "wall_s": time.monotonic() - started}

    def summary(self, wall_s: float) -> dict[str, Any]:
        audio = sum(j["audio_s"] for j in self.jobs)
        cpu = sum(j["cpu_s"] for j in self.jobs)
        return {"jobs_completed": sum(j["completed"] for j in self.jobs),
                "jobs_cut_at_phase_end": sum(j["killed"] for j in self.jobs),
                "audio_s_analysed": round(audio, 1), "cpu_s": round(cpu, 1),
                "cpu_share_of_one_core": round(cpu / wall_s, 2) if wall_s else None,
                "thread_policies_seen": sorted(self.policies), "transcription": self.transcription}


def cpu_times() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    fields = [float(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def errors_ms(results: list[CallResult], truth: dict[str, dict[str, Any]]) -> dict[str, list[float]]:
    """|dialer - switchboard| in ms for PDD and time to answer (as the e2e timing test compares them)."""
    out: dict[str, list[float]] = {"pdd": [], "time_to_answer": []}
    for r in results:
        t = truth.get(r.call_id)
        if t is None:  # a retried call: the switchboard saw two INVITEs with this Call-ID
            continue
        invite_at = t.get("proxy_invite_at") or t["invite_at"]  # the INVITE reaching the switchboard's proxy
        if r.pdd_s is not None and t["first_provisional_at"] is not None:
            out["pdd"].append(abs(r.pdd_s - (t["first_provisional_at"] - invite_at)) * 1000)
        if r.time_to_answer_s is not None and t.get("answered_at") is not None:
            out["time_to_answer"].append(abs(r.time_to_answer_s - (t["answered_at"] - invite_at)) * 1000)
    return out


def stats(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0}
    a = np.array(values)
    return {"n": len(values), "p50_ms": round(float(np.percentile(a, 50)), 2),
            "p95_ms": round(float(np.percentile(a, 95)), 2), "max_ms": round(float(a.max()), 2)}


def ratio(b: dict[str, Any], a: dict[str, Any]) -> dict[str, float | None]:
    return {k: (round(b[k] / a[k], 2) if a.get(k) and k in b else None) for k in ("p50_ms", "p95_ms", "max_ms")}


def store_campaigns(url: str, results: list[CallResult], per_job: int) -> list[tuple[str, float]]:
    """The warm-up's recorded, answered calls as campaigns of up to per_job calls of one line."""
    engine = open_store(url)
    by_line: dict[str, list[CallResult]] = {}
    for r in sorted(results, key=lambda r: r.call_id):
        if r.recording and Path(r.recording).exists() and r.time_to_answer_s is not None:
            by_line.setdefault(r.line, []).append(r)
    campaigns = []
    for line, calls in by_line.items():
        for k in range(0, len(calls), per_job):
            chunk = calls[k:k + per_job]
            name = f"warmup-{line}-{k // per_job}"
            campaign_id = repo.create_campaign(engine, name, {})
            for call in chunk:
                repo.save_call(engine, call, campaign_id)
            repo.finish_campaign(engine, campaign_id)
            campaigns.append((name, sum(sf.info(c.recording).duration for c in chunk)))  # type: ignore[arg-type]
    return campaigns


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=24, help="calls per phase and round (24 = the e2e mix)")
    parser.add_argument("--concurrency", type=int, default=8, help="calls in flight at once")
    parser.add_argument("--rounds", type=int, default=1, help="repeat the phases, interleaved")
    parser.add_argument("--phases", default="ABC", help="which phases, in order (A, B, C, D)")
    parser.add_argument("--warmup", type=int, default=0, help="warm-up calls (default: --concurrency)")
    parser.add_argument("--job-calls", type=int, default=3, help="calls per analysis job (one line each)")
    parser.add_argument("--analysers", type=int, default=1, help="analysis loops side by side in B and C")
    parser.add_argument("--lead-s", type=float, default=3.0, help="analysis runs this long before the calls")
    parser.add_argument("--json", type=Path, help="also write the JSON here")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    args = parser.parse_args()
    phases = [p for p in args.phases.upper() if p in PHASES]

    with tempfile.TemporaryDirectory(prefix="bench-timing-") as tmp:
        work = (args.keep or Path(tmp)).resolve()
        work.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{work / 'analysis.db'}"
        pooled: dict[str, dict[str, list[float]]] = {p: {"pdd": [], "time_to_answer": []} for p in phases}
        per_phase: dict[str, dict[str, Any]] = {p: {"calls": 0, "unexpected_outcomes": 0, "retried_not_compared": 0, "wall_s": 0.0,
                                                    "load1": [], "cpu_busy": [], "analysis": []} for p in phases}
        phase_results: list[tuple[str, list[CallResult]]] = []
        timeline: list[dict[str, Any]] = []  # analysis jobs, for --keep
        retried_all: set[str] = set()
        # a switchboard worker that died (seen once at load average 16) fails its calls, not the run:
        # they show as unexpected outcomes, and the exit status is reported
        with running_switchboard("demo_hotel", workers=3, workdir=work / "switchboard",
                                 check_exit=False) as switchboard:
            warmup = args.warmup or args.concurrency
            log(f"warm-up: {warmup} calls")
            warm, _ = dial(plans_for("warmup", warmup, switchboard.uri, work / "recordings"), args.concurrency)
            campaigns = store_campaigns(url, warm, args.job_calls)
            log(f"analysis material: {len(campaigns)} campaigns, {sum(a for _, a in campaigns):.0f} s of audio")
            for rnd in range(args.rounds):
                for p in phases:
                    label, flags, before_exec = PHASES[p]
                    loops = [AnalysisLoop(url, campaigns, work, flags, before_exec) for _ in range(args.analysers)
                             if flags is not None]
                    for loop in loops:
                        loop.start()
                    if loops:
                        time.sleep(args.lead_s)
                    busy0, total0 = cpu_times()
                    load_start, started = os.getloadavg()[0], time.monotonic()
                    log(f"round {rnd + 1} phase {p}: {label}, {args.calls} calls (load1 {load_start:.2f})")
                    tag = f"{p}{rnd + 1}"
                    results, retried = dial(plans_for(tag, args.calls, switchboard.uri, work / "recordings"),
                                            args.concurrency)
                    retried_all |= retried
                    wall, calls_to = time.monotonic() - started, time.time()
                    busy1, total1 = cpu_times()
                    entry = per_phase[p]
                    for loop in loops:
                        loop.stop()
                        entry["analysis"].append(loop.summary(wall + args.lead_s))
                        timeline += [{"phase": tag, **job} for job in loop.jobs]
                    entry["calls"] += len(results)
                    entry["retried_not_compared"] += len(retried)
                    entry["unexpected_outcomes"] += sum(r.outcome != MIX[r.line][3] for r in results)
                    entry["wall_s"] += wall
                    entry["load1"] += [round(load_start, 2), round(os.getloadavg()[0], 2)]
                    entry["cpu_busy"].append(round((busy1 - busy0) / max(1.0, total1 - total0), 2))
                    phase_results.append((p, results))
                    with open(work / "results.jsonl", "a") as f:  # kept as each phase ends
                        f.writelines(json.dumps({"phase": p, **r.to_json()}) + "\n" for r in results)
                    timeline.append({"phase": tag, "calls_from": calls_to - wall, "calls_to": calls_to})
                    time.sleep(2.0)  # the switchboard writes a call's truth when the call ends
        switchboard_exit = switchboard.returncode
        records = switchboard.records()
        seen_ids = [r["call_id"] for r in records]
        truth = {r["call_id"]: r for r in records
                 if seen_ids.count(r["call_id"]) == 1 and r["call_id"] not in retried_all}
        if args.keep:  # every call and job, to see which call was late when
            with open(work / "calls.jsonl", "w") as f:
                for _, results in phase_results:
                    for r in results:
                        one = errors_ms([r], truth)
                        f.write(json.dumps({"call_id": r.call_id, "started_at": r.started_at,
                                            "pdd_error_ms": one["pdd"], "tta_error_ms": one["time_to_answer"]}) + "\n")
            (work / "timeline.json").write_text(json.dumps(timeline, indent=1))

    rounds_detail = []
    for p, results in phase_results:
        errors = errors_ms(results, truth)
        for k, v in errors.items():
            pooled[p][k] += v
        rounds_detail.append({"phase": p, **{k: stats(v) for k, v in errors.items()}})
    report: dict[str, Any] = {
        "bench": "timing_under_analysis", "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "kernel": os.uname().release},
        "calls_per_phase": args.calls, "concurrency": args.concurrency, "rounds": args.rounds,
        "analysers": args.analysers, "switchboard_exit": switchboard_exit,
        "analysis_material": {"campaigns": len(campaigns), "audio_s": round(sum(a for _, a in campaigns), 1)},
        "phases": {}, "ratios": {}, "per_round": rounds_detail,
    }
    for p in phases:
        entry = per_phase[p]
        jobs = entry.pop("analysis")
        analysis = None
        if jobs:
            analysis = {k: round(sum(j[k] for j in jobs), 1) for k in ("audio_s_analysed", "cpu_s")}
            analysis["jobs_completed"] = sum(j["jobs_completed"] for j in jobs)
            analysis["cpu_share_of_one_core"] = [j["cpu_share_of_one_core"] for j in jobs]  # per loop and round
            analysis["thread_policies_seen"] = sorted({x for j in jobs for x in j["thread_policies_seen"]})
            analysis["transcription"] = next((j["transcription"] for j in jobs if j["transcription"]), "")
        report["phases"][p] = {"label": PHASES[p][0], **{k: stats(v) for k, v in pooled[p].items()},
                               **entry, "wall_s": round(entry["wall_s"], 1), "analysis": analysis}
    if "A" in phases:
        for p in phases:
            if p != "A":
                report["ratios"][f"{p}/A"] = {k: ratio(report["phases"][p][k], report["phases"]["A"][k])
                                              for k in ("pdd", "time_to_answer")}
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
