"""Tree hashes and proofs read from the stored subtrees: one query for nodes, one for leaves.

A proof of any size up to the head needs O(log n) stored hashes (see ledger.tree), fetched by
primary key; nothing here reads the ledger from the start.
"""

from __future__ import annotations

from sqlalchemy import select, tuple_

from custody.db import AnySession
from custody.ledger import tree
from custody.ledger.offline import EMPTY_ROOT, leaf_hash
from custody.models import LedgerEntry, LedgerHead, LedgerNode


class ProofRangeError(ValueError):
    """Sizes or positions outside the ledger (the API answers 422 invalid_input)."""


def ledger_size(session: AnySession) -> int:
    return session.execute(select(LedgerHead.seq).where(LedgerHead.id == 1)).scalar_one()


def _hashes(session: AnySession, ranges: list[tree.Range]) -> list[bytes]:
    """The tree hash of each range, from the stored nodes and the entries' bodies."""
    wanted = [list(tree.pieces(a, b)) for a, b in ranges]
    keys = {key for keys in wanted for key in keys}
    leaves = sorted(seq for seq, level in keys if level == 0)
    inner = [key for key in keys if key[1] > 0]
    found: dict[tree.NodeKey, bytes] = {}
    if leaves:
        rows = session.execute(select(LedgerEntry.seq, LedgerEntry.body).where(LedgerEntry.seq.in_(leaves)))
        found.update({(seq, 0): leaf_hash(body.encode()) for seq, body in rows})
    if inner:
        nodes = session.execute(
            select(LedgerNode.seq, LedgerNode.level, LedgerNode.hash).where(
                tuple_(LedgerNode.seq, LedgerNode.level).in_(inner)
            )
        )
        found.update({(seq, level): bytes.fromhex(h) for seq, level, h in nodes})
    missing = keys - found.keys()
    if missing:
        raise LookupError(f"stored tree nodes are missing: {sorted(missing)[:5]} (run `flask custody verify`)")
    return [tree.fold([found[key] for key in keys]) for keys in wanted]


def root(session: AnySession, size: int) -> bytes:
    if size == 0:
        return EMPTY_ROOT
    _check(0 < size <= ledger_size(session), f"size {size} is not between 1 and the ledger's size")
    return _hashes(session, [(0, size)])[0]


def inclusion(session: AnySession, seq: int, size: int) -> tuple[bytes, list[bytes]]:
    """Entry ``seq``'s leaf hash and its inclusion proof in the tree of the first ``size`` entries."""
    _check(1 <= seq <= size <= ledger_size(session), f"need 1 ≤ seq ({seq}) ≤ size ({size}) ≤ the ledger's size")
    leaf, *proof = _hashes(session, [(seq - 1, seq), *tree.inclusion_ranges(seq - 1, size)])
    return leaf, proof


def consistency(session: AnySession, old: int, new: int) -> list[bytes]:
    _check(0 < old <= new <= ledger_size(session), f"need 0 < from ({old}) ≤ to ({new}) ≤ the ledger's size")
    return _hashes(session, tree.consistency_ranges(old, new))


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ProofRangeError(message)
