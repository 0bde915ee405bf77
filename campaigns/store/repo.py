"""Records in, rows out: the SQL of `campaigns`, but for the guard's per-person history (guard_history.py,
whose writes hold the person's lock).

An audit run is written in one transaction: a failed audit leaves nothing half-written.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from campaigns.model.records import RejectedRow, Violation
from campaigns.store import schema
from mystery_core import jsontext
from mystery_core.store.engine import inserted_id

BATCH = 2000


VIOLATION_COLUMNS = ("run_id", "call_id", "rule", "phone", "person_id", "campaign", "principal", "local_time",
                     "message", "evidence", "source", "line", "started_at_utc", "also_breaches")


class RunRecorder:
    """Buffers violations and rejected rows of one audit and writes them in batches.

    Violations go straight to the driver as tuples, their evidence already JSON text: a 1M-row audit
    stores a quarter of a million, and SQLAlchemy's per-row parameter handling cost more than the
    database's own work. PostgreSQL through psycopg takes them with COPY (client CPU a seventh of
    executemany's, wall time a third to a half: 52k findings, 0.09 s against 0.63-0.79 s of CPU); other
    databases with executemany and the INSERT SQLAlchemy compiles for the dialect.
    Each batch is written by one worker thread while the audit goes on (the drivers release the GIL
    while the database works); one batch at a time, so the connection is never used by two threads at
    once, and `finish` / `close` wait for it (a write error surfaces there, or at the next batch)."""

    def __init__(self, connection: Connection, log_path: str, packs: list[str], params: dict[str, str]) -> None:
        self.connection = connection
        result = connection.execute(schema.audit_runs.insert().values(
            started_at=_now(), log_path=log_path, packs=packs, params=params))
        self.run_id = inserted_id(result)
        self._violations: list[tuple[Any, ...]] = []
        self._rejected: list[dict[str, Any]] = []
        self._insert_violations, self._positional = _driver_insert(connection, schema.violations, VIOLATION_COLUMNS)
        self._copy_violations = _copy_statement(connection, schema.violations, VIOLATION_COLUMNS)
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store")
        self._pending: Future[None] | None = None

    def violation(self, v: Violation, evidence_json: str | None = None) -> None:
        """Store one finding; `evidence_json`: its evidence already serialized (else it is serialized here)."""
        self._violations.append((self.run_id, v.call_id, v.rule, v.phone, v.person_id, v.campaign, v.principal,
                                 v.local_time, v.message, evidence_json if evidence_json is not None else
                                 jsontext.dumps(v.evidence), v.source, v.line, v.started_at_utc,
                                 " ".join(v.also_breaches)))
        if len(self._violations) >= BATCH:
            self._flush()

    def rejected(self, row: RejectedRow) -> None:
        self._rejected.append({"run_id": self.run_id, "source": row.source, "line": row.line, "field": row.field,
                               "reason": row.reason})
        if len(self._rejected) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        self._wait()
        violations, rejected = self._violations, self._rejected
        self._violations, self._rejected = [], []
        if violations or rejected:
            self._pending = self._writer.submit(self._write, violations, rejected)

    def _write(self, violations: list[tuple[Any, ...]], rejected: list[dict[str, Any]]) -> None:
        if violations and self._copy_violations:
            cursor = self.connection.connection.cursor()
            try:
                with cursor.copy(self._copy_violations) as copy:
                    for row in violations:
                        copy.write_row(row)
            finally:
                cursor.close()
        elif violations:
            rows = violations if self._positional else [dict(zip(VIOLATION_COLUMNS, row, strict=True))
                                                        for row in violations]
            self.connection.exec_driver_sql(self._insert_violations, rows)
        if rejected:
            self.connection.execute(schema.rejected_rows.insert(), rejected)

    def _wait(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def close(self) -> None:
        """Wait for a batch being written and stop the writer (also when the audit failed)."""
        try:
            self._wait()
        finally:
            self._writer.shutdown(wait=True)

    def finish(self, *, log_sha256: str, log_format: str, evidence: dict[str, Any], summary: dict[str, Any],
               rows: int, attempts: int, rejected: int, violations: int, exit_code: int) -> None:
        self._flush()
        self.close()
        self.connection.execute(schema.audit_runs.update().where(schema.audit_runs.c.id == self.run_id).values(
            finished_at=_now(), log_sha256=log_sha256, log_format=log_format, evidence=evidence, summary=summary,
            rows=rows, attempts=attempts, rejected=rejected, violations=violations, exit_code=exit_code))


def _driver_insert(connection: Connection, table: sa.Table, columns: tuple[str, ...]) -> tuple[str, bool]:
    """The dialect's INSERT text for `columns` (the JSON column takes text, cast where the database needs
    it), and whether its parameters are positional (sqlite: ?) or named (psycopg: %(name)s)."""
    values: dict[str, Any] = {name: sa.bindparam(name, type_=table.c[name].type) for name in columns}
    values["evidence"] = sa.bindparam("evidence", type_=sa.Text)
    if connection.dialect.name == "postgresql":
        values["evidence"] = sa.cast(values["evidence"], table.c.evidence.type)
    compiled = table.insert().inline().values(values).compile(dialect=connection.dialect)
    if compiled.positional:
        assert tuple(compiled.positiontup or ()) == columns, compiled.positiontup
    return compiled.string, bool(compiled.positional)


def _copy_statement(connection: Connection, table: sa.Table, columns: tuple[str, ...]) -> str | None:
    """`COPY table (columns) FROM STDIN` when the connection is PostgreSQL through psycopg (3), whose cursors
    copy rows as tuples; None otherwise."""
    if connection.dialect.name != "postgresql" or connection.dialect.driver != "psycopg":
        return None
    quote = connection.dialect.identifier_preparer
    return (f"COPY {quote.format_table(table)} ({', '.join(quote.quote(name) for name in columns)}) "
            "FROM STDIN")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def load_violations(engine: Engine, run_id: int) -> list[dict[str, Any]]:
    """Violations of a run, in a stable order, as plain dicts (for comparisons and exports)."""
    v = schema.violations
    query = sa.select(v.c.call_id, v.c.rule, v.c.phone, v.c.person_id, v.c.campaign, v.c.principal, v.c.local_time,
                      v.c.message, v.c.evidence, v.c.source, v.c.line, v.c.started_at_utc, v.c.also_breaches).where(
        v.c.run_id == run_id).order_by(v.c.started_at_utc, v.c.call_id, v.c.rule)
    with engine.connect() as connection:
        return [_listed(dict(row._mapping)) for row in connection.execute(query)]


def _listed(row: dict[str, Any]) -> dict[str, Any]:
    """A stored finding with its `also_breaches` as a list of rule ids (stored space-separated)."""
    row["also_breaches"] = str(row.get("also_breaches") or "").split()
    return row


RUN_LIST_COLUMNS = ("id", "started_at", "finished_at", "log_path", "log_format", "packs", "rows", "attempts",
                    "rejected", "violations", "exit_code")
VIOLATION_PAGE_COLUMNS = ("call_id", "rule", "phone", "person_id", "campaign", "principal", "local_time",
                          "message", "evidence", "source", "line", "started_at_utc", "also_breaches")


def list_runs(engine: Engine) -> list[dict[str, Any]]:
    """Every audit run, newest first, without the bulky JSON columns."""
    runs = schema.audit_runs
    query = sa.select(*(runs.c[name] for name in RUN_LIST_COLUMNS)).order_by(runs.c.id.desc())
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def run_exists(engine: Engine, run_id: int) -> bool:
    """Whether an audit run with this id is stored."""
    runs = schema.audit_runs
    with engine.connect() as conn:
        return conn.execute(sa.select(runs.c.id).where(runs.c.id == run_id)).first() is not None


def count_violations_by_rule(engine: Engine, run_id: int) -> list[tuple[str, int]]:
    """(rule, violations) of a run, the most frequent rule first, ties by rule name."""
    v = schema.violations
    query = (sa.select(v.c.rule, sa.func.count()).where(v.c.run_id == run_id)
             .group_by(v.c.rule).order_by(sa.func.count().desc(), v.c.rule))
    with engine.connect() as conn:
        return [(str(rule), int(count)) for rule, count in conn.execute(query)]


def count_violations_by(engine: Engine, run_id: int, key: str) -> list[tuple[str, int]]:
    """(value, violations) of a run grouped by `key`: `rule`, `campaign`, `day` (the callee local date, first 10
    characters of local_time) or `person` (the person id, else the number); the most frequent first, ties by value;
    `day` in date order. For the dashboard's charts, without loading the findings."""
    v = schema.violations
    column = {"rule": v.c.rule, "campaign": v.c.campaign, "day": sa.func.substr(v.c.local_time, 1, 10),
              "person": sa.func.coalesce(sa.func.nullif(v.c.person_id, ""), v.c.phone)}[key]
    order = (column,) if key == "day" else (sa.func.count().desc(), column)
    query = sa.select(column, sa.func.count()).where(v.c.run_id == run_id).group_by(column).order_by(*order)
    if key == "day":
        query = query.where(v.c.local_time != "")
    with engine.connect() as conn:
        return [(str(value), int(count)) for value, count in conn.execute(query)]


