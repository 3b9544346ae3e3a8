"""Tree hashes and proofs read from the stored subtrees, in one query.

A proof of any size up to the head needs O(log n) stored hashes (see ledger.tree), fetched by
primary key; nothing here reads the ledger from the start. A size beyond the head is noticed
because the nodes it needs do not exist (uncommitted entries are invisible), so the head is read
only then.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import BigInteger, ColumnElement, any_, literal, null, select, union_all
from sqlalchemy.dialects.postgresql import ARRAY

from custody.db import AnySession
from custody.ledger import tree
from custody.ledger.offline import EMPTY_ROOT, leaf_hash
from custody.models import LedgerEntry, LedgerHead, LedgerNode


class ProofRangeError(ValueError):
    """Sizes or positions outside the ledger (the API answers 422 invalid_input)."""


_HEAD = LedgerHead.__table__.c
_NODES = LedgerNode.__table__.c
_ENTRIES = LedgerEntry.__table__.c


def ledger_size(session: AnySession) -> int:
    return session.execute(select(_HEAD.seq).where(_HEAD.id == 1)).scalar_one()


def _hashes(session: AnySession, ranges: list[tree.Range]) -> list[bytes]:
    """The tree hash of each range, from the stored nodes and the entries' bodies, in one query.

    Nodes are looked up by ``seq IN (…)``, the primary key's first column, and the few other levels
    stored under those seqs are dropped here: SQLite answers a row-value ``(seq, level) IN (…)`` by
    scanning the whole table (bench/ledger_proofs.py found 155 ms a proof at a million entries).
    """
    wanted = [list(tree.pieces(a, b)) for a, b in ranges]
    keys = {key for keys in wanted for key in keys}
    leaves = sorted(seq for seq, level in keys if level == 0)
    inner = sorted({seq for seq, level in keys if level > 0})
    one_of = _one_of(session)
    parts = []
    if inner:
        parts.append(
            select(_NODES.seq, _NODES.level, _NODES.hash, null().label("body")).where(one_of(_NODES.seq, inner))
        )
    if leaves:
        parts.append(select(_ENTRIES.seq, literal(0), null(), _ENTRIES.body).where(one_of(_ENTRIES.seq, leaves)))
    found: dict[tree.NodeKey, bytes] = {}
    if parts:
        query = parts[0] if len(parts) == 1 else union_all(*parts)
        for seq, level, digest, body in session.execute(query):
            if body is not None:
                found[seq, 0] = leaf_hash(body.encode())
            elif (seq, level) in keys:
                found[seq, level] = bytes.fromhex(digest)
    missing = keys - found.keys()
    if missing:
        last = max(end for _start, end in ranges)
        _check(last <= ledger_size(session), f"size {last} is larger than the ledger's size")
        raise LookupError(f"stored tree nodes are missing: {sorted(missing)[:5]} (run `flask custody verify`)")
    return [tree.fold([found[key] for key in keys]) for keys in wanted]


def root(session: AnySession, size: int) -> bytes:
    if size == 0:
        return EMPTY_ROOT
    _check(size > 0, f"size {size} is not between 1 and the ledger's size")
    return _hashes(session, [(0, size)])[0]


def inclusion(session: AnySession, seq: int, size: int) -> tuple[bytes, list[bytes]]:
    """Entry ``seq``'s leaf hash and its inclusion proof in the tree of the first ``size`` entries."""
    _check(1 <= seq <= size, f"need 1 ≤ seq ({seq}) ≤ size ({size}) ≤ the ledger's size")
    leaf, *proof = _hashes(session, [(seq - 1, seq), *tree.inclusion_ranges(seq - 1, size)])
    return leaf, proof


def consistency(session: AnySession, old: int, new: int) -> list[bytes]:
    _check(0 < old <= new, f"need 0 < from ({old}) ≤ to ({new}) ≤ the ledger's size")
    if old == new:
        _check(new <= ledger_size(session), f"to ({new}) is larger than the ledger's size")
    return _hashes(session, tree.consistency_ranges(old, new))


def _one_of(session: AnySession) -> Callable[[ColumnElement[int], list[int]], ColumnElement[bool]]:
    """``column IN (…)``; on PostgreSQL ``= ANY(array)``, whose text does not change with the list's length,
    so that psycopg's automatic prepared statements skip planning on every proof after the first few."""
    if session.get_bind().dialect.name == "postgresql":
        return lambda column, values: column == any_(literal(values, ARRAY(BigInteger)))
    return lambda column, values: column.in_(values)


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ProofRangeError(message)
