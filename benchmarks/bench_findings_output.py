"""What each finding costs after the audit: its evidence as JSON, the JSON line, the CSV record and the store.

    python benchmarks/bench_findings_output.py                 # 200,000 rows of bench_audit.py's log
    python benchmarks/bench_findings_output.py --rows 1000000 --rules fr-2026

`bench_audit.py` times the whole command (`command_*`); this splits the part after the audit. The log is
audited once in this process (the findings kept in a list), then each step runs over all the findings,
`--repeat` times (3), in CPU time (time.process_time), with the collector off as in `campaigns audit`: the
fastest run of each step is reported in microseconds per finding and as a ratio to a plain `csv.reader`
pass over the same log, measured in the same run. The store is a new SQLite file written the way
`campaigns audit` writes it (RunRecorder: batches through the driver's executemany on a worker thread).
"""

from __future__ import annotations

import argparse
import csv
import gc
import io
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from bench_audit import generate  # noqa: E402


def _cpu(step: Callable[[], Any]) -> float:
    """CPU seconds of the step, or what it returns when it times itself (a float)."""
    start = time.process_time()
    timed = step()
    return timed if isinstance(timed, float) else time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--rules", default="fr-2023")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()

    from campaigns import output as report
    from campaigns.engines.audit import AuditRequest, run_audit
    from campaigns.output_explain import RuleLookup
    from campaigns.store.repo import RunRecorder
    from mystery_core import jsontext
    from mystery_core.store.engine import open_store

    gc.disable()
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "log.csv"
        generate(log, args.rows)
        found: list[Any] = []
        outcome = run_audit(AuditRequest(log=log, rules=(args.rules,)), found.append, lambda row: None)
        rule_of = RuleLookup((args.rules,), {})
        evidence = [jsontext.dumps(v.evidence) for v in found]

        def parse_csv() -> None:
            with open(log, encoding="utf-8", newline="") as handle:
                for _row in csv.reader(handle):
                    pass

        def write(fmt: str) -> Callable[[], None]:
            def run() -> None:
                writer = report.ViolationWriter(fmt, io.StringIO(), rule_of, "en")
                for v, text in zip(found, evidence, strict=True):
                    writer.write(v, text)
                writer.close(outcome)
            return run

        def store() -> float:
            """The findings written and committed, without opening the store (migrations: a fixed cost)."""
            database = Path(tmp) / "store.db"
            database.unlink(missing_ok=True)
            engine = open_store(f"sqlite:///{database}")
            try:
                start = time.process_time()
                with engine.begin() as connection:
                    recorder = RunRecorder(connection, str(log), [args.rules], {})
                    try:
                        for v, text in zip(found, evidence, strict=True):
                            recorder.violation(v, text)
                    finally:
                        recorder.close()
                return time.process_time() - start
            finally:
                engine.dispose()

        steps: dict[str, Callable[[], Any]] = {
            "csv_parse": parse_csv,
            "evidence_json": lambda: [jsontext.dumps(v.evidence) for v in found],
            "json_lines": write("json"), "csv_records": write("csv"), "store_sqlite": store,
        }
        runs: dict[str, list[float]] = {name: [] for name in steps}
        for _ in range(max(args.repeat, 1)):  # interleaved, so a noisy minute hits every step
            for name, step in steps.items():
                runs[name].append(_cpu(step))
    best = {name: min(times) for name, times in runs.items()}
    count = max(len(found), 1)
    result: dict[str, Any] = {
        "benchmark": f"findings output after the audit, {args.rules}", "rows": args.rows, "findings": len(found),
        "csv_parse_cpu_seconds": round(best["csv_parse"], 3),
        **{f"{name}_us_per_finding": round(best[name] / count * 1e6, 2) for name in steps if name != "csv_parse"},
        **{f"{name}_ratio_to_csv": round(best[name] / best["csv_parse"], 2) for name in steps if name != "csv_parse"},
        "json_command_output_ratio_to_csv": round(
            (best["evidence_json"] + best["json_lines"] + best["store_sqlite"]) / best["csv_parse"], 2),
        "cpu_seconds_each": {name: [round(t, 3) for t in times] for name, times in runs.items()},
        "python": sys.version.split()[0], "load_average": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(result, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
