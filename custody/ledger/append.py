"""Appending an entry inside the caller's transaction, under the ledger head lock."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select

from custody import clock
from custody.db import AnySession
from custody.ledger import canonical, tree
from custody.ledger.kinds import EntryKind
from custody.ledger.offline import leaf_hash
from custody.models import LedgerEntry, LedgerEntryItem, LedgerHead, LedgerNode, User


@dataclass(frozen=True)
class Actor:
    """Who an entry names: a user, or the operator at the command line (``SYSTEM``)."""

    username: str
    agency: str

    @classmethod
    def of(cls, who: Actor | User) -> Actor:
        return who if isinstance(who, Actor) else cls(who.username, who.agency.code)


# Usernames are [a-z0-9._-], so "@cli" can never be a real user.
SYSTEM = Actor("@cli", "")

_CHUNK = 900  # stays under every database's bound-parameter limit


def entry_hash(prev_hash_hex: str, body: str) -> str:
    return hashlib.sha256(bytes.fromhex(prev_hash_hex) + body.encode()).hexdigest()


def _previous_seqs(session: AnySession, codes: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(codes), _CHUNK):
        chunk = codes[start : start + _CHUNK]
        rows = session.execute(
            select(LedgerEntryItem.item_code, func.max(LedgerEntryItem.seq))
            .where(LedgerEntryItem.item_code.in_(chunk))
            .group_by(LedgerEntryItem.item_code)
        )
        found.update(dict(rows.all()))
    return found


def append(
    session: AnySession,
    *,
    actor: Actor | User,
    kind: EntryKind,
    data: Mapping[str, Any],
    case_no: str | None = None,
    items: Iterable[str] = (),
    new_items: bool = False,
) -> LedgerEntry:
    """Append one entry for one act and index it under every item it covers.

    Must run inside the act's transaction (see services.uow): the head row is read
    under a lock, so concurrent acts are ordered without gaps or forks, and the
    entry becomes visible only when the act commits. ``new_items`` says the items
    were created by this act, so they have no previous entry to look up.
    """
    who = Actor.of(actor)
    head = session.execute(select(LedgerHead).where(LedgerHead.id == 1).with_for_update()).scalar_one()
    codes = sorted(set(items))
    prev = {} if new_items else _previous_seqs(session, codes)
    pairs = [(code, prev.get(code)) for code in codes]
    seq = head.seq + 1
    at = clock.now()
    body = canonical.body(
        seq=seq,
        at=at,
        kind=kind,
        actor=who.username,
        agency=who.agency,
        case_no=case_no,
        items=pairs,
        data=data,
    )
    digest = entry_hash(head.hash, body)
    entry = LedgerEntry(
        seq=seq,
        at=at,
        kind=str(kind),
        actor=who.username,
        agency=who.agency,
        case_no=case_no,
        body=body,
        prev_hash=head.hash,
        hash=digest,
    )
    session.add(entry)
    session.flush()
    if pairs:
        session.execute(
            insert(LedgerEntryItem),
            [{"seq": seq, "item_code": code, "prev_seq": p} for code, p in pairs],
        )
    frontier = tree.parse_frontier(head.frontier, head.seq)
    completed = tree.push(frontier, head.seq, leaf_hash(body.encode()))
    if completed:
        session.execute(insert(LedgerNode), [{"seq": seq, "level": lvl, "hash": h.hex()} for lvl, h in completed])
    head.seq, head.hash, head.frontier = seq, digest, tree.frontier_text(frontier)
    return entry
