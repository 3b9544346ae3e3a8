"""A centre served by gunicorn for the crash tests, and what they need around it.

* ``Centre``: a database and files folder of the test's own, built by ``flask custody init`` and
  ``flask custody demo``, with API tokens for the demo users; served (and served again after each kill)
  by ``tests.serving.gunicorn`` with the pause hooks of ``gunicorn_pause.py`` loaded.
* ``Watch``: asks the database itself whether a write transaction is open (PostgreSQL: a backend of the
  app's database with a transaction id in ``pg_stat_activity``; SQLite: the write lock is held, so a
  ``BEGIN IMMEDIATE`` from another connection is refused at once).
* ``crash``: runs one act's request in a thread and kills the whole server group at a chosen point.
* ``check_ledger``: after a restart, the head, the entries, the index and the Merkle tree agree.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shlex
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, make_url, text
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from custody.ledger import tree
from custody.ledger.offline import leaf_hash, node_hash
from tests import serving

PASSWORD = "Crash-test-pw-1"
HOOKS = Path(__file__).with_name("gunicorn_pause.py")
USERS = ("police.handler", "police.approver", "pro.handler", "keeper", "auditor")
# Kill points: the act's transaction seen open in the database for a while; frozen just before the
# COMMIT is sent (every row written); frozen just after the COMMIT (the client never hears back).
OPEN, BEFORE_COMMIT, AFTER_COMMIT = "open", "before_commit", "after_commit"
PRESENT, ABSENT = "present", "absent"


class Watch:
    """Whether a write transaction is open in the app's database, as the database shows it."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        self.sqlite = parsed.get_backend_name() == "sqlite"
        self._conn: Any = None
        if self.sqlite:
            self._conn = sqlite3.connect(str(parsed.database), timeout=0, isolation_level=None)
        else:
            self._engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
            self._conn = self._engine.connect()

    def open_write(self) -> str | None:
        """A key naming the open write transaction (the same while it lasts), or None."""
        if self.sqlite:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc) or "busy" in str(exc):
                    return "write-lock"
                raise
            self._conn.execute("ROLLBACK")
            return None
        # Autocommit: each query reads fresh statistics (they are a snapshot inside a transaction). Client
        # backends only: autovacuum's ANALYZE after a 10,000-row insert takes a transaction id too.
        row = self._conn.execute(
            text(
                "SELECT pid, backend_xid::text FROM pg_stat_activity WHERE datname = current_database()"
                " AND backend_type = 'client backend' AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
                " ORDER BY xact_start LIMIT 1"
            )
        ).first()
        return f"{row[0]}:{row[1]}" if row else None

    def close(self) -> None:
        self._conn.close()
        if not self.sqlite:
            self._engine.dispose()


@dataclass
class Centre:
    url: str
    instance: Path
    env: dict[str, str]
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def pause_dir(self) -> Path:
        return self.instance / "pause"

    def serve(self) -> contextlib.AbstractContextManager[serving.Server]:
        """gunicorn on the same database and files folder, without a kill point armed."""
        for name in ("arm", "paused"):
            (self.pause_dir / name).unlink(missing_ok=True)
        # One worker: a kill takes the whole group (master and workers) whatever their number, and on a
        # loaded 2-core machine a second worker booting beside the first doubles every restart (3 s → 7 s).
        return serving.gunicorn(self.env, workers=1, timeout=300)

    @contextlib.contextmanager
    def db(self) -> Iterator[Connection]:
        """A connection of the test's own, opened and closed around each look (nothing held between acts)."""
        engine = create_engine(self.url, poolclass=NullPool)
        try:
            with engine.connect() as conn:
                yield conn
        finally:
            engine.dispose()

    def verify_cli(self) -> str:
        """``flask custody verify``, as an operator runs it after a restart: exit 0, "ledger intact"."""
        result = serving.flask(self.env, "verify")
        assert result.returncode == 0, result.stdout + result.stderr
        assert "ledger intact" in result.stdout, result.stdout
        return result.stdout


def living_in(groups: list[int]) -> list[str]:
    """Processes (not zombies) whose process group is one of ``groups``, from /proc."""
    left = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            text_ = stat.read_text()
            # pid (comm) state ppid pgrp …: comm may hold spaces, so split after its closing parenthesis.
            state, _ppid, pgrp = text_[text_.rindex(")") + 2 :].split()[:3]
            if int(pgrp) in groups and state != "Z":
                left.append(text_[: text_.rindex(")") + 1])
    return left


