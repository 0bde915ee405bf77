"""HTTP face of the guard (aiohttp): GET /v1/check, POST /v1/check-and-record, POST /v1/attempts,
GET /v1/openapi.json.

API keys in `X-API-Key` (or `Authorization: Bearer`). Each answer is judged on the person's attempts
read from the store (`shared.py`, on a pool of store threads), so several guard processes can share
one database. Every decision is logged to the store in batches (a background task, so a question
never waits on the log's commit). Any internal error on a question answers `allowed: false`
(fail-closed) with status 500. Errors are logged (module logger; the traceback too at DEBUG); the one
line `guard listening on http://HOST:PORT` is printed on stdout.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import json
import logging
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from campaigns import __version__
from campaigns.guard import shared
from campaigns.guard.decide import Decision, Guard
from campaigns.ingest.times import TimeError, to_epoch
from campaigns.model.localtime import utc_iso
from campaigns.model.phones import PhoneError
from campaigns.model.records import DISPOSITIONS, PURPOSES, Attempt

GUARD_KEY: web.AppKey[Guard] = web.AppKey("guard", Guard)
STATE_KEY: web.AppKey[dict[str, Any]] = web.AppKey("state", dict)
KEY_ID: web.RequestKey[str] = web.RequestKey("key_id", str)
PUBLIC_PATHS = {"/v1/openapi.json", "/v1/health"}
# Limits on what a client may send: the guard sits on a dialer's hot path and must not be held or
# flooded by one bad client. Text fields are short by nature (ids, numbers, names).
MAX_TEXT = 256
MAX_ID = 128
MAX_BODY = 16 * 1024
READ_TIMEOUT_S = 10.0      # a body that trickles in slower than this is cut off (408)
KEEPALIVE_S = 30.0         # an idle keep-alive connection is closed after this
MAX_DURATION_S = 86_400.0
# Threads that wait on the store (each holds one pooled connection; a person's lock is waited for on one):
# within SQLAlchemy's default pool of 5 + 10 connections, with room for the decision log's writer.
STORE_THREADS = 8

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class GuardConfig:
    """rules: pack names; params: overrides; inputs: kind -> path; api_keys: accepted keys."""

    rules: tuple[str, ...]
    api_keys: tuple[str, ...]
    database_url: str
    params: dict[str, str] = field(default_factory=dict)
    inputs: dict[str, Path] = field(default_factory=dict)
    default_region: str = "FR"
    flush_s: float = 0.1


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def _key_id(key: str) -> str:
    """Decisions log which key asked without storing the key itself."""
    return hashlib.sha256(key.encode()).hexdigest()[:12]


@web.middleware
async def authenticate(request: web.Request, handler: Any) -> web.StreamResponse:
    if request.path in PUBLIC_PATHS:
        return await handler(request)
    key = request.headers.get("X-API-Key", "")
    if not key and request.headers.get("Authorization", "").startswith("Bearer "):
        key = request.headers["Authorization"][7:]
    if not key:
        return _error(401, "missing API key: send it in the X-API-Key header")
    if key not in request.app[STATE_KEY]["keys"]:
        return _error(401, "unknown API key")
    request[KEY_ID] = request.app[STATE_KEY]["keys"][key]
    return await handler(request)


def _unplussed(text: str) -> str:
    """An unencoded '+' in a query string arrives as a space: put it back."""
    return "+" + text.strip() if text.startswith(" ") else text.replace(" ", "+")


def _epoch(text: str, field: str) -> float:
    """ISO 8601 with offset -> epoch; ValueError with a message naming the field."""
    try:
        return to_epoch(text, None)
    except TimeError:
        raise ValueError(f"{field}: expected ISO 8601 with a UTC offset, e.g. 2026-03-16T10:30:00+01:00, "
                         f"got {text!r}") from None


def _parse_at(text: str | None) -> float:
    if not text:
        return time.time()
    try:
        return _epoch(_unplussed(text), "at")
    except ValueError as error:
        raise web.HTTPBadRequest(text=json.dumps({"error": str(error)}), content_type="application/json") from None


def _too_long(values: dict[str, Any]) -> str | None:
    """The first text field over its size limit, as an error message."""
    for name, value in values.items():
        limit = MAX_ID if name == "attempt_id" else MAX_TEXT
        if isinstance(value, str) and len(value) > limit:
            return f"{name}: at most {limit} characters, got {len(value)}"
    return None


async def check(request: web.Request) -> web.Response:
    guard = request.app[GUARD_KEY]
    query = request.query
    for name in ("phone", "campaign"):
        if not query.get(name):
            return _error(400, f"missing query parameter {name!r}")
    too_long = _too_long(dict(query))
    if too_long:
        return _error(400, too_long)
    ts = _parse_at(query.get("at"))
    try:
        attempt = guard.question(_unplussed(query["phone"]), query["campaign"], ts, query.get("purpose", ""),
                                 query.get("principal", ""), query.get("region", ""), query.get("caller_id", ""),
                                 query.get("dial_mode", ""), require_purpose=True)
    except PhoneError as error:
        return _error(400, f"phone: {error}")
    except ValueError as error:
        return _error(400, str(error))
    try:
        decision = await _in_store(request, shared.check, request.app[STATE_KEY]["engine"], guard, attempt)
    except Exception as error:  # noqa: BLE001 - fail closed: any bug answers "not allowed"
        return _failed_closed(request, attempt, error)
    body = decision.as_json()
    body["at"] = utc_iso(ts)
    _log(request, attempt, body)
    return web.json_response(body)


async def _in_store(request: web.Request, function: Callable[..., Any], *args: Any) -> Any:
    """Run a blocking store call on the guard's store threads."""
    return await asyncio.get_running_loop().run_in_executor(request.app[STATE_KEY]["store_threads"], function, *args)


