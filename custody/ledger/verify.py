"""Recomputing the chain from the stored bytes and naming the first bad entry.

Verification never re-encodes Python objects: it hashes the stored body, then
compares the body's fixed head and tail (see canonical.body) with the row's
columns and the index rows, which catches an edited column or index row
without parsing JSON.

It reads through plain DB-API cursors in large batches (server-side on
PostgreSQL) rather than ORM or Core rows: at a million entries the per-row cost
of result objects would be several times the cost of the hashing itself
(bench/verify_chain.py measures the ratio).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import count
from typing import Any

from sqlalchemy import Connection, select

from custody.db import AnySession
from custody.ledger import canonical
from custody.models import LedgerEntry, LedgerEntryItem, LedgerHead
from custody.models.ledger import ZERO_HASH

ENTRIES = LedgerEntry.__tablename__
INDEX = LedgerEntryItem.__tablename__
_cursor_names = count(1)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None
    reason: str | None
    head_seq: int
    head_hash: str

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checked": self.checked, "first_bad_seq": self.first_bad_seq, "reason": self.reason}


def _at_text(raw: Any) -> str:
    """The ``at`` column as the body writes it (the fallback for drivers that return other shapes)."""
    if isinstance(raw, datetime):
        return canonical.utc_text(raw)
    # SQLite keeps "YYYY-MM-DD HH:MM:SS.ffffff"; anything else cannot match the body.
    text = str(raw)
    return text[:10] + "T" + text[11:] + "Z" if len(text) == 26 else text


# PostgreSQL renders ``at`` exactly as canonical.utc_text does: building a timezone-aware
# datetime per row would cost more than hashing the body. SQLite returns its stored text.
_AT_SQL = {"postgresql": "to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"}


def _batches(connection: Connection, sql: str, batch: int) -> Generator[list[tuple[Any, ...]], None, None]:
    """Rows of ``sql`` in lists of ``batch``, through a raw cursor on the session's connection."""
    dbapi = connection.connection.driver_connection
    assert dbapi is not None
    if connection.dialect.name == "postgresql":
        # A named (server-side) cursor: the rows stay on the server until fetched.
        cursor = dbapi.cursor(name=f"custody_verify_{next(_cursor_names)}")
    else:
        cursor = dbapi.cursor()
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(batch):
            yield rows
    finally:
        cursor.close()


def _head(session: AnySession) -> tuple[int, str]:
    head = session.execute(select(LedgerHead.seq, LedgerHead.hash).where(LedgerHead.id == 1)).one()
    return head.seq, head.hash


def verify_chain(session: AnySession, *, batch: int = 10000) -> VerifyResult:
    """Check every entry up to the head: sequence, link, hash, columns and index."""
    upto, head_hash = _head(session)
    connection = session.connection()
    at = _AT_SQL.get(connection.dialect.name, "at")
    entries = _batches(
        connection,
        f"SELECT seq, {at}, kind, actor, agency, case_no, body, prev_hash, hash FROM {ENTRIES} ORDER BY seq",  # noqa: S608
        batch,
    )
    index = _batches(
        connection,
        f"SELECT seq, item_code, prev_seq FROM {INDEX} WHERE seq <= {int(upto)} ORDER BY seq, item_code",  # noqa: S608
        batch,
    )
    try:
        return _check(entries, index, upto, head_hash, lambda: _head(session)[0], at_rendered=at != "at")
    finally:
        index.close()
        entries.close()


class _Heads(dict[tuple[str, str, str | None], tuple[str, str]]):
    """The body's head around ``at`` for each (actor, agency, case_no): canonical.head, split once."""

    def __missing__(self, key: tuple[str, str, str | None]) -> tuple[str, str]:
        before, _, after = canonical.head(key[0], key[1], "\x00", key[2]).partition("\x00")
        self[key] = before, after
        return before, after


