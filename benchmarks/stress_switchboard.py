"""Switchboard crashes under load: waves of SIPp calls, until a worker dies or the time is up.

A crash is a worker process (pjsua2) that died: the switchboard then stops answering and every
test call after it times out (a CI run failed that way). Each wave sends, at once, calls to four
lines of the test switchboard (an agent, a dropped caller, a timed ring, an IVR), kept below the
switchboard's 12 slots; prompts played to their last frame are what used to kill a worker
(`AudioMediaPlayer::eof_cb` on a freed player, see `switchboard.worker.retire`).

    python benchmarks/stress_switchboard.py --seconds 300
    python benchmarks/stress_switchboard.py --seconds 600 --json out.json

Prints one JSON object: waves, SIPp calls, failed SIPp runs (a slow machine makes SIPp give up on
an answer; these are not crashes), workers dead, and the workers' last stderr lines.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from switchboard import running_switchboard  # noqa: E402
from tests.switchboard.conftest import udp_port  # noqa: E402
from tests.switchboard.sipp import answered_call, run_sipp  # noqa: E402

LINES = ROOT / "tests" / "switchboard" / "data" / "lines.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="stress-switchboard-"))
    waves = calls = failed_runs = 0
    dead: list[str] = []
    with running_switchboard(LINES, workers=3, workdir=work / "sb", cache_dir=work / "cache", check_exit=False) as sb:
        deadline = time.time() + args.seconds
        while time.time() < deadline:
            waves += 1
            # (line, scenario, calls, at once, rate): 8 at once at most, below the 12 slots
            jobs = [("agent", answered_call(rng.choice([3000, 8000, 12000])), 2, 2, 10),
                    ("drop", answered_call(10000), 2, 2, 10),
                    ("timed", answered_call(1000), 6, 2, 40),
                    ("ivr", answered_call(6000), 2, 2, 10)]
            codes: list[int] = []

            def one(job: tuple[str, str, int, int, float], codes: list[int]) -> None:
                line, xml, n, limit, rate = job
                run = run_sipp(work / "runs", f"127.0.0.1:{sb.port}", line, xml, calls=n, limit=limit, rate=rate,
                               local_port=udp_port(), media_port=udp_port())
                codes.append(run.returncode)

            threads = [threading.Thread(target=one, args=(job, codes)) for job in jobs]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            calls += sum(job[2] for job in jobs)
            failed_runs += sum(1 for c in codes if c != 0)
            if sb.process.poll() is not None:
                break
            time.sleep(4)  # calls SIPp gave up on hold their slots a little longer
        workers = sb.ready["workers"]
    stderr = (work / "sb" / "switchboard.stderr").read_text() if (work / "sb" / "switchboard.stderr").exists() else ""
    for line in stderr.splitlines():
        if '"event": "failed"' in line:
            dead = json.loads(line)["dead"]
    result = {
        "seconds": args.seconds, "waves": waves, "sipp_calls": calls, "failed_sipp_runs": failed_runs,
        "workers": len(workers), "workers_dead": dead,
        "worker_stderr": {p.name: p.read_text()[-500:] for p in sorted((work / "sb").glob("worker-*.stderr"))
                          if p.read_text().strip()},
        "workdir": str(work),
    }
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
