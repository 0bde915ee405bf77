"""Guard latency under load: GET /v1/check at a fixed rate over loopback, p50 / p99.

    python benchmarks/bench_guard.py                     # 1,000 req/s for 10 s
    python benchmarks/bench_guard.py --rate 500 --seconds 3
    python benchmarks/bench_guard.py --sweep 250,500,750,1000 --seconds 6   # the highest rate with p99 < 5 ms

How the load is generated: the guard runs as its own process (`python -m campaigns guard serve
--port 0`, rules fr-2023, a persons file and a Bloctel list, 2,000 attempts POSTed first so that
histories are not empty). This script is a second process: an asyncio (uvloop) open-loop generator.
Setup (history POSTs, warm-up, the sequential phase) uses aiohttp's client; the load itself writes
pre-encoded HTTP/1.1 requests round robin on 32 keep-alive connections and reads the responses by
hand, which costs far less CPU than an HTTP client on a 2-core machine. Request i is scheduled at
t0 + i / rate and sent then whether or not earlier answers came back, so a slow server cannot slow
the load down (no coordinated omission). Latency is measured from the scheduled send time to the end of the
response body. Numbers and times are drawn from 10,000 numbers over 60 days. Before the load, 500
requests sent one at a time give the service time without queueing (`sequential_*`).
Each run also reports the guard's CPU time per request (from /proc, guard process only, decision
log thread included), the CPU share of the guard and of the load generator, and the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

KEY = "bench-key"


def _start_guard(tmp: Path) -> tuple[subprocess.Popen[str], str]:
    persons = tmp / "persons.csv"
    persons.write_text("person_id,phone\n" + "\n".join(f"P{i},+336{i:08d}" for i in range(0, 10000, 3)) + "\n")
    oppositions = tmp / "opp.csv"
    oppositions.write_text("phone,listed_at,source\n" + "\n".join(f"+336{i:08d},2025-01-01,bloctel"
                                                                   for i in range(0, 10000, 50)) + "\n")
    registry = tmp / "campaigns.csv"
    registry.write_text("campaign,principal,purpose\nsolar,SolarCo,canvassing\n")
    scrubs = tmp / "scrubs.csv"  # every input the rules read: the guard fails closed on a rule it cannot judge
    scrubs.write_text("principal,source,scrubbed_at\n" + "\n".join(f"SolarCo,bloctel,2026-{m:02d}-01" for m in range(1, 7)))
    process = subprocess.Popen(
        [sys.executable, "-m", "campaigns", "--database-url", f"sqlite:///{tmp / 'guard.db'}", "guard", "serve",
         "--port", "0", "--rules", "fr-2023", "--api-key", KEY, "--persons", str(persons),
         "--oppositions", str(oppositions), "--campaigns", str(registry), "--scrubs", str(scrubs)],
        stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()  # type: ignore[union-attr]
    if not line.startswith("guard listening on "):
        process.kill()
        raise SystemExit(f"guard did not start: {line!r}")
    return process, line.split()[-1]


async def _open_loop(base: str, queries: list[dict[str, str]], rate: float,
                     connections: int) -> tuple[list[float], int, int, float]:
    """Send GET /v1/check i at t0 + i / rate over keep-alive connections (round robin, pipelined), with
    requests pre-encoded and responses read by hand: the generator costs a fraction of an HTTP client,
    so the guard, not the load, is what saturates first."""
    from urllib.parse import urlencode, urlsplit

    address = urlsplit(base)
    streams = [await asyncio.open_connection(address.hostname, address.port) for _ in range(connections)]
    pending: list[collections.deque[float]] = [collections.deque() for _ in streams]
    latencies: list[float] = []
    counts = {"errors": 0, "allowed": 0}
    host = f"{address.hostname}:{address.port}"
    requests = [(f"GET /v1/check?{urlencode(q)} HTTP/1.1\r\nHost: {host}\r\nX-API-Key: {KEY}\r\n\r\n").encode()
                for q in queries]

    async def receive(index: int, reader: asyncio.StreamReader, count: int) -> None:
        for _ in range(count):
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            body = await reader.readexactly(length)
            latencies.append(time.perf_counter() - pending[index].popleft())
            if not head.startswith(b"HTTP/1.1 200"):
                counts["errors"] += 1
            elif body.startswith(b'{"allowed": true'):
                counts["allowed"] += 1

    per_connection = [len(range(i, len(requests), connections)) for i in range(connections)]
    receivers = [asyncio.create_task(receive(i, reader, per_connection[i])) for i, (reader, _) in enumerate(streams)]
    t0 = time.perf_counter() + 0.05
    for i, request in enumerate(requests):
        scheduled = t0 + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        index = i % connections
        pending[index].append(scheduled)
        streams[index][1].write(request)
    await asyncio.gather(*receivers)
    elapsed = time.perf_counter() - t0
    for _, writer in streams:
        writer.close()
    return latencies, counts["errors"], counts["allowed"], elapsed


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` (Linux /proc), to report the guard's cost per request."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _load(base: str, rates: list[float], seconds: float, seed: int, pid: int) -> dict[str, Any]:
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
            async with session.get("/v1/check", params={"phone": "+33600000001", "campaign": "solar",
                                                                "dial_mode": "manual"}) as r:
                await r.read()

        # Service time without queueing: one request at a time.
        sequential = []
        for _ in range(500):
            query = {"phone": f"+336{rng.randrange(10000):08d}", "campaign": "solar", "dial_mode": "manual",
                     "at": (start + timedelta(minutes=rng.randrange(60 * 24 * 60))).isoformat()}
            sent = time.perf_counter()
            async with session.get("/v1/check", params=query) as r:
                await r.read()
            sequential.append(time.perf_counter() - sent)
        sequential.sort()

    out: dict[str, Any] = {"sequential_p50_ms": round(sequential[len(sequential) // 2] * 1000, 2),
                           "sequential_p99_ms": round(sequential[int(len(sequential) * 0.99)] * 1000, 2), "runs": []}
    for rate in rates:
        total = int(rate * seconds)
        queries = [{"phone": f"+336{rng.randrange(10000):08d}", "campaign": "solar", "dial_mode": "manual",
                    "at": (start + timedelta(minutes=rng.randrange(60 * 24 * 60))).isoformat()} for _ in range(total)]
        guard_cpu, own_cpu = _cpu_seconds(pid), time.process_time()
        latencies, errors, allowed, elapsed = await _open_loop(base, queries, rate, connections=32)
        guard_cpu, own_cpu = _cpu_seconds(pid) - guard_cpu, time.process_time() - own_cpu
        latencies.sort()
        q = statistics.quantiles(latencies, n=100)
        out["runs"].append({
            "target_rate": rate, "requests": total, "errors": errors, "allowed_share": round(allowed / total, 3),
            "achieved_rate": round(total / elapsed, 1), "p50_ms": round(q[49] * 1000, 2),
            "p90_ms": round(q[89] * 1000, 2), "p99_ms": round(q[98] * 1000, 2),
            "max_ms": round(latencies[-1] * 1000, 2),
            "guard_cpu_ms_per_request": round(guard_cpu / total * 1000, 3),
            "guard_cpu_share": round(guard_cpu / elapsed, 2), "load_generator_cpu_share": round(own_cpu / elapsed, 2),
            "load_average": os.getloadavg()[0]})
        await asyncio.sleep(1.0)  # let the decision log catch up between rates
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=1000.0, help="requests per second")
    parser.add_argument("--sweep", help="comma-separated rates run one after the other against the same guard "
                                        "(e.g. 250,500,750,1000); the report names the highest with p99 < 5 ms")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        process, base = _start_guard(Path(tmp))
        try:
            import uvloop

            rates = [float(r) for r in args.sweep.split(",")] if args.sweep else [args.rate]
            result = uvloop.run(_load(base, rates, args.seconds, seed=1, pid=process.pid))
        finally:
            process.terminate()
            process.wait(timeout=20)
    fast = [run["target_rate"] for run in result["runs"] if run["p99_ms"] < 5 and run["achieved_rate"] >= 0.98 * run[
        "target_rate"]]
    result = {"benchmark": "guard GET /v1/check over loopback, open-loop load", "seconds": args.seconds,
              "cpus": os.cpu_count(), **result, "highest_rate_with_p99_under_5ms": max(fast, default=None)}
    print(json.dumps(result, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