def _failed_closed(request: web.Request, attempt: Attempt, error: Exception,
                   extra: dict[str, Any] | None = None) -> web.Response:
    """Any internal error (a bug, the database gone) answers "not allowed" with status 500, and is logged."""
    log.error("internal error on %s: %r", attempt.phone, error, exc_info=log.isEnabledFor(logging.DEBUG))
    body = {"allowed": False, "reasons": [{"rule": "guard.internal_error", "message": "internal error: the "
                                           "guard fails closed", "permanent": False}],
            "next_allowed_at": None, "permanent_block": False, **(extra or {})}
    _log(request, attempt, body)
    return web.json_response(body, status=500)


def _log(request: web.Request, attempt: Attempt, body: dict[str, Any]) -> None:
    """Queue the decision as a plain tuple (repo.DECISION_COLUMNS order); the logger task writes it."""
    request.app[STATE_KEY]["decisions"].append((
        datetime.now(UTC).isoformat(timespec="milliseconds"), request.get(KEY_ID, ""), attempt.phone,
        attempt.campaign, utc_iso(attempt.ts), bool(body["allowed"]), json.dumps([r["rule"] for r in body["reasons"]]),
        body["next_allowed_at"], bool(body["permanent_block"])))


async def _read_body(request: web.Request, required: tuple[str, ...]) -> dict[str, Any] | web.Response:
    """The JSON object of a POST, or the error response: 408 when it trickles in, 400 naming the field."""
    try:
        async with asyncio.timeout(request.app[STATE_KEY]["read_timeout_s"]):
            data = await request.json()
    except TimeoutError:
        return _error(408, f"body: not received within {request.app[STATE_KEY]['read_timeout_s']:g} s")
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _error(400, "body: expected a JSON object")
    if not isinstance(data, dict):
        return _error(400, "body: expected a JSON object")
    for name in required:
        if not data.get(name):
            return _error(400, f"missing field {name!r}")
    too_long = _too_long(data)
    if too_long:
        return _error(400, too_long)
    return data


def _reused_id(attempt_id: str) -> web.Response:
    return _error(409, f"attempt_id: {attempt_id!r} was recorded with a different attempt (phone, campaign, "
                       "start, disposition or duration); a new call needs a new id")


async def check_and_record(request: web.Request) -> web.Response:
    """Judge a dial about to be made and, when it is allowed, record it in the same transaction (under the
    person's lock), so that of simultaneous requests for a person's last permitted attempt one is allowed."""
    guard = request.app[GUARD_KEY]
    data = await _read_body(request, ("attempt_id", "phone", "campaign"))
    if isinstance(data, web.Response):
        return data
    try:
        ts = _epoch(str(data["at"]), "at") if data.get("at") else time.time()
        attempt = guard.question(str(data["phone"]), str(data["campaign"]), ts, str(data.get("purpose", "")),
                                 str(data.get("principal", "")), str(data.get("region", "")),
                                 str(data.get("caller_id", "")), str(data.get("dial_mode", "")),
                                 require_purpose=True)
    except PhoneError as error:
        return _error(400, f"phone: {error}")
    except ValueError as error:
        return _error(400, str(error))
    attempt_id = str(data["attempt_id"])
    attempt = attempt._replace(call_id=attempt_id, source="guard")
    started_at = str(data["at"]) if data.get("at") else utc_iso(ts)
    try:
        claim = await _in_store(request, shared.check_and_record, request.app[STATE_KEY]["engine"], guard, attempt,
                                started_at)
    except Exception as error:  # noqa: BLE001 - fail closed: any bug answers "not allowed"
        return _failed_closed(request, attempt, error, {"recorded": False, "attempt_id": attempt_id})
    if claim.conflict:
        return _reused_id(attempt_id)
    if claim.duplicate:  # a retry of an allowed request: the same answer, nothing written twice
        allowed = Decision(True, [], None, False, phone=attempt.phone).as_json()
        return web.json_response({**allowed, "at": utc_iso(ts), "attempt_id": attempt_id, "recorded": False,
                                  "duplicate": True})
    assert claim.decision is not None
    body = claim.decision.as_json()
    body["at"] = utc_iso(ts)
    _log(request, attempt, body)
    return web.json_response({**body, "attempt_id": attempt_id, "recorded": claim.recorded, "duplicate": False},
                             status=201 if claim.recorded else 200)


