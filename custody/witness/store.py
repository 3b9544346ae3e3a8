"""The witness's memory: the latest cosigned checkpoint of each log, in its own SQLite file.

The compare-and-store is one SQL statement the database decides: ``UPDATE … WHERE size = old AND
root = old root`` (or an ``INSERT`` that the primary key refuses a second time), so two requests
racing from the same old size cannot both advance the log; the loser sees 0 rows changed. That is
the rollback race tlog-witness warns about. Connections are in autocommit mode (each statement is
its own transaction), one per call, so the threads of a server never share one.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS logs (
    origin TEXT PRIMARY KEY,
    size INTEGER NOT NULL CHECK (size >= 0),
    root TEXT NOT NULL,          -- lowercase hex
    note TEXT NOT NULL,          -- the checkpoint as the log signed it
    updated_at INTEGER NOT NULL  -- UNIX seconds
);
CREATE TABLE IF NOT EXISTS refused (
    id INTEGER PRIMARY KEY,
    origin TEXT NOT NULL,
    at INTEGER NOT NULL,
    reason TEXT NOT NULL,
    request TEXT NOT NULL        -- signed by the log: evidence if it rewrote its history
);
"""


@dataclass(frozen=True)
class Cosigned:
    """The latest checkpoint this witness cosigned for one log."""

    size: int
    root: bytes
    note: str


class WitnessStore:
    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # synchronous=FULL: the spec wants the new checkpoint persisted before the witness answers.
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            conn.execute("PRAGMA synchronous=FULL")
            yield conn
        finally:
            conn.close()

    def latest(self, origin: str) -> Cosigned | None:
        with self._connect() as conn:
            row = conn.execute("SELECT size, root, note FROM logs WHERE origin = ?", (origin,)).fetchone()
        return None if row is None else Cosigned(row[0], bytes.fromhex(row[1]), row[2])

    def advance(self, origin: str, old: Cosigned | None, size: int, root: bytes, note: str) -> bool:
        """Store (size, root) if the log's record is still ``old``; False when another request changed it first."""
        now = int(time.time())
        with self._connect() as conn:
            if old is None:
                try:
                    conn.execute(
                        "INSERT INTO logs (origin, size, root, note, updated_at) VALUES (?, ?, ?, ?, ?)",
                        (origin, size, root.hex(), note, now),
                    )
                except sqlite3.IntegrityError:
                    return False
                return True
            changed = conn.execute(
                "UPDATE logs SET size = ?, root = ?, note = ?, updated_at = ?"
                " WHERE origin = ? AND size = ? AND root = ?",
                (size, root.hex(), note, now, origin, old.size, old.root.hex()),
            ).rowcount
        return changed == 1

    def refuse(self, origin: str, reason: str, request: str) -> None:
        """Keep a refused request that the log signed (an inconsistent checkpoint is proof of misbehaviour)."""
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO refused (origin, at, reason, request) VALUES (?, ?, ?, ?)",
                (origin, int(time.time()), reason, request),
            )

    def refused(self, origin: str) -> list[tuple[int, str, str]]:
        """(at, reason, request) of the refused requests of a log, oldest first."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT at, reason, request FROM refused WHERE origin = ? ORDER BY id", (origin,)
            ).fetchall()
        return [(at, reason, request) for at, reason, request in rows]