def load_person_findings(engine: Engine, run_id: int, persons: list[str]) -> list[tuple[str, str, str]]:
    """(person label, phone, call id) of each finding of these persons (label: person id, else the number)."""
    v = schema.violations
    label = sa.func.coalesce(sa.func.nullif(v.c.person_id, ""), v.c.phone)
    query = sa.select(label, v.c.phone, v.c.call_id).where(v.c.run_id == run_id, label.in_(persons)).order_by(v.c.id)
    with engine.connect() as conn:
        return [(str(a), str(b), str(c)) for a, b, c in conn.execute(query)]


def load_rule_violations(engine: Engine, run_id: int, rule: str, offset: int = 0,
                         limit: int = 50) -> list[dict[str, Any]]:
    """One page of a rule's violations in a run, oldest call first (a large audit is read a page at a time)."""
    v = schema.violations
    query = (sa.select(*(v.c[name] for name in VIOLATION_PAGE_COLUMNS)).where(v.c.run_id == run_id, v.c.rule == rule)
             .order_by(v.c.started_at_utc, v.c.call_id, v.c.id).offset(offset).limit(limit))
    with engine.connect() as conn:
        return [_listed(dict(row._mapping)) for row in conn.execute(query)]


def load_run(engine: Engine, run_id: int) -> dict[str, Any]:
    with engine.connect() as connection:
        row = connection.execute(sa.select(schema.audit_runs).where(schema.audit_runs.c.id == run_id)).one()
        return dict(row._mapping)


