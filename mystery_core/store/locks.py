"""One transaction at a time per key, across processes and hosts sharing one database.

Several processes write the same rows: guards on several hosts recording a person's attempts,
dialer hosts claiming a campaign's next call, processes migrating a fresh database. Each such
write runs in `locked_transaction(engine, key)`:

* PostgreSQL: `pg_advisory_xact_lock` on a 64-bit number derived from the key, taken first in the
  transaction and released by its commit or rollback; the transaction is READ COMMITTED whatever
  the server's default, so the statements after the wait see what the previous holder committed
  (under REPEATABLE READ or SERIALIZABLE the snapshot would date from the lock request).
* SQLite: `BEGIN IMMEDIATE` takes the file's write lock before the first read (pysqlite would
  begin only at the first write), so a second process waits (busy_timeout) for the first to commit;
  the key does not matter, the whole file is one lock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy import Connection, Engine


class UnsupportedDatabase(ValueError):
    """Writers are serialised on SQLite and PostgreSQL only."""


def lock_number(key: str) -> int:
    """The signed 64-bit advisory-lock number of `key` (the same in every process and on every host)."""
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextmanager
def locked_connection(connection: Connection, key: str) -> Iterator[Connection]:
    """`connection` in a transaction that holds the lock of `key` from its first statement to its end:
    committed when the block ends, rolled back when it raises."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.execution_options(isolation_level="READ COMMITTED")
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_number(key)})
    elif dialect == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        raise UnsupportedDatabase(f"database: writers are serialised on sqlite or postgresql, got {dialect}")
    try:
        yield connection
    except BaseException:
        connection.rollback()
        raise
    connection.commit()


@contextmanager
def locked_transaction(engine: Engine, key: str) -> Iterator[Connection]:
    """A new connection in a transaction holding the lock of `key` (see `locked_connection`)."""
    with engine.connect() as connection, locked_connection(connection, key) as locked:
        yield locked


@contextmanager
def held_if_free(engine: Engine, key: str) -> Iterator[bool]:
    """Try the lock of `key` for as long as the block runs, without waiting: True if this process holds it,
    False if another does (it should skip the work). A PostgreSQL session lock on a connection in autocommit
    (no transaction stays open for a long work); on SQLite, always True (one runner per store)."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        number = lock_number(key)
        mine = bool(connection.execute(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": number}).scalar())
        try:
            yield mine
        finally:
            if mine:
                connection.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": number})
