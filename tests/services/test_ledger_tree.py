"""The Merkle tree kept with the ledger (issue 7): proofs read from the database verify against the
roots of RFC 6962's own definition over the stored bodies, and the migration that built the tree of
an existing ledger builds exactly what the appends keep."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import inspect, select, text

from custody import create_app
from custody.extensions import db
from custody.ledger import proofs, tree
from custody.ledger.offline import EMPTY_ROOT, leaf_hash, verify_consistency, verify_inclusion
from custody.ledger.verify import verify_chain
from custody.models import LedgerEntry, LedgerHead, LedgerNode
from custody.services.checkpoints import make_checkpoint
from tests.databases import own_database
from tests.witness.toylog import mth


def _bodies() -> list[bytes]:
    return [body.encode() for body in db.session.scalars(select(LedgerEntry.body).order_by(LedgerEntry.seq))]


def _acts(make: Any) -> None:
    """Registrations, intakes and moves: entries with one item, several items and none."""
    handler, keeper = make.user("handler"), make.keeper()
    shelf, other = make.location(keeper, name="Shelf A"), make.location(keeper, name="Shelf B")
    case = make.case(handler)
    stored = make.stored_items(handler, keeper, shelf, 3, case=case)
    make.items(handler, case, 4)
    from custody.services import warehouse

    for item in stored[:2]:
        warehouse.move(keeper, item.code, location=other.code)


def test_proofs_from_the_database_verify_against_the_naive_roots(make):
    _acts(make)
    bodies = _bodies()
    n = len(bodies)
    assert n >= 12
    roots = [EMPTY_ROOT] + [mth(bodies[:size]) for size in range(1, n + 1)]
    for size in range(1, n + 1):
        assert proofs.root(db.session, size) == roots[size]
        for seq in range(1, size + 1):
            leaf, proof = proofs.inclusion(db.session, seq, size)
            assert leaf == leaf_hash(bodies[seq - 1])
            verify_inclusion(seq - 1, size, leaf, proof, roots[size])
    for old in range(1, n + 1):
        for new in range(old, n + 1):
            verify_consistency(old, new, roots[old], roots[new], proofs.consistency(db.session, old, new))
    checkpoint = make_checkpoint("@test")
    assert (checkpoint.size, checkpoint.root) == (n, roots[n].hex())


@pytest.mark.parametrize(
    ("call", "args"),
    [
        ("inclusion", (0, 1)),
        ("inclusion", (2, 1)),
        ("inclusion", (1, 10**6)),
        ("consistency", (0, 1)),
        ("consistency", (3, 2)),
        ("consistency", (1, 10**6)),
        ("root", (10**6,)),
    ],
)
def test_proofs_outside_the_ledger_are_refused(make, call, args):
    _acts(make)
    with pytest.raises(proofs.ProofRangeError):
        getattr(proofs, call)(db.session, *args)


def test_the_stored_nodes_and_the_frontier_are_the_naive_subtrees(make):
    _acts(make)
    bodies = _bodies()
    n = len(bodies)
    nodes = db.session.execute(select(LedgerNode.seq, LedgerNode.level, LedgerNode.hash)).all()
    assert len(nodes) == n - n.bit_count()  # every perfect subtree of two or more leaves, once
    for seq, level, digest in nodes:
        assert digest == mth(bodies[seq - (1 << level) : seq]).hex()
    head = db.session.get(LedgerHead, 1)
    expected = [mth(bodies[seq - (1 << level) : seq]) for seq, level in tree.frontier_keys(n)]
    assert tree.parse_frontier(head.frontier, n) == expected
    assert tree.root_of(expected) == mth(bodies)


# --- the migration that built the tree of an existing ledger ------------------------------------


@pytest.fixture
def own_app(app: Flask, tmp_path: Any) -> Iterator[Flask]:
    """The app on a database of its own, so its schema can go down and up again."""
    with own_database(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, "tree") as url:
        yield from _own_app(app, url, tmp_path)


def _own_app(app: Flask, url: str, tmp_path: Any) -> Iterator[Flask]:
    from flask_migrate import upgrade

    keys = ("TESTING", "SECRET_KEY", "CUSTODY_PASSWORD_METHOD", "CUSTODY_FILES_DIR", "CUSTODY_BASE_URL")
    config = {key: app.config[key] for key in keys}
    config.update(SQLALCHEMY_DATABASE_URI=url, CUSTODY_LOG_KEY_FILE=str(tmp_path / "log.key"))
    own = create_app(config)
    with own.app_context():
        upgrade()
    yield own
    with own.app_context():
        db.session.remove()
        db.engine.dispose()


def _tree_state() -> tuple[list[tuple[int, int, str]], str, int]:
    nodes = [
        tuple(r) for r in db.session.execute(text("SELECT seq, level, hash FROM ledger_nodes ORDER BY seq, level"))
    ]
    frontier, seq = db.session.execute(text("SELECT frontier, seq FROM ledger_head")).one()
    db.session.rollback()
    return nodes, frontier, seq


def test_the_migration_builds_the_tree_the_appends_keep(own_app, make):
    from flask_migrate import downgrade, upgrade

    with own_app.app_context():
        _acts(make)
        appended = _tree_state()
        assert appended[2] >= 12 and len(appended[0]) >= 8
        db.session.remove()
        downgrade(revision="20261206_0005")  # the ledger as it was before the tree
        with db.engine.connect() as conn:
            assert "frontier" not in {c["name"] for c in inspect(conn).get_columns("ledger_head")}
        upgrade()
        assert _tree_state() == appended
        assert verify_chain(db.session).ok
        db.session.remove()
