"""Guard latency under load: GET /v1/check at a fixed rate over loopback, p50 / p99.

    python benchmarks/bench_guard.py                     # 1,000 req/s for 10 s
    python benchmarks/bench_guard.py --rate 500 --seconds 3

How the load is generated: the guard runs as its own process (`python -m campaigns guard serve
--port 0`, rules fr-2023, a persons file and a Bloctel list, 2,000 attempts POSTed first so that
histories are not empty). This script is a second process: an asyncio open-loop generator with
aiohttp's client (keep-alive, up to 64 connections). Request i is scheduled at t0 + i / rate and
sent then whether or not earlier answers came back, so a slow server cannot slow the load down
(no coordinated omission). Latency is measured from the scheduled send time to the end of the
response body. Numbers and times are drawn from 10,000 numbers over 60 days. Before the load, 500
requests sent one at a time give the service time without queueing (`sequential_*`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

KEY = "bench-key"


def _start_guard(tmp: Path) -> tuple[subprocess.Popen[str], str]:
    persons = tmp / "persons.csv"
    persons.write_text("person_id,phone\n" + "\n".join(f"P{i},+336{i:08d}" for i in range(0, 10000, 3)) + "\n")
    oppositions = tmp / "opp.csv"
    oppositions.write_text("phone,listed_at,source\n" + "\n".join(f"+336{i:08d},2025-01-01,bloctel"
                                                                   for i in range(0, 10000, 50)) + "\n")
    registry = tmp / "campaigns.csv"
    registry.write_text("campaign,principal,purpose\nsolar,SolarCo,canvassing\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "campaigns", "--database-url", f"sqlite:///{tmp / 'guard.db'}", "guard", "serve",
         "--port", "0", "--rules", "fr-2023", "--api-key", KEY, "--persons", str(persons),
         "--oppositions", str(oppositions), "--campaigns", str(registry)],
        stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()  # type: ignore[union-attr]
    if not line.startswith("guard listening on "):
        process.kill()
        raise SystemExit(f"guard did not start: {line!r}")
    return process, line.split()[-1]


async def _load(base: str, rate: float, seconds: float, seed: int) -> dict[str, float]:
    import aiohttp

    rng = random.Random(seed)
    start = datetime(2026, 3, 2, 8, tzinfo=UTC)
    headers = {"X-API-Key": KEY}
    connector = aiohttp.TCPConnector(limit=64)
    async with aiohttp.ClientSession(base_url=base, connector=connector, headers=headers) as session:
        for i in range(2000):  # history, so frequency and refusal rules have something to count
            at = start + timedelta(minutes=rng.randrange(60 * 24 * 60))
            body = {"attempt_id": f"h{i}", "phone": f"+336{rng.randrange(10000):08d}", "campaign": "solar",
                    "started_at": at.isoformat(), "disposition": rng.choice(["answered", "no_answer", "refused"])}
            async with session.post("/v1/attempts", json=body) as response:
                assert response.status in (200, 201), await response.text()
        for _ in range(200):  # warm-up
            async with session.get("/v1/check", params={"phone": "+33600000001", "campaign": "solar"}) as r:
                await r.read()

        # Service time without queueing: one request at a time.
        sequential = []
        for _ in range(500):
            query = {"phone": f"+336{rng.randrange(10000):08d}", "campaign": "solar",
                     "at": (start + timedelta(minutes=rng.randrange(60 * 24 * 60))).isoformat()}
            sent = time.perf_counter()
            async with session.get("/v1/check", params=query) as r:
                await r.read()
            sequential.append(time.perf_counter() - sent)
        sequential.sort()

        total = int(rate * seconds)
        queries = [{"phone": f"+336{rng.randrange(10000):08d}", "campaign": "solar",
                    "at": (start + timedelta(minutes=rng.randrange(60 * 24 * 60))).isoformat()} for _ in range(total)]
        latencies: list[float] = []
        errors = 0
        allowed = 0

        async def one(scheduled: float, query: dict[str, str]) -> None:
            nonlocal errors, allowed
            try:
                async with session.get("/v1/check", params=query) as response:
                    body = await response.json()
                    if response.status != 200:
                        errors += 1
                    allowed += bool(body.get("allowed"))
            except aiohttp.ClientError:
                errors += 1
            latencies.append(time.perf_counter() - scheduled)

        t0 = time.perf_counter() + 0.05
        tasks = []
        for i, query in enumerate(queries):
            scheduled = t0 + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(scheduled, query)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - t0
    latencies.sort()
    q = statistics.quantiles(latencies, n=100)
    return {"sequential_p50_ms": round(sequential[len(sequential) // 2] * 1000, 2),
            "sequential_p99_ms": round(sequential[int(len(sequential) * 0.99)] * 1000, 2),
            "requests": total, "errors": errors, "allowed_share": round(allowed / total, 3),
            "achieved_rate": round(total / elapsed, 1), "p50_ms": round(q[49] * 1000, 2),
            "p90_ms": round(q[89] * 1000, 2), "p99_ms": round(q[98] * 1000, 2),
            "max_ms": round(latencies[-1] * 1000, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=1000.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        process, base = _start_guard(Path(tmp))
        try:
            result = asyncio.run(_load(base, args.rate, args.seconds, seed=1))
        finally:
            process.terminate()
            process.wait(timeout=20)
    result = {"benchmark": "guard GET /v1/check over loopback, open-loop load", "target_rate": args.rate,
              "seconds": args.seconds, **result}
    print(json.dumps(result, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
