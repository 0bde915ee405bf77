"""The guard's shared history in the store: a person's attempts read, and written under that person's lock.

Why a module of its own: several guard processes (on several hosts) answer from one database, so
no process may trust a history it keeps in memory; each question reads the person's attempts here,
and every write of a person's history happens inside `person_transaction`, which serialises the
writers of one person across processes:

an advisory lock on PostgreSQL, the file's write lock on SQLite (mystery_core.store.locks).

The SQL the guard runs per question is all here (repo.py keeps the audit's and the decision log's).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from campaigns.model.records import Attempt
from campaigns.store import schema
from mystery_core.store import locks

ATTEMPT_COLUMNS = ("attempt_id", "phone", "campaign", "principal", "purpose", "disposition", "started_at", "ts",
                   "duration_s", "region", "outcome_pending")
"""What a stored guard attempt reads back as (a dict with these keys)."""

_t = schema.guard_attempts
_SELECT = sa.select(*(_t.c[name] for name in ATTEMPT_COLUMNS))
# Outcomes the history keeps whatever their age (the latest refusal, the first opt-out, the latest abandoned
# call per number); every other attempt matters only inside the rules' look-back.
MARKS = ("refused", "opt_out", "abandoned")
_OF_PERSON = sa.and_(_t.c.principal == sa.bindparam("principal"), _t.c.phone.in_(sa.bindparam("phones", expanding=True)),
                     sa.or_(_t.c.ts >= sa.bindparam("since"), _t.c.disposition.in_(MARKS)))
_OF_ID = _t.c.attempt_id == sa.bindparam("attempt_id")
_PERSON = _SELECT.where(_OF_PERSON).order_by(_t.c.ts, _t.c.attempt_id)
_BY_ID = _SELECT.where(_OF_ID)
_PERSON_OR_ID = _SELECT.where(sa.or_(_OF_PERSON, _OF_ID)).order_by(_t.c.ts, _t.c.attempt_id)


def lock_number(lock_key: str) -> int:
    """The signed 64-bit advisory-lock key of a person key (stable across processes and hosts)."""
    return locks.lock_number("campaigns.guard:" + lock_key)


@contextmanager
def person_transaction(engine: Engine, lock_key: str) -> Iterator[Connection]:
    """A transaction that holds the lock of person `lock_key` from its first statement to its commit.

    Commits when the block ends, rolls back when it raises: an attempt is written together with the
    decision that allowed it, or not at all.
    """
    with locks.locked_transaction(engine, "campaigns.guard:" + lock_key) as connection:
        yield connection


def person_attempts(connection: Connection, principal: str, phones: Sequence[str],
                    since: float) -> list[dict[str, Any]]:
    """The stored attempts to any of `phones` made for `principal` from `since` (UTC epoch) on, and the
    refusals, opt-outs and abandoned calls of any age, oldest first."""
    rows = connection.execute(_PERSON, {"principal": principal, "phones": list(phones), "since": since})
    return [dict(row._mapping) for row in rows]


def person_attempts_and_id(connection: Connection, principal: str, phones: Sequence[str], since: float,
                           attempt_id: str) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """person_attempts, and the attempt stored under `attempt_id` (or None), in one statement (one round trip
    fewer inside the person's lock)."""
    rows = [dict(row._mapping) for row in connection.execute(
        _PERSON_OR_ID, {"principal": principal, "phones": list(phones), "since": since, "attempt_id": attempt_id})]
    stored = next((row for row in rows if row["attempt_id"] == attempt_id), None)
    phone_set = set(phones)
    return [row for row in rows if row["principal"] == principal and row["phone"] in phone_set
            and (row["ts"] >= since or row["disposition"] in MARKS)], stored


def read_person_attempts(engine: Engine, principal: str, phones: Sequence[str], since: float) -> list[dict[str, Any]]:
    """person_attempts outside any lock: what is committed now (the plain question, GET /v1/check)."""
    with engine.connect() as connection:
        return person_attempts(connection, principal, phones, since)


def stored_attempt(connection: Connection, attempt_id: str) -> dict[str, Any] | None:
    """The attempt stored under `attempt_id`, or None."""
    row = connection.execute(_BY_ID, {"attempt_id": attempt_id}).first()
    return None if row is None else dict(row._mapping)


def insert_attempt(connection: Connection, attempt: Attempt, started_at: str, outcome_pending: bool) -> bool:
    """Store an attempt; False when its attempt_id is taken (the caller compares with stored_attempt).

    Under the person's lock a taken id is normally seen first; a concurrent writer of the same id for
    another person is caught by the primary key, without aborting the transaction.
    """
    row = _row(attempt, started_at)
    row["outcome_pending"] = outcome_pending
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    result = connection.execute(insert(_t).values(**row).on_conflict_do_nothing(index_elements=["attempt_id"]))
    return bool(result.rowcount)


def complete_attempt(connection: Connection, attempt: Attempt, started_at: str) -> None:
    """Write the outcome (start, disposition, duration) of an attempt recorded before its dial."""
    row = _row(attempt, started_at)
    connection.execute(_t.update().where(_t.c.attempt_id == attempt.call_id).values(
        started_at=row["started_at"], ts=row["ts"], disposition=row["disposition"], duration_s=row["duration_s"],
        received_at=row["received_at"], outcome_pending=False))


def _row(attempt: Attempt, started_at: str) -> dict[str, Any]:
    return {"attempt_id": attempt.call_id, "phone": attempt.phone, "campaign": attempt.campaign,
            "principal": attempt.principal, "purpose": attempt.purpose, "disposition": attempt.disposition,
            "started_at": started_at, "ts": attempt.ts, "duration_s": attempt.duration_s, "region": attempt.region,
            "received_at": datetime.now(UTC).isoformat(timespec="seconds")}