def build_centre(url: str, instance: Path) -> Centre:
    """Schema by ``custody init``; agencies, users and a warehouse by ``custody demo`` (tokens: on first serve)."""
    pause = instance / "pause"
    pause.mkdir(parents=True, exist_ok=True)
    env = serving.environment(
        url, instance, CRASH_PAUSE_DIR=str(pause), GUNICORN_CMD_ARGS=f"-c {shlex.quote(str(HOOKS))}"
    )
    for args in (("init",), ("demo", "--password", PASSWORD)):
        result = serving.flask(env, *args)
        assert result.returncode == 0, result.stdout + result.stderr
    return Centre(url, instance, env)


class Serving:
    """The test's server, started again (same database, same files) after each kill; stopped at the end,
    also when the test fails, so no process outlives the test."""

    def __init__(self, centre: Centre) -> None:
        self.centre = centre
        self._running: contextlib.AbstractContextManager[serving.Server] | None = None
        self.server: serving.Server

    def __enter__(self) -> Serving:
        self.start()
        return self

    def start(self) -> None:
        self._running = self.centre.serve()
        self.server = self._running.__enter__()
        if not self.centre.tokens:
            for user in USERS:
                body = {"username": user, "password": PASSWORD}
                status, answer = self.server.request("POST", "/api/v1/auth/tokens", body=body)
                assert status == 201, answer
                self.centre.tokens[user] = answer["token"]

    def ensure(self) -> None:
        """Running, whatever the previous test left."""
        if self._running is None or self.server.process.poll() is not None:
            self.restart()

    def restart(self) -> serving.Server:
        self.stop()
        self.start()
        return self.server

    def stop(self) -> None:
        """SIGKILL, as everywhere in these tests (a graceful stop would only take longer)."""
        if self._running is not None:
            running, self._running = self._running, None
            self.server.kill()
            running.__exit__(None, None, None)
            # gunicorn leads a session of its own, so its group id is the master's pid. Looked at right
            # away: pids are reused (pid_max may be 32768), so a group id means little minutes later.
            group, deadline = self.server.process.pid, time.monotonic() + 10
            while left := living_in([group]):
                assert time.monotonic() < deadline, f"processes outlived their server: {left}"
                time.sleep(0.05)

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def call(self, method: str, path: str, user: str, body: Any = None, expect: int = 200) -> Any:
        """One request of the set-up, which must succeed."""
        status, answer = self.server.request(method, path, token=self.centre.tokens[user], body=body, timeout=300)
        assert status == expect, f"{method} {path} → {status}: {str(answer)[:500]}"
        return answer


def item_rows(n: int, tag: str) -> list[dict[str, Any]]:
    """N rows as a handler's client sends them, every optional field filled."""
    return [
        {
            "name": f"Mobile phone {tag}-{i}, black",
            "category": ("electronics", "valuables", "documents", "goods")[i % 4],
            "quantity": "1" if i % 7 else "2.5",
            "unit": "pc" if i % 7 else "kg",
            "description": f"Bag {i // 50 + 1}, slot {i % 50 + 1}; screen cracked.",
            "estimated_value": f"{(i % 500) * 10 + 99}.50",
            "owner_name": f"Owner {i % 300}",
            "seizure_doc_no": f"SZ-{tag}",
            "seized_at": "2026-12-01T08:30:00+08:00",
            "seal_no": f"SEAL-{tag}-{i:06d}",
            "flags": ["fragile"] if i % 3 == 0 else [],
        }
        for i in range(n)
    ]


class Request(threading.Thread):
    """One request of an act, in a thread, so that the test can kill the server while it runs."""

    def __init__(self, server: serving.Server, method: str, path: str, token: str, body: Any = None) -> None:
        super().__init__(daemon=True)
        self.server, self.method, self.path, self.token, self.body = server, method, path, token, body
        self.answer: tuple[int, Any] | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.answer = self.server.request(self.method, self.path, token=self.token, body=self.body, timeout=300)
        except BaseException as exc:  # the connection dies with the server: that is the expected end
            self.error = exc


@dataclass
class Kill:
    point: str
    open_for: float  # how long the act's write transaction had been seen open when the kill came (s)
    still_open: bool  # the database showed a write transaction open just before the kill
    took: float  # from the request sent to the kill (s)
    answer: tuple[int, Any] | None = None  # what the client got: None when the connection died with the server