async def post_attempt(request: web.Request) -> web.Response:
    guard = request.app[GUARD_KEY]
    data = await _read_body(request, ("attempt_id", "phone", "campaign", "started_at", "disposition"))
    if isinstance(data, web.Response):
        return data
    disposition = str(data["disposition"])
    if disposition not in DISPOSITIONS:
        return _error(400, f"disposition: expected one of {', '.join(DISPOSITIONS)}, got {disposition!r}")
    try:
        ts = _epoch(str(data["started_at"]), "started_at")
        base = guard.question(str(data["phone"]), str(data["campaign"]), ts, str(data.get("purpose", "")),
                              str(data.get("principal", "")), str(data.get("region", "")))
        duration = _duration(data.get("duration_s"))
    except PhoneError as error:
        return _error(400, f"phone: {error}")
    except ValueError as error:
        return _error(400, str(error))
    attempt = base._replace(call_id=str(data["attempt_id"]), disposition=disposition, disposition_raw=disposition,
                            duration_s=duration, source="guard")
    done = await _in_store(request, shared.record, request.app[STATE_KEY]["engine"], guard, attempt,
                           str(data["started_at"]))
    if done == "conflict":
        return _reused_id(attempt.call_id)
    if done == "duplicate":
        return web.json_response({"recorded": False, "attempt_id": attempt.call_id, "duplicate": True})
    if done == "completed":  # the outcome of an attempt that check-and-record stored before the dial
        return web.json_response({"recorded": True, "attempt_id": attempt.call_id, "duplicate": False,
                                  "completed": True})
    return web.json_response({"recorded": True, "attempt_id": attempt.call_id, "duplicate": False}, status=201)


def _duration(raw: Any) -> float | None:
    """A call's duration in seconds: absent, or a finite number from 0 to a day (1e309 is not a duration)."""
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = float("nan")
    if isinstance(raw, bool) or not 0 <= value <= MAX_DURATION_S:  # also refuses nan and inf
        raise ValueError(f"duration_s: expected a number of seconds from 0 to {MAX_DURATION_S:g}, got {raw!r}")
    return value


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(OPENAPI)


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "version": __version__})


async def _flush_decisions(app: web.Application) -> None:
    state = app[STATE_KEY]
    batch, state["decisions"] = state["decisions"], []
    if batch:
        try:
            await asyncio.get_running_loop().run_in_executor(None, state["write_decisions"], batch)
        except Exception:
            state["decisions"][:0] = batch  # kept for the next flush (and the one at shutdown)
            raise


async def _decision_logger(app: web.Application) -> Any:
    """Write queued decisions every flush_s, and what is left at shutdown. A write under way when the guard
    stops is shielded and awaited, so the last flush never races it for the database (two writers on
    SQLite: one waits, and under load the wait can outlast the process)."""
    state = app[STATE_KEY]

    async def loop() -> None:
        while True:
            await asyncio.sleep(state["flush_s"])
            state["flushing"] = asyncio.ensure_future(_flush_decisions(app))
            try:
                await asyncio.shield(state["flushing"])
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - a logging hiccup must not stop the guard
                log.error("decision log write failed: %r", error, exc_info=log.isEnabledFor(logging.DEBUG))

    task = asyncio.create_task(loop())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    in_flight = state.get("flushing")
    if in_flight is not None:
        with contextlib.suppress(Exception):  # its batch went back to the queue if it failed
            await in_flight
    await _flush_decisions(app)


async def _stop_store_threads(app: web.Application) -> None:
    app[STATE_KEY]["store_threads"].shutdown(wait=True)


