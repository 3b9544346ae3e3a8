"""Recomputing the chain from the stored bytes and naming the first bad entry.

Verification never re-encodes Python objects: it hashes the stored body, then
compares the body's fixed head and tail (see canonical.body) with the row's
columns and the index rows, which catches an edited column or index row
without parsing JSON.
"""

from __future__ import annotations

import hashlib
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, select, type_coerce

from custody.db import AnySession
from custody.ledger import canonical
from custody.models import LedgerEntry, LedgerEntryItem, LedgerHead
from custody.models.ledger import ZERO_HASH

E = LedgerEntry.__table__.c
X = LedgerEntryItem.__table__.c


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
    if isinstance(raw, datetime):
        return canonical.utc_text(raw)
    # SQLite keeps "YYYY-MM-DD HH:MM:SS.ffffff"; anything else cannot match the body.
    text = str(raw)
    return text[:10] + "T" + text[11:] + "Z" if len(text) == 26 else text


def _index_groups(
    session: AnySession, upto: int, batch: int
) -> Generator[tuple[int, list[tuple[str, int | None]]], None, None]:
    # Options on the statement, not the connection: Connection.execution_options() changes the
    # session's connection for every later statement.
    rows = session.connection().execute(
        select(X.seq, X.item_code, X.prev_seq)
        .where(X.seq <= upto)
        .order_by(X.seq, X.item_code)
        .execution_options(stream_results=True, yield_per=batch)
    )
    current: int | None = None
    group: list[tuple[str, int | None]] = []
    try:
        for seq, code, prev in rows:
            if seq != current:
                if current is not None:
                    yield current, group
                current, group = seq, []
            group.append((code, prev))
        if current is not None:
            yield current, group
    finally:
        rows.close()  # a server-side cursor on PostgreSQL


def verify_chain(session: AnySession, *, batch: int = 10000) -> VerifyResult:
    """Check every entry up to the head: sequence, link, hash, columns and index."""
    head = session.execute(select(LedgerHead.seq, LedgerHead.hash).where(LedgerHead.id == 1)).one()
    entries = session.connection().execute(
        select(
            E.seq,
            type_coerce(E.at, String).label("at"),
            E.kind,
            E.actor,
            E.agency,
            E.case_no,
            E.body,
            E.prev_hash,
            E.hash,
        )
        .order_by(E.seq)
        .execution_options(stream_results=True, yield_per=batch)
    )
    # On PostgreSQL type_coerce keeps the driver's datetime; on SQLite it keeps the stored text.
    index = _index_groups(session, head.seq, batch)
    try:
        return _check(entries, index, head.seq, head.hash)
    finally:
        index.close()
        entries.close()


def _check(
    entries: Any, index: Iterator[tuple[int, list[tuple[str, int | None]]]], upto: int, head_hash: str
) -> VerifyResult:
    pending = next(index, None)
    sha256, head_of, kind_tail_of, items_text = (
        hashlib.sha256,
        canonical.head,
        canonical.kind_tail,
        canonical.items_text,
    )
    expected, last_hash, checked = 1, ZERO_HASH, 0

    def bad(seq: int, reason: str) -> VerifyResult:
        return VerifyResult(False, checked, seq, reason, upto, head_hash)

    for seq, at, kind, actor, agency, case_no, body, prev_hash, digest in entries:
        if seq > upto:
            return bad(seq, "missing_entry")  # rows past the head: the head was rolled back
        if seq != expected:
            return bad(expected, "missing_entry")
        if prev_hash != last_hash:
            return bad(seq, "link_mismatch")
        if sha256(bytes.fromhex(prev_hash) + body.encode()).hexdigest() != digest:
            return bad(seq, "hash_mismatch")
        if not body.startswith(head_of(actor, agency, _at_text(at), case_no)):
            return bad(seq, "column_mismatch")
        kind_tail = kind_tail_of(kind, seq)
        if not body.endswith(kind_tail):
            return bad(seq, "column_mismatch")
        group: list[tuple[str, int | None]] = []
        if pending is not None and pending[0] < seq:
            return bad(pending[0], "index_mismatch")  # index rows for an entry that does not exist
        if pending is not None and pending[0] == seq:
            group = pending[1]
            pending = next(index, None)
        if not body.endswith(',"items":' + items_text(group), 0, len(body) - len(kind_tail)):
            return bad(seq, "index_mismatch")
        last_hash, expected, checked = digest, expected + 1, checked + 1
    if pending is not None:
        return bad(pending[0], "index_mismatch")
    if expected - 1 != upto:
        return bad(expected, "missing_entry")
    if last_hash != head_hash:
        return bad(upto, "link_mismatch")
    return VerifyResult(True, checked, None, None, upto, head_hash)
