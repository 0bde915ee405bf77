"""Audit speed and memory on a generated log, as ratios to plain `csv` parsing of the same file.

    python benchmarks/bench_audit.py                 # 1,000,000 rows (the issue's benchmark)
    python benchmarks/bench_audit.py --rows 100000   # quick run
    python benchmarks/bench_audit.py --crlf --rules fr-2026   # the same log with CRLF line ends too

The log is the generic CSV (one principal, 7 campaigns): one attempt per row over 60 days (95 % inside the French calling
windows, 5 % anywhere), `rows / 5` persons with one or two
numbers each (so per-person counting and the per-number cache are exercised), canvassing, all
dispositions, each day's rows written in hang-up order (slightly out of start order, as real logs are;
before 2026-11-24 they were shuffled within each day, and two rows in three came later than the
audit's 6-hour reorder window).
Each phase runs in its own interpreter so that peak RSS (ru_maxrss) belongs to that phase alone.
Both wall-clock and CPU-time ratios are printed: on a shared machine the CPU ratio is the steadier.
The audit runs through `run_audit` as `campaigns audit` does, with the engine it picks (`engine` in the
output: columnar for this log; `--engine row` measures the row-at-a-time engine); peak RSS is per phase.
The csv and audit phases run `--repeat` times (3), interleaved; the fastest run of each is reported,
with every run's figures beside it: on a shared machine single runs moved by 20-90 %.
A third phase runs the whole command a user runs, `campaigns audit --format json --output FILE` with
the results stored in a fresh SQLite file, and prints its ratio too (`command_*`): writing and storing
a quarter of a million findings is part of what the user waits for. `command_beyond_audit_cpu_ratio` is the
command's CPU time less the audit phase's, as csv passes: what start-up, writing and storing the findings add.
`--crlf` also writes the log with CRLF line ends (as Python's csv module, Excel and most exporters
write them), runs every phase on both files, and checks that the findings written are the same
(`crlf_findings_identical`) and that both ran on the columnar engine; `crlf_*` figures are the CRLF log's.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

HEADER = "call_id,start,callee,caller_id,campaign,purpose,disposition,duration_s,agent,principal\n"
PARIS = ZoneInfo("Europe/Paris")
DISPOSITIONS = (["no_answer"] * 40 + ["answered"] * 25 + ["busy"] * 10 + ["voicemail"] * 15 + ["failed"] * 4 +
                ["refused"] * 4 + ["abandoned"] * 1 + ["opt_out"] * 1)


def generate(path: Path, rows: int, seed: int = 1) -> dict[str, int]:
    rng = random.Random(seed)
    persons = max(rows // 5, 1)
    numbers = [[f"+336{p:08d}"] + ([f"+331{p:08d}"] if p % 3 == 0 else []) for p in range(persons)]
    start = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    span = 60 * 86400
    step = span / rows
    distinct = set()
    by_day: dict[date, list[tuple[datetime, int, str]]] = {}
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(HEADER)

        def flush(before: date | None) -> None:
            # each finished day's calls in hang-up order (start + duration): a little out of start order,
            # as dialers write them
            for day_done in sorted(d for d in by_day if before is None or d < before):
                calls = by_day.pop(day_done)
                for moment, _duration, text in sorted(calls, key=lambda row: row[0] + timedelta(seconds=row[1])):
                    handle.write(text.format(moment=moment.isoformat()))

        for i in range(rows):
            # 95 % inside the French windows on weekdays (a weekend day's share moves to the next
            # weekdays), 5 % anywhere (evenings, lunch, weekends)
            day = start + timedelta(seconds=i * step)
            flush(day.date())
            if rng.random() < 0.95:
                while day.weekday() >= 5:
                    day += timedelta(days=2)
                minute = rng.choice((rng.randrange(10 * 60 + 10, 12 * 60 + 50), rng.randrange(14 * 60 + 10, 19 * 60 + 50)))
            else:
                minute = rng.randrange(7 * 60, 22 * 60)
            midnight = datetime.combine(day.date(), datetime.min.time(), PARIS)
            moment = midnight + timedelta(minutes=minute, seconds=rng.randrange(-600, 600))
            phone = rng.choice(numbers[rng.randrange(persons)])
            distinct.add(phone)
            disposition = rng.choice(DISPOSITIONS)
            duration = rng.randrange(0, 300)
            by_day.setdefault(day.date(), []).append((
                moment, duration, f"c{i},{{moment}},{phone},+33162000001,camp{i % 7},canvassing,{disposition},"
                                  f"{duration},ag{i % 50},acme\n"))
        flush(None)
    return {"rows": rows, "persons": persons, "distinct_numbers": len(distinct)}


def phase_csv(path: Path) -> dict[str, float]:
    import csv

    t0, c0 = time.perf_counter(), time.process_time()
    count = 0
    with open(path, encoding="utf-8", newline="") as handle:
        for _row in csv.reader(handle):
            count += 1
    return {"seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - c0, "rows": count}


def phase_audit(path: Path, engine: str = "auto", rules: str = "fr-2023") -> dict[str, Any]:
    from campaigns.engines.audit import AuditRequest, run_audit

    counts = {"violations": 0, "rejected": 0}

    def on_violation(_v: object) -> None:
        counts["violations"] += 1

    def on_rejected(_r: object) -> None:
        counts["rejected"] += 1

    t0, c0 = time.perf_counter(), time.process_time()
    outcome = run_audit(AuditRequest(log=path, rules=(rules,), engine=engine), on_violation, on_rejected)
    return {"seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - c0, "rows": outcome.rows,
            "attempts": outcome.attempts, "engine": outcome.engine, "engine_note": outcome.engine_note,
            "late": outcome.late, **counts}


def phase_command(path: Path, engine: str = "auto", rules: str = "fr-2023") -> dict[str, Any]:
    """`campaigns audit` as a user runs it: JSON lines out, results stored in a new SQLite file."""
    out = path.with_suffix(".jsonl")
    database = path.with_suffix(".db")
    database.unlink(missing_ok=True)
    command = [sys.executable, "-m", "campaigns", "--database-url", f"sqlite:///{database}", "audit", "--log",
               str(path), "--rules", rules, "--engine", engine, "--format", "json", "--output", str(out),
               "--summary", str(path.with_suffix(".summary.json"))]
    t0 = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1, 3):  # 3: findings or not, with coverage gaps (the benchmark gives no lists)
        raise RuntimeError(f"campaigns audit failed ({done.returncode}): {done.stderr[-2000:]}")
    with open(out, encoding="utf-8") as handle:
        lines = sum(1 for line in handle if not line.startswith('{"record":"coverage"'))
    summary = json.loads(path.with_suffix(".summary.json").read_text())
    return {"engine": summary.get("engine"), "seconds": time.perf_counter() - t0, "cpu_seconds": (after.ru_utime + after.ru_stime) -
            (before.ru_utime + before.ru_stime), "violations_written": lines,
            "database_mb": database.stat().st_size / 1e6, "peak_rss_mb": after.ru_maxrss / 1024}


def _fastest(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the least wall time (its other figures come with it): what the code costs when the
    machine gets in its way least, as `timeit` reports. A median of each phase is not used because the
    baseline is short: one slow csv pass (seen: 1.8 s against 0.93 s) would flatter the ratio."""
    return min(runs, key=lambda run: run["seconds"])


