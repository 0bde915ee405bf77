"""Agent seats and call counters shared by every worker process, in one SQLite file.

Why SQLite: the workers are separate processes (pjsua2 allows 4 calls each), yet a
queue with N agents must make the (N+1)-th concurrent caller wait no matter which
worker took the call. ``BEGIN IMMEDIATE`` serialises claims; waiting calls are
served first-in first-out; rows left by a crashed worker are freed on the next claim.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS seats (
    queue TEXT NOT NULL, seat INTEGER NOT NULL, call_key TEXT, pid INTEGER, since REAL,
    PRIMARY KEY (queue, seat));
CREATE TABLE IF NOT EXISTS waiting (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL, call_key TEXT NOT NULL UNIQUE,
    pid INTEGER NOT NULL, since REAL NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


def create_seats(path: Path, queues: dict[str, int]) -> None:
    """Create (or reset) the state file with ``queues[name]`` free seats per queue."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(SCHEMA)
        db.execute("DELETE FROM seats")
        db.execute("DELETE FROM waiting")
        db.executemany(
            "INSERT INTO seats (queue, seat) VALUES (?, ?)",
            [(q, i) for q, n in queues.items() for i in range(n)],
        )
    db.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Seats:
    """One worker's handle on the shared state file."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, timeout=2.0, isolation_level=None)
        self._db.execute("PRAGMA busy_timeout=2000")
        self._db.execute("PRAGMA synchronous=OFF")  # state lives as long as the simulator: no fsync
        self._pid = os.getpid()

    def close(self) -> None:
        self._db.close()

    def next_seq(self, name: str) -> int:
        """0, 1, 2, ... per counter name, across all workers (seeds per-call randomness)."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            row = db.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
            value = 0 if row is None else row[0] + 1
            db.execute("INSERT OR REPLACE INTO counters (name, value) VALUES (?, ?)", (name, value))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return value

    def enqueue(self, queue: str, call_key: str) -> None:
        """Join the back of ``queue``."""
        self._db.execute(
            "INSERT OR IGNORE INTO waiting (queue, call_key, pid, since) VALUES (?, ?, ?, ?)",
            (queue, call_key, self._pid, time.time()),
        )

    def try_claim(self, queue: str, call_key: str) -> int | None:
        """Take a free seat if this call is at the head of the queue; returns the seat number."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            self._free_dead(queue)
            head = db.execute(
                "SELECT call_key FROM waiting WHERE queue = ? ORDER BY seq LIMIT 1", (queue,)
            ).fetchone()
            seat = None
            if head is not None and head[0] == call_key:
                row = db.execute(
                    "SELECT seat FROM seats WHERE queue = ? AND call_key IS NULL ORDER BY seat LIMIT 1", (queue,)
                ).fetchone()
                if row is not None:
                    seat = row[0]
                    db.execute(
                        "UPDATE seats SET call_key = ?, pid = ?, since = ? WHERE queue = ? AND seat = ?",
                        (call_key, self._pid, time.time(), queue, seat),
                    )
                    db.execute("DELETE FROM waiting WHERE call_key = ?", (call_key,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return seat

    def leave(self, call_key: str) -> None:
        """Forget the call: leave the waiting line and free its seat, if any."""
        self._db.execute("DELETE FROM waiting WHERE call_key = ?", (call_key,))
        self._db.execute("UPDATE seats SET call_key = NULL, pid = NULL, since = NULL WHERE call_key = ?", (call_key,))

    def busy_seats(self, queue: str) -> int:
        """How many agents of ``queue`` are on a call now."""
        row = self._db.execute(
            "SELECT COUNT(*) FROM seats WHERE queue = ? AND call_key IS NOT NULL", (queue,)
        ).fetchone()
        return int(row[0])

    def waiting_count(self, queue: str) -> int:
        """How many calls wait in ``queue`` now."""
        return int(self._db.execute("SELECT COUNT(*) FROM waiting WHERE queue = ?", (queue,)).fetchone()[0])

    def _free_dead(self, queue: str) -> None:
        pids = {
            r[0]
            for r in self._db.execute(
                "SELECT pid FROM seats WHERE queue = ? AND pid IS NOT NULL UNION SELECT pid FROM waiting WHERE queue = ?",
                (queue, queue),
            )
        }
        for pid in pids:
            if pid != self._pid and not _alive(pid):
                self._db.execute("DELETE FROM waiting WHERE pid = ?", (pid,))
                self._db.execute("UPDATE seats SET call_key = NULL, pid = NULL, since = NULL WHERE pid = ?", (pid,))
