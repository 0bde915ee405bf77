"""Several guard processes on one store: real `campaigns guard serve` subprocesses, real load generators.

The acceptance case of the shared guard: one person with exactly one permitted attempt left (three of
the four fr-2023 attempts in 30 days already made), asked for 100 times at once through
POST /v1/check-and-record by two load-generator processes spread over two guard processes: exactly
one request is allowed and recorded, the 99 others are refused with the frequency rule as reason.
Run on a SQLite file shared by both guards and on the PostgreSQL server.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from campaigns.store import schema
from mystery_core.store.engine import make_engine

KEY = "shared-key"
PERSON = ["+33612345678", "+33142345678"]  # one person, a mobile and a landline
LAST_SLOT = "2026-03-16T10:30:00+01:00"      # a Monday inside the calling hours
EARLIER = ["2026-03-02T11:00:00+01:00", "2026-03-05T11:00:00+01:00", "2026-03-09T11:00:00+01:00"]

# A load generator: says "ready", waits for "go" on stdin (sent to both at once), then sends its requests all
# at once (one connection each) and prints one JSON line per answer.
LOAD = """
import asyncio, json, sys
import aiohttp

async def main(bases, name, count, key, at, phones):
    async def one(session, i):
        body = {"attempt_id": f"{name}-{i}", "phone": phones[i % len(phones)], "campaign": "solar", "at": at,
                "dial_mode": "manual"}
        async with session.post(bases[i % len(bases)] + "/v1/check-and-record", json=body) as response:
            return {"status": response.status, "body": await response.json()}
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    async with aiohttp.ClientSession(connector=connector, headers={"X-API-Key": key},
                                     timeout=aiohttp.ClientTimeout(total=120)) as session:
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        answers = await asyncio.gather(*(one(session, i) for i in range(count)))
    for answer in answers:
        print(json.dumps(answer))

