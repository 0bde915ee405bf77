"""Check-and-record against PostgreSQL, one and two guard processes: throughput and p99 as ratios.

    python benchmarks/bench_guard_shared.py                  # 5 s per phase, 16 connections
    python benchmarks/bench_guard_shared.py --seconds 10 --connections 32 --json out.json

Why ratios: the machine is shared, so absolute numbers move between runs; each run measures its own
baseline, the plain question (GET /v1/check) on one guard process, and reports every other phase
against it, on the same database, data and load.

Setup: a fresh PostgreSQL database on the server at --pg (created, and dropped at the end); guard
processes `python -m campaigns guard serve --port 0` on it (rules fr-2023, a persons file, a Bloctel
list, monthly scrubs, as bench_guard.py); 2,000 attempts POSTed first so that histories are not empty.

Load: a closed loop from this process: `--connections` keep-alive connections (spread round robin
over the guards of the phase), each sending its next pre-encoded request as soon as the previous
answer is read, for `--seconds`. Questions draw a number out of 10,000 and a time out of 60 days (so
most check-and-record requests are for different persons, as a dialer's are; some are refused by the
hours or frequency rules and write nothing: the allowed share is reported). Latency runs from the
write of a request to the last byte of its answer; each phase also reports the guard processes' CPU
time per request (from /proc) and the load average. Phases, in order: check on 1 guard (baseline),
check-and-record on 1 guard, check on 2 guards, check-and-record on 2 guards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

KEY = "bench-key"
START = datetime(2026, 3, 2, 8, tzinfo=UTC)
NUMBERS = 10_000


def _inputs(tmp: Path) -> list[str]:
    persons = tmp / "persons.csv"
    persons.write_text("person_id,phone\n" + "\n".join(f"P{i},+336{i:08d}" for i in range(0, NUMBERS, 3)) + "\n")
    oppositions = tmp / "opp.csv"
    oppositions.write_text("phone,listed_at,source\n" + "\n".join(f"+336{i:08d},2025-01-01,bloctel"
                                                                   for i in range(0, NUMBERS, 50)) + "\n")
    registry = tmp / "campaigns.csv"
    registry.write_text("campaign,principal,purpose\nsolar,SolarCo,canvassing\n")
    scrubs = tmp / "scrubs.csv"
    scrubs.write_text("principal,source,scrubbed_at\n" + "\n".join(f"SolarCo,bloctel,2026-{m:02d}-01"
                                                                  for m in range(1, 7)) + "\n")
    return ["--persons", str(persons), "--oppositions", str(oppositions), "--campaigns", str(registry),
            "--scrubs", str(scrubs)]


def _start_guards(count: int, database_url: str, inputs: list[str]) -> list[tuple[subprocess.Popen[str], str]]:
    processes = [subprocess.Popen(
        [sys.executable, "-m", "campaigns", "--database-url", database_url, "guard", "serve", "--port", "0",
         "--rules", "fr-2023", "--api-key", KEY, *inputs], stdout=subprocess.PIPE, text=True) for _ in range(count)]
    guards = []
    for process in processes:
        line = process.stdout.readline()  # type: ignore[union-attr]
        if not line.startswith("guard listening on "):
            for other in processes:
                other.kill()
            raise SystemExit(f"guard did not start: {line!r}")
        guards.append((process, line.split()[-1]))
    return guards


def _stop(guards: list[tuple[subprocess.Popen[str], str]]) -> None:
    for process, _ in guards:
        process.terminate()
    for process, _ in guards:
        process.wait(timeout=30)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` (Linux /proc): the guards' cost per request, all threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _question(rng: random.Random) -> dict[str, str]:
    return {"phone": f"+336{rng.randrange(NUMBERS):08d}", "campaign": "solar", "dial_mode": "manual",
            "at": (START + timedelta(minutes=rng.randrange(60 * 24 * 60))).isoformat()}


def _encode(base: str, endpoint: str, query: dict[str, str], attempt_id: str) -> bytes:
    host = urlsplit(base).netloc
    if endpoint == "check":
        return (f"GET /v1/check?{urlencode(query)} HTTP/1.1\r\nHost: {host}\r\nX-API-Key: {KEY}\r\n\r\n").encode()
    body = json.dumps({**query, "attempt_id": attempt_id}).encode()
    return (f"POST /v1/check-and-record HTTP/1.1\r\nHost: {host}\r\nX-API-Key: {KEY}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body


async def _closed_loop(bases: list[str], endpoint: str, seconds: float, connections: int, rng: random.Random,
                       phase: str) -> dict[str, Any]:
    """`connections` keep-alive connections, each sending its next request when the previous answer is in."""
    latencies: list[float] = []
    counts = {"errors": 0, "allowed": 0}
    deadline = time.perf_counter() + seconds

    async def connection(index: int) -> None:
        base = bases[index % len(bases)]
        address = urlsplit(base)
        reader, writer = await asyncio.open_connection(address.hostname, address.port)
        sent = 0
        while time.perf_counter() < deadline:
            request = _encode(base, endpoint, _question(rng), f"{phase}-{index}-{sent}")
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            body = await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            sent += 1
            if not (head.startswith(b"HTTP/1.1 200") or head.startswith(b"HTTP/1.1 201")):
                counts["errors"] += 1
            elif body.startswith(b'{"allowed": true'):
                counts["allowed"] += 1
        writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(connection(i) for i in range(connections)))
    elapsed = time.perf_counter() - began
    latencies.sort()
    q = statistics.quantiles(latencies, n=100)
    return {"phase": phase, "requests": len(latencies), "errors": counts["errors"],
            "allowed_share": round(counts["allowed"] / len(latencies), 3),
            "throughput_per_s": round(len(latencies) / elapsed, 1), "p50_ms": round(q[49] * 1000, 2),
            "p99_ms": round(q[98] * 1000, 2), "max_ms": round(latencies[-1] * 1000, 2),
            "load_average": os.getloadavg()[0]}


async def _history(base: str, rng: random.Random) -> None:
    """2,000 earlier attempts, so that frequency and refusal rules have something to count."""
    import aiohttp

    async with aiohttp.ClientSession(base_url=base, headers={"X-API-Key": KEY}) as session:
        for i in range(2000):
            at = START + timedelta(minutes=rng.randrange(60 * 24 * 60))
            body = {"attempt_id": f"h{i}", "phone": f"+336{rng.randrange(NUMBERS):08d}", "campaign": "solar",
                    "started_at": at.isoformat(), "disposition": rng.choice(["answered", "no_answer", "refused"])}
            async with session.post("/v1/attempts", json=body) as response:
                assert response.status in (200, 201), await response.text()


async def _warm_up(bases: list[str], rng: random.Random) -> None:
    await _closed_loop(bases, "check", 1.0, 4, rng, "warm")


def _run(database_url: str, seconds: float, connections: int) -> list[dict[str, Any]]:
    import uvloop

    rng = random.Random(1)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        inputs = _inputs(Path(tmp))
        for count in (1, 2):
            guards = _start_guards(count, database_url, inputs)
            bases = [base for _, base in guards]
            try:
                if count == 1:
                    uvloop.run(_history(bases[0], rng))
                uvloop.run(_warm_up(bases, rng))
                for endpoint in ("check", "check-and-record"):
                    cpu = sum(_cpu_seconds(process.pid) for process, _ in guards)
                    result = uvloop.run(_closed_loop(bases, endpoint, seconds, connections, rng,
                                                     f"{endpoint}-{count}"))
                    cpu = sum(_cpu_seconds(process.pid) for process, _ in guards) - cpu
                    result["guard_cpu_ms_per_request"] = round(cpu / result["requests"] * 1000, 3)
                    results.append({"guards": count, "endpoint": endpoint, **result})
            finally:
                _stop(guards)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default=os.environ.get("MYSTERY_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test"),
                        help="a PostgreSQL database to connect to while creating (and dropping) the benchmark's own")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each phase")
    parser.add_argument("--connections", type=int, default=16, help="keep-alive connections of the closed loop")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    import psycopg

    name = f"bench_guard_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(args.pg, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        phases = _run(args.pg.rsplit("/", 1)[0] + "/" + name, args.seconds, args.connections)
    finally:
        with psycopg.connect(args.pg, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    baseline = phases[0]
    for phase in phases:
        phase["throughput_ratio"] = round(phase["throughput_per_s"] / baseline["throughput_per_s"], 2)
        phase["p99_ratio"] = round(phase["p99_ms"] / baseline["p99_ms"], 2)
    result = {"benchmark": "guard on PostgreSQL: GET /v1/check (baseline: 1 guard) and POST /v1/check-and-record, "
                           "1 and 2 guard processes, closed loop over loopback",
              "seconds": args.seconds, "connections": args.connections, "cpus": os.cpu_count(), "phases": phases}
    print(json.dumps(result, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