class _KindTails(dict[str, tuple[str, str]]):
    """The body's tail around ``seq`` for each kind: canonical.kind_tail, split once."""

    def __missing__(self, kind: str) -> tuple[str, str]:
        # The seq is the only number after the kind's JSON string, so the last ',"seq":0,' is it.
        before, mark, after = canonical.kind_tail(kind, 0).rpartition(',"seq":0,')
        parts = (before + ',"seq":', "," + after) if mark else ("\x00", "")  # "\x00" never matches a body
        self[kind] = parts
        return parts


def _item_text(code: str, prev: int | None) -> str:
    """One element of canonical.items_text, the same text, built without its cache for plain codes
    (item codes rarely repeat, so the cache would only miss)."""
    code_text = '"' + code + '"' if type(code) is str and code.isascii() and code.isalnum() else canonical.text(code)
    return '{"code":' + code_text + ',"prev":' + ("null" if prev is None else str(prev)) + "}"


def _check(
    entries: Iterator[list[tuple[Any, ...]]],
    index: Iterator[list[tuple[Any, ...]]],
    upto: int,
    head_hash: str,
    head_now: Callable[[], int],
    *,
    at_rendered: bool = False,
) -> VerifyResult:
    """Walk the entries in seq order, and beside them the index rows (ordered by seq, code)."""
    sha256, item_text = hashlib.sha256, _item_text
    heads, tails = _Heads(), _KindTails()
    expected, last_hash, last_bytes, checked = 1, ZERO_HASH, bytes.fromhex(ZERO_HASH), 0
    rows: list[tuple[Any, ...]] = next(index, [])
    at_row, n_rows = 0, len(rows)

    def bad(seq: int, reason: str) -> VerifyResult:
        return VerifyResult(False, checked, seq, reason, upto, head_hash)

    for batch in entries:
        for seq, at, kind, actor, agency, case_no, body, prev_hash, digest in batch:
            if seq > upto:
                if head_now() >= seq:
                    break  # appended (and committed) while we were reading: not ours to check
                return bad(seq, "missing_entry")  # rows past the head: the head was rolled back
            if seq != expected:
                return bad(expected, "missing_entry")
            if prev_hash != last_hash:
                return bad(seq, "link_mismatch")
            computed = sha256(last_bytes + body.encode())
            if computed.hexdigest() != digest:
                return bad(seq, "hash_mismatch")
            before_at, after_at = heads[actor, agency, case_no]
            if at_rendered and type(at) is str:
                at_text = at  # rendered by the database (see _AT_SQL)
            elif type(at) is str and len(at) == 26:
                at_text = at[:10] + "T" + at[11:] + "Z"  # SQLite's "YYYY-MM-DD HH:MM:SS.ffffff"
            else:
                at_text = _at_text(at)
            if not body.startswith(before_at + at_text + after_at):
                return bad(seq, "column_mismatch")
            before_seq, after_seq = tails[kind]
            kind_tail = before_seq + str(seq) + after_seq
            if not body.endswith(kind_tail):
                return bad(seq, "column_mismatch")
            parts = []
            while True:
                if at_row == n_rows:
                    rows = next(index, [])
                    at_row, n_rows = 0, len(rows)
                    if not n_rows:
                        break
                row = rows[at_row]
                if row[0] != seq:
                    if row[0] < seq:
                        return bad(row[0], "index_mismatch")  # index rows for an entry that does not exist
                    break
                parts.append(item_text(row[1], row[2]))
                at_row += 1
            if not body.endswith(',"items":[' + ",".join(parts) + "]", 0, len(body) - len(kind_tail)):
                return bad(seq, "index_mismatch")
            last_hash, last_bytes, expected, checked = digest, computed.digest(), expected + 1, checked + 1
        else:
            continue
        break  # out of both loops (see ``head_now`` above)
    if at_row == n_rows:
        rows, at_row = next(index, []), 0
        n_rows = len(rows)
    if at_row < n_rows:
        return bad(rows[at_row][0], "index_mismatch")  # index rows past the last entry
    if expected - 1 != upto:
        return bad(expected, "missing_entry")
    if last_hash != head_hash:
        return bad(upto, "link_mismatch")
    return VerifyResult(True, checked, None, None, upto, head_hash)