def load_rejected(engine: Engine, run_id: int) -> list[dict[str, Any]]:
    r = schema.rejected_rows
    with engine.connect() as connection:
        rows = connection.execute(sa.select(r.c.source, r.c.line, r.c.field, r.c.reason).where(
            r.c.run_id == run_id).order_by(r.c.source, r.c.line))
        return [dict(row._mapping) for row in rows]


DECISION_COLUMNS = ("decided_at", "api_key", "phone", "campaign", "at", "allowed", "reasons", "next_allowed_at",
                    "permanent_block")
"""Order of the tuples the guard queues for `campaigns_guard_decisions` (reasons already JSON text)."""


def decision_writer(engine: Engine) -> Callable[[list[tuple[Any, ...]]], None]:
    """A function writing queued decision tuples in one transaction through the driver's own executemany.

    The guard writes on a worker thread while the event loop answers; SQLAlchemy's per-row bind
    processing held the GIL for milliseconds per batch and the loop waited on it (the 1,000 req/s tail).
    The INSERT is compiled once for the engine's dialect and rows go to the DBAPI cursor as they are.
    """
    compiled = schema.guard_decisions.insert().compile(dialect=engine.dialect, column_keys=list(DECISION_COLUMNS))
    sql = str(compiled)
    if engine.dialect.positional:
        order = [DECISION_COLUMNS.index(name) for name in compiled.positiontup or ()]
        if order == list(range(len(DECISION_COLUMNS))):
            def params(rows: list[tuple[Any, ...]]) -> list[Any]:
                return rows
        else:
            def params(rows: list[tuple[Any, ...]]) -> list[Any]:
                return [tuple(row[i] for i in order) for row in rows]
    else:
        def params(rows: list[tuple[Any, ...]]) -> list[Any]:
            return [dict(zip(DECISION_COLUMNS, row, strict=True)) for row in rows]

    def write(rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            try:
                cursor.executemany(sql, params(rows))
            finally:
                cursor.close()
            raw.commit()
        finally:
            raw.close()

    return write


def count_decisions(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.select(sa.func.count()).select_from(schema.guard_decisions)).scalar_one())