args = json.loads(sys.argv[1])
asyncio.run(main(**args))
"""


@pytest.fixture
def inputs(tmp_path: Path) -> list[str]:
    """Every input the fr-2023 rules read (the guard fails closed without them)."""
    files = {"persons.csv": "person_id,phone\n" + "\n".join(f"P1,{n}" for n in PERSON),
             "opp.csv": "phone,listed_at,source\n+33155667788,2025-06-01,bloctel",
             "campaigns.csv": "campaign,principal,purpose\nsolar,SolarCo,canvassing",
             "scrubs.csv": "principal,source,scrubbed_at\nSolarCo,bloctel,2026-03-01\nSolarCo,bloctel,2026-04-01\nSolarCo,bloctel,2026-05-01"}
    for name, text in files.items():
        (tmp_path / name).write_text(text + "\n")
    return ["--persons", str(tmp_path / "persons.csv"), "--oppositions", str(tmp_path / "opp.csv"),
            "--campaigns", str(tmp_path / "campaigns.csv"), "--scrubs", str(tmp_path / "scrubs.csv")]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres),
                        pytest.param("postgresql-serializable", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A SQLite file; the PostgreSQL server; the server with SERIALIZABLE as its default isolation (whose
    snapshot, taken before the lock wait, would hide the previous holder's write: the guard must not use it)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'guard.db'}"
    url = str(request.getfixturevalue("postgres_url"))
    if request.param == "postgresql-serializable":
        url += "%20-cdefault_transaction_isolation%3Dserializable"
    return url


@pytest.fixture
def guards(database_url: str, inputs: list[str]) -> Iterator[list[str]]:
    """Two guard processes on one database, started at the same moment (they migrate it one after the other)."""
    processes = [subprocess.Popen(
        [sys.executable, "-m", "campaigns", "--database-url", database_url, "guard", "serve", "--port", "0",
         "--rules", "fr-2023", "--api-key", KEY, *inputs],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    bases = []
    try:
        for process in processes:
            line = process.stdout.readline()  # type: ignore[union-attr]
            assert line.startswith("guard listening on "), process.stderr.read()  # type: ignore[union-attr]
            bases.append(line.split()[-1])
        yield bases
    finally:
        for process in processes:
            process.terminate()
        ends = [(process.wait(timeout=30), process.stderr.read()) for process in processes]  # type: ignore[union-attr]
        for process in processes:
            process.stdout.close()  # type: ignore[union-attr]
            process.stderr.close()  # type: ignore[union-attr]
        assert [0, 0] == [code for code, _ in ends], [text for _, text in ends]


def _post(url: str, body: dict[str, Any]) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "X-API-Key": KEY})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _get(url: str) -> tuple[int, Any]:
    request = urllib.request.Request(url, headers={"X-API-Key": KEY})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, json.loads(response.read())


def _record_earlier_attempts(bases: list[str]) -> None:
    """Three attempts of the last 30 days, recorded through both guards."""
    for index, started_at in enumerate(EARLIER):
        status, _ = _post(f"{bases[index % 2]}/v1/attempts", {
            "attempt_id": f"earlier-{index}", "phone": PERSON[index % 2], "campaign": "solar",
            "started_at": started_at, "disposition": "no_answer"})
        assert 201 == status


def _stored_attempts(database_url: str) -> list[str]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return sorted(connection.execute(sa.select(schema.guard_attempts.c.attempt_id)).scalars())
    finally:
        engine.dispose()


@pytest.mark.slow
def test_of_100_simultaneous_requests_for_the_last_permitted_attempt_exactly_one_is_allowed(
        guards: list[str], database_url: str) -> None:
    _record_earlier_attempts(guards)
    generators = [subprocess.Popen(
        [sys.executable, "-c", LOAD, json.dumps({"bases": guards if name == "a" else guards[::-1], "name": name,
                                                  "count": 50, "key": KEY, "at": LAST_SLOT, "phones": PERSON})],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for name in ("a", "b")]
    for generator in generators:
        assert "ready\n" == generator.stdout.readline(), generator.stderr.read()  # type: ignore[union-attr]
    for generator in generators:
        generator.stdin.write("go\n")  # type: ignore[union-attr]
        generator.stdin.flush()  # type: ignore[union-attr]
    answers = []
    for generator in generators:
        out, err = generator.communicate(timeout=180)
        assert 0 == generator.returncode, err
        answers += [json.loads(line) for line in out.splitlines()]

    assert 100 == len(answers)
    allowed = [a for a in answers if a["body"]["allowed"]]
    refused = [a for a in answers if not a["body"]["allowed"]]
    assert [(201, True)] == [(a["status"], a["body"]["recorded"]) for a in allowed]
    assert 99 == len(refused)
    assert {(200, False, ("fr-2023.frequency",))} == {
        (a["status"], a["body"]["recorded"], tuple(r["rule"] for r in a["body"]["reasons"])) for a in refused}
    assert {"attempt 5 to this person within 30 calendar days (local dates, day of the call included); the cap "
            "is 4"} == {a["body"]["reasons"][0]["message"] for a in refused}
    # the earliest attempt leaves the window on 1 April: the next slot is that day at 10:00 Paris (CEST)
    assert {"2026-04-01T08:00:00Z"} == {a["body"]["next_allowed_at"] for a in refused}
    assert sorted([*(f"earlier-{i}" for i in range(3)), allowed[0]["body"]["attempt_id"]]) == _stored_attempts(
        database_url)
    # both guards answered, and both generators were among the refused
    assert {"a", "b"} == {a["body"]["attempt_id"].split("-")[0] for a in refused}


@pytest.mark.parametrize("database_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
                         indirect=True)
def test_a_guard_sees_what_another_recorded_and_an_outcome_completes_a_recorded_dial(guards: list[str]) -> None:
    first, second = guards
    query = urllib.parse.urlencode({"phone": PERSON[1], "campaign": "solar", "at": LAST_SLOT, "dial_mode": "manual"})
    assert (200, True) == (lambda r: (r[0], r[1]["allowed"]))(_get(f"{second}/v1/check?{query}"))
    _record_earlier_attempts(guards)
    claim = {"attempt_id": "d1", "phone": PERSON[0], "campaign": "solar", "at": LAST_SLOT, "dial_mode": "manual"}
    status, body = _post(f"{first}/v1/check-and-record", claim)
    assert (201, True, True, False) == (status, body["allowed"], body["recorded"], body["duplicate"])
    # the other guard counts it at once: the fifth attempt is refused, on the person's other number too
    status, body = _get(f"{second}/v1/check?{query}")
    assert (200, False, ["fr-2023.frequency"]) == (status, body["allowed"], [r["rule"] for r in body["reasons"]])
    # a retry of the same request (its answer lost) is the same dial: allowed, not recorded twice
    status, body = _post(f"{second}/v1/check-and-record", claim)
    assert (200, True, False, True) == (status, body["allowed"], body["recorded"], body["duplicate"])
    # the same id for another dial is refused
    status, body = _post(f"{second}/v1/check-and-record", {**claim, "phone": "+33687654321"})
    assert 409 == status and body["error"].startswith("attempt_id: 'd1' was recorded with a different attempt")
    # the outcome arrives once under the same id (on either guard); the same outcome again is a duplicate
    outcome = {"attempt_id": "d1", "phone": PERSON[0], "campaign": "solar", "started_at": "2026-03-16T10:30:05+01:00",
               "disposition": "refused", "duration_s": 40}
    assert (200, True, True) == (lambda r: (r[0], r[1]["recorded"], r[1]["completed"]))(
        _post(f"{second}/v1/attempts", outcome))
    assert (200, True) == (lambda r: (r[0], r[1]["duplicate"]))(_post(f"{first}/v1/attempts", outcome))
    status, body = _post(f"{first}/v1/attempts", {**outcome, "disposition": "opt_out"})
    assert 409 == status
    # with the outcome known, a repeat of the request is no longer a pending dial
    assert 409 == _post(f"{first}/v1/check-and-record", claim)[0]
    # the refusal is now part of the history both guards read, and bars the person's other number too
    _, body = _get(f"{first}/v1/check?" + urllib.parse.urlencode(
        {"phone": PERSON[1], "campaign": "solar", "at": "2026-04-02T10:30:00+02:00", "dial_mode": "manual"}))
    assert ["fr-2023.refusal"] == [r["rule"] for r in body["reasons"]]
    # 7 weeks later, beyond the 31 days of attempts a question reads, the refusal is still read: barred until
    # the 61st day (16 May, a Saturday: Monday 18 May at 10:00 Paris)
    _, body = _get(f"{second}/v1/check?" + urllib.parse.urlencode(
        {"phone": PERSON[1], "campaign": "solar", "at": "2026-05-04T10:30:00+02:00", "dial_mode": "manual"}))
    assert (["fr-2023.refusal"], "2026-05-18T08:00:00Z") == ([r["rule"] for r in body["reasons"]],
                                                             body["next_allowed_at"])


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_check_and_record_refuses_bad_requests_as_the_check_does(guards: list[str]) -> None:
    base = guards[0]
    assert (400, {"error": "missing field 'attempt_id'"}) == _post(f"{base}/v1/check-and-record",
                                                                  {"phone": PERSON[0], "campaign": "solar"})
    status, body = _post(f"{base}/v1/check-and-record", {"attempt_id": "x", "phone": PERSON[0],
                                                         "campaign": "unregistered"})
    assert 400 == status and body["error"].startswith("purpose: missing")
    status, body = _post(f"{base}/v1/check-and-record", {"attempt_id": "x", "phone": PERSON[0], "campaign": "solar",
                                                         "at": "tomorrow"})
    assert 400 == status and body["error"].startswith("at: expected ISO 8601 with a UTC offset")
    # a refused dial is not recorded: the id stays free
    status, body = _post(f"{base}/v1/check-and-record", {"attempt_id": "x", "phone": PERSON[0], "campaign": "solar",
                                                         "at": "2026-03-15T10:30:00+01:00", "dial_mode": "manual"})
    assert (200, False, False, ["fr-2023.weekend"]) == (status, body["allowed"], body["recorded"],
                                                        [r["rule"] for r in body["reasons"]])
    assert 201 == _post(f"{base}/v1/check-and-record", {"attempt_id": "x", "phone": PERSON[0], "campaign": "solar",
                                                        "at": LAST_SLOT, "dial_mode": "manual"})[0]


async def test_a_store_that_cannot_be_read_fails_closed(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A real guard app on loopback over a real SQLite file that has no tables yet (as a database not migrated
    or lost): both questions answer 500 `allowed: false` and record nothing; once the store is there, the
    same request is allowed."""
    from aiohttp.test_utils import TestClient, TestServer

    from campaigns.guard.app import make_app
    from campaigns.guard.decide import Guard
    from campaigns.model.facts import Facts
    from campaigns.rules.load import load_packs
    from campaigns.rules.select import LOG_FIELDS, RuleSet
    from mystery_core.store.engine import migrate

    facts = Facts()
    facts.present |= LOG_FIELDS  # as `guard serve` does: questions carry dial_mode, region...
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    app = make_app(Guard(RuleSet(load_packs(["fr-2023"]), ["fr-2023"], facts), facts), engine, (KEY,))
    claim = {"attempt_id": "c1", "phone": PERSON[0], "campaign": "c", "purpose": "survey", "at": LAST_SLOT,
             "dial_mode": "manual"}
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        check = await client.get("/v1/check", params={k: v for k, v in claim.items() if k != "attempt_id"},
                                 headers={"X-API-Key": KEY})
        refused = await client.post("/v1/check-and-record", json=claim, headers={"X-API-Key": KEY})
        answers = [(check.status, (await check.json())["allowed"]),
                   (refused.status, (await refused.json())["allowed"], (await refused.json())["recorded"])]
        migrate(engine)
        allowed = await client.post("/v1/check-and-record", json=claim, headers={"X-API-Key": KEY})
        answers.append((allowed.status, (await allowed.json())["allowed"], (await allowed.json())["recorded"]))
    engine.dispose()
    assert [(500, False), (500, False, False), (201, True, True)] == answers
    assert 2 == sum(1 for r in caplog.records if r.getMessage().startswith(f"internal error on {PERSON[0]}"))
