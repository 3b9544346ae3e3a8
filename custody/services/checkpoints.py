"""Signed checkpoints of the ledger: made on demand, on a schedule and when a document is issued.

A checkpoint is the log key's signature over (origin, size, root); every one is kept, and
``verify`` checks each stored root against the entries. Witnesses' cosignatures are added later
(services/witnessing.py) and published with it. Making a checkpoint appends no ledger entry.
"""

from __future__ import annotations

from sqlalchemy import select

from custody import clock
from custody.db import AnySession
from custody.errors import NotFound
from custody.extensions import db
from custody.ledger import tree
from custody.ledger.keys import log_key
from custody.ledger.notes import sign_checkpoint
from custody.ledger.offline import Checkpoint, Note, Signature, b64decode
from custody.models import LedgerCheckpoint, LedgerCosignature, LedgerHead
from custody.services.uow import transactional


def take(session: AnySession, by: str) -> LedgerCheckpoint:
    """A checkpoint of the ledger as the caller's transaction sees it (the head row locked), made once per size."""
    head = session.execute(select(LedgerHead).where(LedgerHead.id == 1).with_for_update()).scalar_one()
    existing = session.get(LedgerCheckpoint, head.seq)
    if existing is not None:
        return existing
    root = tree.root_of(tree.parse_frontier(head.frontier, head.seq))
    key = log_key()
    row = LedgerCheckpoint(
        size=head.seq,
        root=root.hex(),
        note=sign_checkpoint(Checkpoint(key.name, head.seq, root), key),
        at=clock.now(),
        by=by,
    )
    session.add(row)
    session.flush()
    return row


@transactional
def make_checkpoint(by: str) -> LedgerCheckpoint:
    return take(db.session, by)


def latest() -> LedgerCheckpoint | None:
    return db.session.scalars(select(LedgerCheckpoint).order_by(LedgerCheckpoint.size.desc()).limit(1)).first()


def at_size(size: int) -> LedgerCheckpoint:
    row = db.session.get(LedgerCheckpoint, size)
    if row is None:
        raise NotFound(f"No checkpoint of size {size}")
    return row


def covering(seq: int) -> LedgerCheckpoint | None:
    """The checkpoint to prove entry ``seq`` against: the smallest witnessed one that covers it, else the latest."""
    witnessed = db.session.scalars(
        select(LedgerCheckpoint)
        .where(LedgerCheckpoint.size >= seq, LedgerCheckpoint.size.in_(select(LedgerCosignature.size)))
        .order_by(LedgerCheckpoint.size)
        .limit(1)
    ).first()
    if witnessed is not None:
        return witnessed
    last = latest()
    return last if last is not None and last.size >= seq else None


def cosignatures(row: LedgerCheckpoint) -> list[LedgerCosignature]:
    return list(
        db.session.scalars(
            select(LedgerCosignature).where(LedgerCosignature.size == row.size).order_by(LedgerCosignature.witness)
        )
    )


def published(row: LedgerCheckpoint) -> str:
    """The signed note as published: the log's signature, then each witness's cosignature."""
    note = Note.parse(row.note)
    for cosignature in cosignatures(row):
        _dash, name, sig = cosignature.line.rstrip("\n").split(" ", 2)
        note.signatures.append(Signature(name, b64decode(sig)))
    return note.render()