def crash(centre: Centre, server: serving.Server, point: str, path: str, token: str, body: Any, hold: float) -> Kill:
    """Send the act's POST and SIGKILL the whole server group at ``point``.

    OPEN: once the database has shown the act's write transaction open for ``hold`` seconds (and still
    shows it a moment before the kill); when the act ends first, the server is killed all the same and
    the answer returned. BEFORE_COMMIT / AFTER_COMMIT: once the worker froze there (gunicorn_pause.py).
    A killed act's client gets no answer: the connection dies with the server.
    """
    pause = centre.pause_dir
    watch = Watch(centre.url)
    try:
        # Quiet first: after a kill, PostgreSQL's backend of the dead worker may still be finishing its
        # statement (it learns that its client is gone when it next writes to it): not to be taken for this act.
        quiet_by = time.monotonic() + 60
        while watch.open_write() is not None:
            assert time.monotonic() < quiet_by, "a write transaction stayed open for 60 s before the act"
            time.sleep(0.05)
    except BaseException:
        watch.close()
        raise
    if point != OPEN:
        (pause / "arm").write_text(json.dumps({"point": point, "path": path}))
    request = Request(server, "POST", path, token, body)
    start = time.monotonic()
    deadline = start + 240
    key: str | None = None
    first = last = 0.0
    kill: Kill | None = None
    try:
        request.start()
        while kill is None:
            seen = watch.open_write()
            now = time.monotonic()
            if seen is not None:
                if seen != key:
                    key, first = seen, now
                last = now
            elif point == OPEN:
                key = None
            if point == OPEN and key is not None and now - first >= hold:
                still_open = watch.open_write() == key
                server.kill()
                kill = Kill(point, time.monotonic() - first, still_open, time.monotonic() - start)
            elif point != OPEN and (pause / "paused").exists():
                still_open = watch.open_write() is not None
                server.kill()
                kill = Kill(point, last - first, still_open, time.monotonic() - start)
            elif not request.is_alive():
                assert point == OPEN, f"the act ended before the kill at {point}: {request.answer} {request.error}"
                kill = Kill(point, last - first, False, time.monotonic() - start)
            else:
                assert now < deadline, f"kill point {point} not reached within 240 s"
                time.sleep(0.002)
    finally:
        server.kill()
        watch.close()
        request.join(timeout=60)
        (pause / "arm").unlink(missing_ok=True)
        (pause / "paused").unlink(missing_ok=True)
        assert not request.is_alive(), "the request outlived the server"
    # An answer means the act ended before the kill (OPEN only: the other points freeze the worker first).
    assert kill is not None
    kill.answer = request.answer
    assert kill.answer is not None or request.error is not None
    return kill


def merkle_root(leaves: list[bytes]) -> bytes:
    """RFC 6962 MTH, written out plainly: the reference the stored frontier must agree with."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(merkle_root(leaves[:k]), merkle_root(leaves[k:]))


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str


def head(conn: Connection) -> Head:
    seq, digest = conn.execute(text("SELECT seq, hash FROM ledger_head WHERE id = 1")).one()
    return Head(int(seq), digest)


def check_ledger(conn: Connection) -> Head:
    """Head row = last entry; nothing indexed or stored in the tree past it; the tree's root from the
    head's frontier = the root recomputed from every stored body."""
    seq, digest, frontier = conn.execute(text("SELECT seq, hash, frontier FROM ledger_head WHERE id = 1")).one()
    count, top = conn.execute(text("SELECT count(*), max(seq) FROM ledger_entries")).one()
    assert seq == count == (top or 0), f"head {seq}, {count} entries, last {top}"
    if seq:
        assert conn.execute(text("SELECT hash FROM ledger_entries WHERE seq = :s"), {"s": seq}).scalar_one() == digest
    for table in ("ledger_entry_items", "ledger_nodes"):
        beyond = conn.execute(text(f"SELECT count(*) FROM {table} WHERE seq > :s"), {"s": seq}).scalar_one()
        assert beyond == 0, f"{beyond} rows of {table} past the head"
    bodies = conn.execute(text("SELECT body FROM ledger_entries ORDER BY seq")).scalars()
    leaves = [leaf_hash(body.encode()) for body in bodies]
    assert tree.root_of(tree.parse_frontier(frontier, seq)) == merkle_root(leaves), "Merkle frontier disagrees"
    return Head(int(seq), digest)


def entry_after(conn: Connection, before: Head) -> dict[str, Any]:
    """The one entry appended since ``before``: it must follow that head exactly."""
    row = conn.execute(
        text("SELECT seq, kind, prev_hash, hash FROM ledger_entries WHERE seq > :s ORDER BY seq"), {"s": before.seq}
    ).all()
    assert len(row) == 1, f"{len(row)} entries after {before.seq}"
    seq, kind, prev_hash, digest = row[0]
    assert seq == before.seq + 1 and prev_hash == before.hash, (seq, prev_hash, before)
    indexed = conn.execute(text("SELECT item_code FROM ledger_entry_items WHERE seq = :s"), {"s": seq}).scalars()
    return {"seq": seq, "kind": kind, "hash": digest, "items": set(indexed)}
