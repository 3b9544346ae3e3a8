"""Concurrent writers keep one tree (issue 7), on PostgreSQL where they really run at once.

Eight threads append entries in their own transactions, some of which roll back after appending,
while checkpoints are taken. The head's frontier and every stored node must then be exactly the
tree of the committed bodies, as RFC 6962 defines it, and verification must pass.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from custody.extensions import db
from custody.ledger import SYSTEM, EntryKind, append, proofs, tree, verify_chain
from custody.models import LedgerCheckpoint, LedgerEntry, LedgerHead, LedgerNode
from custody.services.checkpoints import make_checkpoint
from custody.services.uow import unit_of_work
from tests.services.test_concurrency import WRITERS, _run_together
from tests.witness.toylog import mth

pytestmark = pytest.mark.postgresql
ROUNDS = 12


class Rollback(Exception):
    """Raised after appending, so that the act's transaction (entry, index rows, nodes, head) rolls back."""


def test_eight_writers_with_rollbacks_leave_the_tree_of_the_committed_bodies(app: Flask, make: Any) -> None:
    make.user("handler")  # a few entries before the race
    db.session.rollback()

    def work(i: int) -> int:
        committed = 0
        for r in range(ROUNDS):
            try:
                with unit_of_work() as session:
                    items = [f"W{i}R{r}A", f"W{i}R{r % 3}B"]  # a later round's second item has a previous entry
                    append(
                        session, actor=SYSTEM, kind=EntryKind.ITEM_MOVED, data={"writer": i, "round": r}, items=items
                    )
                    if (i + r) % 4 == 0:
                        raise Rollback
                committed += 1
            except Rollback:
                pass
            if i == 0 and r % 3 == 2:
                make_checkpoint("@test")
        return committed

    results = _run_together(app, work, WRITERS)
    assert not [r for r in results if isinstance(r, Exception)], results
    bodies = [b.encode() for b in db.session.scalars(select(LedgerEntry.body).order_by(LedgerEntry.seq))]
    n = len(bodies)
    assert sum(results) == WRITERS * ROUNDS - sum((i + r) % 4 == 0 for i in range(WRITERS) for r in range(ROUNDS))
    head = db.session.get(LedgerHead, 1)
    assert head.seq == n
    assert tree.root_of(tree.parse_frontier(head.frontier, n)) == proofs.root(db.session, n) == mth(bodies)
    nodes = db.session.execute(select(LedgerNode.seq, LedgerNode.level, LedgerNode.hash)).all()
    assert len(nodes) == n - n.bit_count()
    assert all(h == mth(bodies[seq - (1 << level) : seq]).hex() for seq, level, h in nodes)
    checkpoints = db.session.execute(select(LedgerCheckpoint.size, LedgerCheckpoint.root)).all()
    assert db.session.scalar(select(func.count()).select_from(LedgerCheckpoint)) >= 3
    assert all(root == mth(bodies[:size]).hex() for size, root in checkpoints)
    result = verify_chain(db.session)
    assert (result.ok, result.checked) == (True, n), result