def _child(phase: str, path: Path, engine: str = "auto", rules: str = "fr-2023") -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--phase", phase, "--engine", engine, "--rules", rules, str(path)],
                         capture_output=True, text=True, check=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    return json.loads(out.stdout)


def _measure(log: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Every phase on one log: the csv baseline and the audit (fastest of `--repeat`, interleaved), the command."""
    size_mb = log.stat().st_size / 1e6
    runs: dict[str, list[dict[str, Any]]] = {"csv": [], "audit": []}
    for _ in range(max(args.repeat, 1)):  # interleaved, so a noisy minute hits both phases
        runs["csv"].append(_child("csv", log))
        runs["audit"].append(_child("audit", log, args.engine, args.rules))
    parsed, audited = (_fastest(runs[phase]) for phase in ("csv", "audit"))
    command = _child("command", log, args.engine, args.rules)
    return {
        "file_mb": round(size_mb, 1),
        "engine": audited["engine"], "engine_note": audited["engine_note"], "late_rows": audited["late"],
        "csv_seconds": round(parsed["seconds"], 2), "audit_seconds": round(audited["seconds"], 2),
        "ratio": round(audited["seconds"] / parsed["seconds"], 2),
        "csv_cpu_seconds": round(parsed["cpu_seconds"], 2), "audit_cpu_seconds": round(audited["cpu_seconds"], 2),
        "cpu_ratio": round(audited["cpu_seconds"] / parsed["cpu_seconds"], 2),
        "rows_per_second": round(audited["rows"] / audited["seconds"]),
        "csv_peak_rss_mb": round(parsed["peak_rss_mb"], 1), "audit_peak_rss_mb": round(audited["peak_rss_mb"], 1),
        "command_engine": command["engine"],
        "command_seconds": round(command["seconds"], 2), "command_ratio": round(command["seconds"] / parsed["seconds"], 2),
        "command_cpu_ratio": round(command["cpu_seconds"] / parsed["cpu_seconds"], 2),
        "command_beyond_audit_cpu_ratio": round((command["cpu_seconds"] - audited["cpu_seconds"]) / parsed["cpu_seconds"], 2),
        "command_peak_rss_mb": round(command["peak_rss_mb"], 1), "command_database_mb": round(command["database_mb"], 1),
        "command_violations_written": command["violations_written"],
        "runs": args.repeat, "csv_seconds_each": [round(r["seconds"], 2) for r in runs["csv"]],
        "audit_seconds_each": [round(r["seconds"], 2) for r in runs["audit"]],
        "ratio_each": [round(a["seconds"] / c["seconds"], 2) for c, a in zip(runs["csv"], runs["audit"], strict=True)],
        "violations": audited["violations"], "rejected": audited["rejected"],
    }


def _findings(path: Path) -> list[dict[str, Any]]:
    """The findings a command wrote, without the log's file name (the two logs have different names)."""
    with open(path, encoding="utf-8") as handle:
        return [{key: value for key, value in json.loads(line).items() if key != "source"} for line in handle]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--engine", choices=["auto", "columnar", "row"], default="auto",
                        help="audit engine (default: what `campaigns audit` picks, which the output names)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of the csv and audit phases, interleaved; the fastest of each is reported (default 3)")
    parser.add_argument("--rules", default="fr-2023", help="rule pack (default fr-2023)")
    parser.add_argument("--crlf", action="store_true",
                        help="also audit the log written with CRLF line ends, and compare the findings")
    parser.add_argument("--phase", choices=["csv", "audit", "command"], help=argparse.SUPPRESS)
    parser.add_argument("path", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        if args.phase == "command":
            print(json.dumps(phase_command(Path(args.path), args.engine, args.rules)))
            return
        result = phase_csv(Path(args.path)) if args.phase == "csv" else \
            phase_audit(Path(args.path), args.engine, args.rules)
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "log.csv"
        shape = generate(log, args.rows)
        logs = {"": log}
        if args.crlf:
            crlf = logs["crlf_"] = Path(tmp) / "crlf.csv"
            with open(log, "rb") as source, open(crlf, "wb") as target:
                for block in iter(lambda: source.read(1 << 24), b""):
                    target.write(block.replace(b"\n", b"\r\n"))
        result: dict[str, Any] = {"benchmark": f"audit {args.rules} vs plain csv parsing", **shape,
                                  "rules": args.rules}
        for prefix, path in logs.items():
            result.update({prefix + key: value for key, value in _measure(path, args).items()})
        if args.crlf:
            lf_findings, crlf_findings = (_findings(path.with_suffix(".jsonl")) for path in logs.values())
            result["crlf_findings_identical"] = lf_findings == crlf_findings
            result["crlf_both_columnar"] = result["engine"] == result["crlf_engine"] == "columnar" == \
                result["command_engine"] == result["crlf_command_engine"]
    result.update({"python": sys.version.split()[0], "cpus": os.cpu_count(),
                   "load_average_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)]})
    print(json.dumps(result, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
