"""The real-time guard over loopback: a real `campaigns guard serve` subprocess and plain HTTP."""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from campaigns.store.repo import count_decisions
from mystery_core.store.engine import make_engine

KEY = "test-key-1"
PARIS = timezone(timedelta(hours=1))  # March, before the DST change
PERSONS = {"P1": ["+33612345678", "+33142345678"], "P2": ["+33687654321"], "P3": ["+33611223344", "+33155667788"]}


def _history(rng: random.Random) -> list[dict[str, str]]:
    """60 attempts over 3 weeks, at any hour, with refusals and an opt-out mixed in."""
    rows = []
    start = datetime(2026, 3, 2, 8, 0, tzinfo=PARIS)
    for index in range(60):
        person = rng.choice(sorted(PERSONS))
        at = start + timedelta(minutes=rng.randrange(0, 21 * 24 * 60))
        disposition = rng.choices(["answered", "no_answer", "busy", "voicemail", "refused", "opt_out"],
                                  [30, 30, 10, 10, 4, 1])[0]
        rows.append({"call_id": f"a{index:03d}", "start": at.isoformat(), "phone": rng.choice(PERSONS[person]),
                     "disposition": disposition})
    return sorted(rows, key=lambda r: r["start"])


@pytest.fixture
def inputs(write):  # type: ignore[no-untyped-def]
    rows = _history(random.Random(7))
    log = write("log.csv", "call_id,start,callee,caller_id,campaign,purpose,disposition,duration_s,agent,dial_mode\n"
                + "\n".join(f"{r['call_id']},{r['start']},{r['phone']},,solar,canvassing,{r['disposition']},30,a1,"
                            "manual" for r in rows))
    persons = write("persons.csv", "person_id,phone\n" + "\n".join(
        f"{p},{n}" for p, numbers in PERSONS.items() for n in numbers))
    oppositions = write("opp.csv", "phone,listed_at,source\n+33155667788,2025-06-01,bloctel")
    registry = write("campaigns.csv", "campaign,principal,purpose\nsolar,SolarCo,canvassing")
    scrubs = write("scrubs.csv", "principal,source,scrubbed_at\nSolarCo,bloctel,2026-03-01\nSolarCo,bloctel,2026-05-01")
    # every input the fr-2023 rules read: the guard fails closed on a rule it cannot judge
    return {"rows": rows, "log": log, "args": ["--persons", str(persons), "--oppositions", str(oppositions),
                                               "--campaigns", str(registry), "--scrubs", str(scrubs)]}