def make_app(guard: Guard, engine: Any, api_keys: tuple[str, ...], flush_s: float = 0.1,
             read_timeout_s: float = READ_TIMEOUT_S) -> web.Application:
    app = web.Application(middlewares=[authenticate], client_max_size=MAX_BODY)
    app[GUARD_KEY] = guard
    from campaigns.store.repo import decision_writer

    app[STATE_KEY] = {"engine": engine, "decisions": [], "keys": {k: _key_id(k) for k in api_keys},
                      "flush_s": flush_s, "write_decisions": decision_writer(engine), "read_timeout_s": read_timeout_s,
                      "store_threads": ThreadPoolExecutor(STORE_THREADS, thread_name_prefix="guard-store")}
    app.router.add_get("/v1/check", check)
    app.router.add_post("/v1/check-and-record", check_and_record)
    app.router.add_post("/v1/attempts", post_attempt)
    app.router.add_get("/v1/openapi.json", openapi)
    app.router.add_get("/v1/health", health)
    app.cleanup_ctx.append(_decision_logger)
    app.on_cleanup.append(_stop_store_threads)
    return app


def build_guard(config: GuardConfig) -> tuple[Guard, Any]:
    """Load rules and inputs and open the store (the history is read from it per question, not kept)."""
    from campaigns.engines.audit import AuditRequest, load_facts
    from campaigns.model.facts import Facts
    from campaigns.rules.load import load_packs
    from campaigns.rules.select import LOG_FIELDS, RuleSet
    from mystery_core.store.engine import open_store

    facts = Facts()
    facts.phones.default_region = config.default_region
    load_facts(AuditRequest(log=Path("-"), rules=config.rules, inputs=config.inputs), facts)
    facts.present |= LOG_FIELDS  # questions may carry dial_mode, region...: judged per request
    packs = load_packs(config.rules, config.params)
    guard = Guard(RuleSet(packs, list(config.rules), facts), facts)
    return guard, open_store(config.database_url)


def serve(config: GuardConfig, host: str, port: int, freeze_startup_objects: bool = False) -> None:
    """Load the guard and answer until SIGTERM/SIGINT.

    `freeze_startup_objects`: for a process that runs nothing but the guard (`campaigns guard serve`).
    Rules, inputs, calendars and the replayed history live as long as the process: moved out of the
    collector's sight (gc.freeze), full collections no longer rescan them in the middle of answering
    (a tail-latency pause). A caller embedding the guard leaves its collector as it is.
    """
    guard, engine = build_guard(config)
    app = make_app(guard, engine, config.api_keys, config.flush_s)
    if freeze_startup_objects:
        gc.collect()
        gc.freeze()

    async def run() -> None:
        runner = web.AppRunner(app, access_log=None, keepalive_timeout=KEEPALIVE_S)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = runner.addresses[0][1]
        print(f"guard listening on http://{host}:{bound}", flush=True)
        stop = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            asyncio.get_running_loop().add_signal_handler(signum, stop.set)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()  # flushes the decision log

    try:
        import uvloop  # libuv event loop: about half the per-request overhead of asyncio's
    except ImportError:
        asyncio.run(run())
    else:
        uvloop.run(run())


