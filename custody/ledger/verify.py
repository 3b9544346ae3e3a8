"""Recomputing the chain and the Merkle tree from the stored bytes, and naming the first bad entry.

Verification never re-encodes Python objects: it hashes each stored body twice (the chain's
SHA-256(prev ‖ body) and the tree's leaf SHA-256(0x00 ‖ body)), rebuilds the tree as the entries
complete its subtrees, and compares the body's fixed head and tail (see canonical.body) with the
row's columns and the index rows, without parsing JSON. Every stored node must be the subtree the
walk recomputes, the head's frontier the walk's, and every stored checkpoint the root at its size,
in a note that reads exactly (origin, size, root) and carries the log key's signature.

Two paths share the walk. The fast one (verify_fast) checks whole batches and is what runs on a
sound ledger; a batch it cannot pass is re-checked here entry by entry (``_Walk.exact``), which is
the reference for what is checked, in what order, and which seq and reason are reported: per entry
its seq, link, hash, columns and index, then the nodes it completes, then a checkpoint of its size.

Reads go through plain DB-API cursors: at a million entries the per-row cost of ORM or Core rows
would be several times that of the hashing (bench/verify_chain.py measures it).
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from custody.db import AnySession
from custody.ledger import canonical, tree, verify_fast
from custody.ledger.offline import EMPTY_ROOT, Checkpoint, Note, ProofError, VerifierKey, leaf_hash
from custody.models import LedgerHead
from custody.models.ledger import ZERO_HASH

MISSING, LINK, HASH = "missing_entry", "link_mismatch", "hash_mismatch"
INDEX, CHECKPOINT = "index_mismatch", "checkpoint_mismatch"
# A queryable column (time, kind, actor, agency, case) that disagrees with the hashed body is reported as the index
# it is: API.md fixes the reasons, and the columns are what searches read instead of the body.
COLUMN = INDEX


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


def _head(session: AnySession) -> tuple[int, str, str]:
    head = session.execute(select(LedgerHead.seq, LedgerHead.hash, LedgerHead.frontier).where(LedgerHead.id == 1)).one()
    return head.seq, head.hash, head.frontier


def verify_chain(session: AnySession, *, batch: int = 10000, log_key: VerifierKey | None = None) -> VerifyResult:
    """Check every entry up to the head (sequence, link, hash, columns, index), every stored tree node,
    the head's frontier and every stored checkpoint. ``log_key`` defaults to the app's log key."""
    upto, head_hash, frontier = _head(session)
    walk = _Walk(session, upto, log_key)
    found = walk.preamble() or walk.entries(batch) or walk.end(head_hash, frontier)
    if found is None:
        return VerifyResult(True, walk.checked, None, None, upto, head_hash)
    return VerifyResult(False, walk.checked, found[0], found[1], upto, head_hash)


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


Found = tuple[int, str] | None


@dataclass
class _Walk:
    """The walk's state after ``size`` entries: the last hash, the tree's frontier, the checkpoints ahead."""

    session: AnySession
    upto: int
    key: VerifierKey | None
    size: int = 0
    digest: bytes = bytes.fromhex(ZERO_HASH)
    frontier: list[bytes] = field(default_factory=list)
    checked: int = 0
    checkpoints: dict[int, tuple[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        connection = self.session.connection()
        self.dialect = connection.dialect.name
        dbapi = connection.connection.driver_connection
        assert dbapi is not None
        self.dbapi: Any = dbapi
        self.mark = "%s" if self.dialect == "postgresql" else "?"
        in_memory = connection.engine.url.database in (None, "", ":memory:")
        self.reading = "ahead" if self.dialect == "postgresql" else "inline" if in_memory else "beside"

    def _rows(self, sql: str, *params: int) -> list[tuple[Any, ...]]:
        cursor = self.dbapi.cursor()
        try:
            cursor.execute(sql.replace("?", self.mark), params)
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def _first(self, sql: str, *params: int) -> Any:
        rows = self._rows(sql, *params)
        return rows[0][0] if rows else None

    def preamble(self) -> Found:
        """Rows under keys the walk never reaches (seq < 1), and checkpoints of sizes it never passes."""
        rows = self._rows("SELECT size, root, note FROM ledger_checkpoints WHERE size <= ? ORDER BY size", self.upto)
        self.checkpoints = {int(size): (root, note) for size, root, note in rows}
        found: list[tuple[int, int, str]] = []
        for rank, (table, reason) in enumerate(
            (("ledger_entries", MISSING), ("ledger_entry_items", INDEX), ("ledger_nodes", HASH))
        ):
            seq = self._first(f"SELECT min(seq) FROM {table} WHERE seq < 1")  # noqa: S608
            if seq is not None:
                # A row before the first entry: the walk expected entry 1 there (as it always reported).
                found.append((1 if reason == MISSING else int(seq), rank, reason))
        for size in [s for s in self.checkpoints if s <= 0]:
            if size < 0 or not self._checkpoint_ok(size, EMPTY_ROOT):
                found.append((size, 3, CHECKPOINT))
        return (min(found)[0], min(found)[2]) if found else None

    def entries(self, batch: int) -> Found:
        ranges = [(first, min(first + batch - 1, self.upto)) for first in range(1, self.upto + 1, batch)]
        heads, tails = verify_fast.Heads(), verify_fast.KindTails()
        queries = verify_fast.Queries(self.dbapi, self.dialect)
        sizes = sorted(self.checkpoints)
        done = 0
        while done < len(ranges):
            reader = verify_fast.Reader(queries, ranges[done:], self.reading)
            try:
                for part in reader:
                    done += 1
                    inside = sizes[bisect_left(sizes, part.first) : bisect_right(sizes, part.last)]
                    roots = dict.fromkeys(inside, EMPTY_ROOT)  # the walk fills in the root at each size
                    frontier = list(self.frontier)
                    digest = verify_fast.check(part, self.digest, frontier, roots, heads, tails)
                    if digest is not None and all(self._checkpoint_ok(s, root) for s, root in roots.items()):
                        self.size, self.digest, self.frontier, self.checked = part.last, digest, frontier, part.last
                        continue
                    reader.close()  # the exact check below uses the connection
                    found = self.exact(part.first, part.last)
                    if found is not None:
                        return found
                    break  # sound after all: read on from the next batch
            finally:
                reader.close()
        return None

    def exact(self, first: int, last: int) -> Found:
        """Entries ``first``..``last`` one by one, in the order of checks the module docstring gives."""
        at = _AT_SQL.get(self.dialect, "at")
        collate = ' COLLATE "C"' if self.dialect == "postgresql" else ""
        entries = self._rows(
            f"SELECT seq, {at}, kind, actor, agency, case_no, body, prev_hash, hash FROM ledger_entries "  # noqa: S608
            "WHERE seq BETWEEN ? AND ? ORDER BY seq",
            first,
            last,
        )
        index = self._rows(
            "SELECT seq, item_code, prev_seq FROM ledger_entry_items "  # noqa: S608
            f"WHERE seq BETWEEN ? AND ? ORDER BY seq, item_code{collate}",
            first,
            last,
        )
        nodes = self._rows(
            "SELECT seq, level, hash FROM ledger_nodes WHERE seq BETWEEN ? AND ? ORDER BY seq, level", first, last
        )
        sha256, heads, tails = hashlib.sha256, _Heads(), _KindTails()
        at_rendered = at != "at"
        expected, at_index, at_node = self.size + 1, 0, 0
        for seq, at_value, kind, actor, agency, case_no, body, prev_hash, digest in entries:
            if seq != expected:
                return expected, MISSING
            if prev_hash != self.digest.hex():
                return seq, LINK
            data = body.encode()
            computed = sha256(self.digest + data)
            if computed.hexdigest() != digest:
                return seq, HASH
            before_at, after_at = heads[actor, agency, case_no]
            at_text = at_value if at_rendered and type(at_value) is str else _at_text(at_value)
            before_seq, after_seq = tails[kind]
            kind_tail = before_seq + str(seq) + after_seq
            if not body.startswith(before_at + at_text + after_at) or not body.endswith(kind_tail):
                return seq, COLUMN
            parts = []
            while at_index < len(index) and index[at_index][0] <= seq:
                row = index[at_index]
                if row[0] < seq:
                    return row[0], INDEX  # index rows for an entry that does not exist
                parts.append(_item_text(row[1], row[2]))
                at_index += 1
            if not body.endswith(',"items":[' + ",".join(parts) + "]", 0, len(body) - len(kind_tail)):
                return seq, INDEX
            completed = [(level, node.hex()) for level, node in tree.push(self.frontier, self.size, leaf_hash(data))]
            stored = []
            while at_node < len(nodes) and nodes[at_node][0] <= seq:
                stored.append((nodes[at_node][1], nodes[at_node][2]))
                at_node += 1
            self.size, self.digest, expected = seq, computed.digest(), expected + 1
            if stored != completed:
                return seq, HASH  # a stored subtree that is not the one this entry completes
            self.checked = seq
            if seq in self.checkpoints and not self._checkpoint_ok(seq, tree.root_of(self.frontier)):
                return seq, CHECKPOINT
        if expected <= last:
            return expected, MISSING
        if at_index < len(index):
            return index[at_index][0], INDEX
        return None

    def end(self, head_hash: str, frontier: str) -> Found:
        """Rows past the head, the head itself, and checkpoints of sizes the ledger never reached."""
        past = self._first("SELECT min(seq) FROM ledger_entries WHERE seq > ?", self.upto)
        if past is not None and self._head_now() < past:
            return past, MISSING  # rows past a head that did not move: the head was rolled back
        if self.digest.hex() != head_hash:
            return self.upto, LINK
        try:
            if tree.parse_frontier(frontier, self.upto) != self.frontier:
                return self.upto, HASH
        except ValueError:
            return self.upto, HASH
        beyond = self._first("SELECT min(size) FROM ledger_checkpoints WHERE size > ?", self.upto)
        if beyond is not None and self._head_now() < beyond:
            return int(beyond), CHECKPOINT  # a checkpoint of entries that are gone
        return None

    def _head_now(self) -> int:
        """The head as committed now: appends that committed while we read are not ours to check."""
        return _head(self.session)[0]

    def _checkpoint_ok(self, size: int, root: bytes) -> bool:
        """The stored checkpoint of ``size`` is the log key's signed note of (origin, size, ``root``)."""
        stored_root, note_text = self.checkpoints[size]
        if stored_root != root.hex():
            return False
        if self.key is None:
            from custody.ledger.keys import log_key  # the app's key: made on first use, so only when needed

            self.key = log_key().verifier
        try:
            note = Note.parse(note_text)
        except ProofError:
            return False
        return note.text == Checkpoint(self.key.name, size, root).text() and note.signed_by(self.key)
