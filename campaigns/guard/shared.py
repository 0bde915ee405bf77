"""The guard's questions and records against the shared store, so that several guard processes agree.

Why: a guard that judged from a history kept in its own memory could not see what another guard
process recorded, and with checking and recording in two calls two dialers asking at once could both
be allowed a person's last permitted attempt. Here every answer is judged on the person's attempts
read from the store, and `check_and_record` reads, judges and writes inside one transaction that
holds the person's lock (campaigns.store.guard_history.person_transaction), so of any number of
simultaneous requests for one person, on any number of guard processes, they are judged one after
the other, each on the attempts the previous ones recorded.

These functions block on the database: the HTTP layer runs them on its store threads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Engine

from campaigns.guard.decide import Decision, Guard, same_attempt, same_dial
from campaigns.model.records import Attempt
from campaigns.store.guard_history import (
    complete_attempt,
    insert_attempt,
    person_attempts_and_id,
    person_transaction,
    read_person_attempts,
    stored_attempt,
)


@dataclass(frozen=True, slots=True)
class Claim:
    """What check-and-record did.

    decision: the judgement (None when the id was already taken); recorded: the attempt was written in the
    transaction that judged it; duplicate: the same dial was already recorded under this id and still
    awaits its outcome (a retry: allowed, not written twice); conflict: the id belongs to another attempt.
    """

    decision: Decision | None
    recorded: bool = False
    duplicate: bool = False
    conflict: bool = False


Recorded = Literal["recorded", "completed", "duplicate", "conflict"]


def check(engine: Engine, guard: Guard, attempt: Attempt) -> Decision:
    """Judge a question on what the store holds now for its person (no lock: nothing is written)."""
    _, phones = guard.person(attempt)
    rows = read_person_attempts(engine, attempt.principal, phones, attempt.ts - guard.keep_s)
    return guard.decide(attempt, guard.history(attempt, rows))


def check_and_record(engine: Engine, guard: Guard, attempt: Attempt, started_at: str) -> Claim:
    """Judge `attempt` and, when it is allowed, record it before the person's lock is released."""
    lock_key, phones = guard.person(attempt)
    with person_transaction(engine, lock_key) as connection:
        rows, stored = person_attempts_and_id(connection, attempt.principal, phones, attempt.ts - guard.keep_s,
                                              attempt.call_id)
        if stored is not None:
            retry = stored["outcome_pending"] and same_dial(guard.attempt_of_row(stored), attempt)
            return Claim(None, duplicate=bool(retry), conflict=not retry)
        decision = guard.decide(attempt, guard.history(attempt, rows))
        if not decision.allowed:
            return Claim(decision)
        if not insert_attempt(connection, attempt, started_at, outcome_pending=True):
            return Claim(None, conflict=True)  # taken meanwhile by an attempt to someone else
        return Claim(decision, recorded=True)


def record(engine: Engine, guard: Guard, attempt: Attempt, started_at: str) -> Recorded:
    """Record a dial's outcome: `recorded` (new), `completed` (the outcome of an attempt check-and-record
    stored before the dial), `duplicate` (the same attempt again) or `conflict` (the id is another's)."""
    lock_key, _ = guard.person(attempt)
    with person_transaction(engine, lock_key) as connection:
        stored = stored_attempt(connection, attempt.call_id)
        if stored is None:
            if insert_attempt(connection, attempt, started_at, outcome_pending=False):
                return "recorded"
            stored = stored_attempt(connection, attempt.call_id)  # written meanwhile under another person's lock
            assert stored is not None
        prior = guard.attempt_of_row(stored)
        if stored["outcome_pending"] and same_dial(prior, attempt):
            complete_attempt(connection, attempt, started_at)
            return "completed"
        return "duplicate" if same_attempt(prior, attempt) else "conflict"