_DECISION = {
    "type": "object",
    "required": ["allowed", "reasons", "next_allowed_at", "permanent_block"],
    "properties": {
        "allowed": {"type": "boolean"},
        "reasons": {"type": "array", "items": {"type": "object", "properties": {
            "rule": {"type": "string"}, "message": {"type": "string"}, "citation": {"type": "string"},
            "certainty": {"type": "string", "enum": ["V", "S", "U", "V/S", "S/U", "V/U"]},
            "evidence": {"type": "object"}, "until": {"type": ["string", "null"], "format": "date-time"},
            "permanent": {"type": "boolean"}}}},
        "next_allowed_at": {"type": ["string", "null"], "format": "date-time"},
        "permanent_block": {"type": "boolean"},
        "not_evaluated": {"type": "array", "items": {"type": "object"}},
    },
}
_ERROR = {"type": "object", "properties": {"error": {"type": "string"}}}
OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "campaigns guard", "version": __version__,
             "description": "May this number be called now? The same rule packs as `campaigns audit`."},
    "components": {"securitySchemes": {"apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}}},
    "security": [{"apiKey": []}],
    "paths": {
        "/v1/check": {"get": {
            "summary": "Is a call to this number allowed at `at` (default now)?",
            "parameters": [
                {"name": "phone", "in": "query", "required": True, "schema": {"type": "string"},
                 "description": "E.164 or national number"},
                {"name": "campaign", "in": "query", "required": True, "schema": {"type": "string"}},
                {"name": "at", "in": "query", "schema": {"type": "string", "format": "date-time"},
                 "description": "ISO 8601 with offset; default now"},
                {"name": "purpose", "in": "query", "schema": {"type": "string", "enum": list(PURPOSES)},
                 "description": "default: the campaigns registry; 400 when neither gives it"},
                {"name": "principal", "in": "query", "schema": {"type": "string"}},
                {"name": "region", "in": "query", "schema": {"type": "string"},
                 "description": "department / state of the callee"},
                {"name": "caller_id", "in": "query", "schema": {"type": "string"}},
                {"name": "dial_mode", "in": "query", "schema": {"type": "string"},
                 "description": "a rule that needs a field the question lacks blocks the call (fail-closed)"},
            ],
            "responses": {"200": {"description": "decision", "content": {"application/json": {"schema": _DECISION}}},
                          "400": {"description": "bad request", "content": {"application/json": {"schema": _ERROR}}},
                          "401": {"description": "missing or unknown API key"},
                          "500": {"description": "internal error: allowed is false (fail-closed)",
                                  "content": {"application/json": {"schema": _DECISION}}}}}},
        "/v1/check-and-record": {"post": {
            "summary": "Judge a dial about to be made and, if allowed, record it in the same transaction",
            "description": "Serialised per person across every guard process sharing the database: of "
                           "simultaneous requests for a person's last permitted attempt exactly one is allowed. "
                           "The attempt is recorded as dialled (disposition `answered` until its outcome is "
                           "POSTed to /v1/attempts under the same attempt_id). Repeating the request with the "
                           "same attempt_id returns `duplicate: true` without recording twice.",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["attempt_id", "phone", "campaign"],
                "properties": {"attempt_id": {"type": "string"}, "phone": {"type": "string"},
                               "campaign": {"type": "string"},
                               "at": {"type": "string", "format": "date-time", "description": "default now"},
                               "purpose": {"type": "string", "enum": list(PURPOSES)}, "principal": {"type": "string"},
                               "region": {"type": "string"}, "caller_id": {"type": "string"},
                               "dial_mode": {"type": "string"}}}}}},
            "responses": {"201": {"description": "allowed and recorded",
                                  "content": {"application/json": {"schema": _DECISION}}},
                          "200": {"description": "refused (recorded: false, with the reasons), or a repeated "
                                                 "request (duplicate: true)",
                                  "content": {"application/json": {"schema": _DECISION}}},
                          "400": {"description": "bad request", "content": {"application/json": {"schema": _ERROR}}},
                          "408": {"description": "the body did not arrive in time"},
                          "409": {"description": "attempt_id already recorded with a different attempt"},
                          "401": {"description": "missing or unknown API key"},
                          "500": {"description": "internal error: allowed is false (fail-closed)",
                                  "content": {"application/json": {"schema": _DECISION}}}}}},
        "/v1/attempts": {"post": {
            "summary": "Record an attempt so counters stay current (idempotent on attempt_id), or the outcome "
                       "of one recorded by /v1/check-and-record",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["attempt_id", "phone", "campaign", "started_at", "disposition"],
                "properties": {"attempt_id": {"type": "string"}, "phone": {"type": "string"},
                               "campaign": {"type": "string"}, "started_at": {"type": "string", "format": "date-time"},
                               "disposition": {"type": "string", "enum": list(DISPOSITIONS)},
                               "purpose": {"type": "string", "enum": list(PURPOSES)}, "principal": {"type": "string"},
                               "duration_s": {"type": "number", "minimum": 0, "maximum": MAX_DURATION_S},
                               "region": {"type": "string"}}}}}},
            "responses": {"201": {"description": "recorded"},
                          "200": {"description": "already recorded (duplicate: true), or the outcome of an attempt "
                                                 "recorded by /v1/check-and-record (completed: true)"},
                          "400": {"description": "bad request", "content": {"application/json": {"schema": _ERROR}}},
                          "408": {"description": "the body did not arrive in time"},
                          "409": {"description": "attempt_id already recorded with a different attempt"},
                          "401": {"description": "missing or unknown API key"}}}},
        "/v1/openapi.json": {"get": {"summary": "This description", "security": [],
                                     "responses": {"200": {"description": "OpenAPI 3.1"}}}},
        "/v1/health": {"get": {"summary": "Liveness", "security": [], "responses": {"200": {"description": "ok"}}}},
    },
}