@pytest.fixture
def guard(inputs, tmp_path) -> Iterator[dict[str, Any]]:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'guard.db'}"
    process = subprocess.Popen(
        [sys.executable, "-m", "campaigns", "--database-url", url, "guard", "serve", "--port", "0",
         "--rules", "fr-2023", "--api-key", KEY, *inputs["args"]],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = process.stdout.readline()  # type: ignore[union-attr]
    assert line.startswith("guard listening on "), process.stderr.read()  # type: ignore[union-attr]
    try:
        yield {"base": line.split()[-1], "database_url": url, "process": process}
    finally:
        process.terminate()
        code = process.wait(timeout=20)
        process.stdout.close()  # type: ignore[union-attr]
        process.stderr.close()  # type: ignore[union-attr]
        assert 0 == code


def _call(method: str, url: str, body: dict[str, Any] | None = None, key: str | None = KEY) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if key:
        headers["X-API-Key"] = key
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        text = error.read()
        try:
            return error.code, json.loads(text)
        except ValueError:  # aiohttp's own refusals (413) are plain text
            return error.code, text.decode(errors="replace")


def _check(base: str, **query: str) -> tuple[int, Any]:
    """GET /v1/check as a manual dialer asks (dial_mode=manual unless given; "" leaves it out)."""
    query.setdefault("dial_mode", "manual")
    query = {k: v for k, v in query.items() if v != ""}
    return _call("GET", f"{base}/v1/check?{urllib.parse.urlencode(query)}")


def test_guard_answers_agree_with_the_audit_for_the_same_history(inputs, guard, audit):  # type: ignore[no-untyped-def]
    run = audit(inputs["log"], "fr-2023", *inputs["args"])
    assert run.violations, "the generated history should break some rules"
    base = guard["base"]
    disagreements = []
    for row in inputs["rows"]:
        status, decision = _check(base, phone=row["phone"], campaign="solar", at=row["start"])
        assert 200 == status
        guard_rules = sorted(r["rule"] for r in decision["reasons"])
        if guard_rules != run.rules_of(row["call_id"]) or decision["allowed"] == bool(guard_rules):
            disagreements.append((row["call_id"], guard_rules, run.rules_of(row["call_id"])))
        status, _ = _call("POST", f"{base}/v1/attempts", {
            "attempt_id": row["call_id"], "phone": row["phone"], "campaign": "solar", "started_at": row["start"],
            "disposition": row["disposition"]})
        assert 201 == status
    assert [] == disagreements
    assert len({v["rule"] for v in run.violations}) >= 3


def test_next_allowed_slot_and_permanent_blocks(inputs, guard):  # type: ignore[no-untyped-def]
    base = guard["base"]
    # Sunday evening, no history: next slot is Monday 10:00 Paris.
    status, decision = _check(base, phone="+33699887766", campaign="solar", at="2026-03-15T20:30:00+01:00")
    assert (200, False, "2026-03-16T09:00:00Z", False) == (status, decision["allowed"], decision["next_allowed_at"],
                                                           decision["permanent_block"])
    # Bloctel-listed number: blocked with no expiry.
    _, listed = _check(base, phone="+33155667788", campaign="solar", at="2026-03-16T10:30:00+01:00")
    assert (False, None, True) == (listed["allowed"], listed["next_allowed_at"], listed["permanent_block"])
    assert "fr-2023.opposition" in [r["rule"] for r in listed["reasons"]]
    # A refusal bars the person (all numbers) until refusal date + 61 days at 00:00, then the window opens.
    status, _ = _call("POST", f"{base}/v1/attempts", {"attempt_id": "r1", "phone": "+33699887766",
                                                      "campaign": "solar", "started_at": "2026-03-16T10:00:00+01:00",
                                                      "disposition": "refused"})
    assert 201 == status
    _, barred = _check(base, phone="+33699887766", campaign="solar", at="2026-03-17T10:30:00+01:00")
    assert ["fr-2023.refusal"] == [r["rule"] for r in barred["reasons"]]
    assert "2026-05-18T08:00:00Z" == barred["next_allowed_at"]  # 16 May is a Saturday: Monday 10:00 CEST


def test_attempts_are_idempotent_and_decisions_are_logged(inputs, guard):  # type: ignore[no-untyped-def]
    base = guard["base"]
    body = {"attempt_id": "x1", "phone": "+33699887766", "campaign": "solar",
            "started_at": "2026-03-16T10:00:00+01:00", "disposition": "answered"}
    first = _call("POST", f"{base}/v1/attempts", body)
    again = _call("POST", f"{base}/v1/attempts", body)
    assert (201, True) == (first[0], first[1]["recorded"])
    assert (200, False, True) == (again[0], again[1]["recorded"], again[1]["duplicate"])
    for _ in range(3):
        _check(base, phone="+33699887766", campaign="solar", at="2026-03-16T11:00:00+01:00")
    guard["process"].terminate()
    assert 0 == guard["process"].wait(timeout=20)
    engine = make_engine(guard["database_url"])
    assert 3 == count_decisions(engine)
    engine.dispose()


def test_bad_requests_get_400_with_a_clear_message_and_keys_are_required(guard):  # type: ignore[no-untyped-def]
    base = guard["base"]
    assert (401, {"error": "missing API key: send it in the X-API-Key header"}) == _call(
        "GET", f"{base}/v1/check?phone=%2B33142345678&campaign=solar", key=None)
    assert (401, {"error": "unknown API key"}) == _call("GET", f"{base}/v1/check?phone=1&campaign=s", key="nope")
    assert (400, {"error": "missing query parameter 'campaign'"}) == _check(base, phone="+33142345678")
    assert (400, {"error": "at: expected ISO 8601 with a UTC offset, e.g. 2026-03-16T10:30:00+01:00, got "
                           "'tomorrow'"}) == _check(base, phone="+33142345678", campaign="solar", at="tomorrow")
    status, body = _check(base, phone="+33142345678", campaign="solar", at="2026-03-16T10:30:00")
    assert 400 == status and "expected ISO 8601 with a UTC offset" in body["error"]
    # an unencoded '+' arrives as a space and is put back
    status, body = _call("GET", f"{base}/v1/check?phone=+33142345678&campaign=solar&at=2026-03-16T10:30:00+01:00"
                                "&dial_mode=manual")
    assert (200, "+33142345678", True) == (status, body["phone"], body["allowed"])
    status, body = _call("POST", f"{base}/v1/attempts", {"attempt_id": "z", "phone": "+33142345678",
                                                         "campaign": "solar", "started_at": "2026-03-16T10:00:00Z",
                                                         "disposition": "hung_up"})
    assert 400 == status and body["error"].startswith("disposition: expected one of answered")
    status, spec = _call("GET", f"{base}/v1/openapi.json", key=None)
    assert (200, "3.1.0") == (status, spec["openapi"])
    assert {"/v1/check", "/v1/attempts"} <= set(spec["paths"])


async def test_an_internal_error_fails_closed(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Forcing a bug needs a Guard whose decide() raises: the one stand-in in these tests, since no real
    input makes the rules crash. The server, client and store are real. The error is logged."""
    from aiohttp.test_utils import TestClient, TestServer

    from campaigns.guard.app import make_app
    from campaigns.guard.decide import Guard
    from campaigns.model.facts import Facts
    from campaigns.rules.load import load_packs
    from campaigns.rules.select import RuleSet
    from mystery_core.store.engine import open_store

    class BrokenGuard(Guard):
        def decide(self, attempt, history=None):  # type: ignore[no-untyped-def]
            raise RuntimeError("bug")

    facts = Facts()
    guard = BrokenGuard(RuleSet(load_packs(["fr-2023"]), ["fr-2023"], facts), facts)
    engine = open_store(f"sqlite:///{tmp_path / 'g.db'}")
    app = make_app(guard, engine, (KEY,))
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        response = await client.get("/v1/check", params={"phone": "+33142345678", "campaign": "x",
                                                          "purpose": "canvassing"}, headers={"X-API-Key": KEY})
        body = await response.json()
    engine.dispose()
    assert (500, False) == (response.status, body["allowed"])
    assert "guard.internal_error" == body["reasons"][0]["rule"]
    assert [("campaigns.guard.app", "ERROR", "internal error on +33142345678: RuntimeError('bug')")] == [
        (r.name, r.levelname, r.getMessage()) for r in caplog.records if r.name.startswith("campaigns")]


def test_the_guard_fails_closed_on_what_it_cannot_judge(guard):  # type: ignore[no-untyped-def]
    """No purpose anywhere: 400 naming the field (before, `allowed: true` on a Sunday at 03:00). A rule left
    unjudged for want of an input (here the dial mode the caller-ID rule reads) blocks the call, saying so."""
    base = guard["base"]
    status, body = _check(base, phone="+33142345678", campaign="unregistered", at="2026-03-15T03:00:00+01:00")
    assert 400 == status
    assert body["error"].startswith("purpose: missing: give purpose= (one of canvassing")
    status, body = _check(base, phone="+33142345678", campaign="solar", at="2026-03-16T10:30:00+01:00", dial_mode="")
    assert (200, False, None, False) == (status, body["allowed"], body["next_allowed_at"], body["permanent_block"])
    assert [("fr-2023.caller_id", "not evaluated: field dial_mode absent; the guard fails closed")] == [
        (r["rule"], r["message"]) for r in body["reasons"]]
    status, body = _check(base, phone="+33142345678", campaign="solar", at="2026-03-16T10:30:00+01:00")
    assert (200, True) == (status, body["allowed"])


def test_attempts_are_checked_for_size_finite_numbers_and_reused_ids(guard):  # type: ignore[no-untyped-def]
    base = guard["base"]
    attempt = {"attempt_id": "r1", "phone": "+33142345678", "campaign": "solar",
               "started_at": "2026-03-16T10:00:00+01:00", "disposition": "no_answer", "duration_s": 12}
    assert 201 == _call("POST", f"{base}/v1/attempts", attempt)[0]
    assert (200, True) == (lambda r: (r[0], r[1]["duplicate"]))(_call("POST", f"{base}/v1/attempts", attempt))
    status, body = _call("POST", f"{base}/v1/attempts", {**attempt, "disposition": "answered"})
    assert 409 == status and body["error"].startswith("attempt_id: 'r1' was recorded with a different attempt")
    status, body = _call("POST", f"{base}/v1/attempts", {**attempt, "attempt_id": "r2", "duration_s": 1e308 * 10})
    assert (400, "duration_s: expected a number of seconds from 0 to 86400, got inf") == (status, body["error"])
    status, body = _call("POST", f"{base}/v1/attempts", {**attempt, "attempt_id": "x" * 900_000})
    assert 413 == status  # over the 16 kB body limit: never read whole
    status, body = _call("POST", f"{base}/v1/attempts", {**attempt, "attempt_id": "y" * 200})
    assert (400, "attempt_id: at most 128 characters, got 200") == (status, body["error"])


async def test_a_body_that_trickles_in_is_cut_off(tmp_path: Path) -> None:
    """A real guard app on loopback and a raw socket that sends headers, then the body one byte a second."""
    from aiohttp.test_utils import TestServer

    import campaigns.guard.app as guard_app
    from campaigns.guard.decide import Guard
    from campaigns.model.facts import Facts
    from campaigns.rules.load import load_packs
    from campaigns.rules.select import RuleSet
    from mystery_core.store.engine import open_store

    facts = Facts()
    engine = open_store(f"sqlite:///{tmp_path / 'g.db'}")
    app = guard_app.make_app(Guard(RuleSet(load_packs(["fr-2023"]), ["fr-2023"], facts), facts), engine, (KEY,),
                             read_timeout_s=1.0)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(f"POST /v1/attempts HTTP/1.1\r\nHost: x\r\nX-API-Key: {KEY}\r\nContent-Type: application/json"
                     "\r\nContent-Length: 100\r\n\r\n{".encode())
        await writer.drain()
        started, head = time.monotonic(), b""
        while not head and time.monotonic() - started < 10:
            try:
                head = await asyncio.wait_for(reader.readline(), 0.5)
            except TimeoutError:
                writer.write(b" ")  # one more byte, never the whole body
                await writer.drain()
        waited = time.monotonic() - started
        writer.close()
    finally:
        await server.close()
        engine.dispose()
    assert b"HTTP/1.1 408" in head
    assert 0.9 <= waited < 5
