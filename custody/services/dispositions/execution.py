"""The keeper's part: scanning the items of an approved disposition off their shelves, and executing it.

Scans are working notes on the lines (the shelf each item leaves from); the execution is the act the
ledger records. It is decided by conditional updates: of two keepers executing at once exactly one
succeeds, and the items leave by ``UPDATE … WHERE status = 'in_storage'`` counted against the lines,
so an item that changed behind our back stops the act.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, update

from custody import clock, codes
from custody.errors import InvalidInput, InvalidState
from custody.extensions import db
from custody.ledger import EntryKind
from custody.models import Disposition, DispositionItem, DispositionStatus, Item, ItemStatus, Location, User
from custody.services.checkouts import normal_codes
from custody.services.conditional import changed_rows
from custody.services.dispositions.acts import record, require_keeper, terms, transition
from custody.services.dispositions.reads import load, progress
from custody.services.uow import transactional

_CHUNK = 900
# A line is "scanned" once it holds the shelf the item left from; an item in storage always has one,
# and the marker keeps a line scanned should it not.
_NO_SHELF = "-"


@dataclass(frozen=True)
class ScanOut:
    code: str
    result: str  # "scanned" or "duplicate"
    scanned: int
    total: int


def _shelf_of_line():  # type: ignore[no-untyped-def]
    """The code of the shelf the line's item is on now, as a correlated subquery."""
    shelf = (
        select(Location.code)
        .join(Item, Item.location_id == Location.id)
        .where(Item.id == DispositionItem.item_id)
        .scalar_subquery()
    )
    return func.coalesce(shelf, _NO_SHELF)


@transactional
def scan_out(actor: User, number: str, raw: str) -> ScanOut:
    """The keeper scanned one item of an approved disposition off its shelf (a working note; the execution
    is the act the ledger records). Raises NotFound, Forbidden, InvalidState, InvalidInput."""
    disposition = load(actor, number)  # not found before not allowed: a 404 reveals nothing
    require_keeper(actor)
    # Locks the row (status = status), so a scan cannot land after the execution.
    transition(disposition, (DispositionStatus.APPROVED,), status=Disposition.status)
    code = codes.extract(raw or "").upper()
    line_id = db.session.scalar(
        select(DispositionItem.id)
        .join(Item, Item.id == DispositionItem.item_id)
        .where(DispositionItem.disposition_id == disposition.id, Item.code == code)
    )
    if line_id is None:
        raise InvalidInput(
            f"{code or raw!r} is not in disposition {disposition.number}", errors={"code": ["Not in this disposition"]}
        )
    marked = changed_rows(
        update(DispositionItem)
        .where(DispositionItem.id == line_id, DispositionItem.location.is_(None))
        .values(location=_shelf_of_line())
    )
    scanned, total = progress(disposition)
    return ScanOut(code, "scanned" if marked else "duplicate", scanned, total)


def _check_scanned(disposition: Disposition, given: Sequence[str]) -> list[int]:
    """The item ids, once the scans so far and ``given`` cover exactly the disposition's items.

    Raises InvalidInput naming what was not scanned and what is not in the disposition.
    """
    rows = db.session.execute(
        select(Item.code, Item.id, DispositionItem.location)
        .join(Item, Item.id == DispositionItem.item_id)
        .where(DispositionItem.disposition_id == disposition.id)
    ).all()
    lines = {r.code: r for r in rows}
    said = set(given) | {r.code for r in rows if r.location is not None}
    extra = [c for c in given if c not in lines]
    unscanned = sorted(c for c in lines if c not in said)
    errors = []
    if unscanned:
        errors.append(f"Not scanned: {', '.join(unscanned[:50])}" + (" …" if len(unscanned) > 50 else ""))
    if extra:
        errors.append(f"Not in this disposition: {', '.join(extra[:50])}")
    if errors:
        raise InvalidInput("The scanned items do not match the disposition", errors={"items": errors})
    return sorted(r.id for r in rows)


@transactional
def execute_disposition(actor: User, number: str, items: Sequence[str] | None = None) -> Disposition:
    """The centre's keeper executes: every item scanned out (with scan_out, or listed in ``items``) leaves for good.

    In one transaction the items become ``disposed`` and leave their shelf (the shelf stays on the line
    for the record), the disposition is executed, and one ledger entry lists the items with the terms.
    Raises NotFound, Forbidden, InvalidState (not approved, executed by someone else just now, an item
    no longer in storage), InvalidInput (the scans do not match the disposition).
    """
    disposition = load(actor, number)
    require_keeper(actor)
    # Lock the row first: a scan or a second execution waits, then finds the state it left.
    transition(disposition, (DispositionStatus.APPROVED,), status=Disposition.status)
    ids = _check_scanned(disposition, normal_codes(items or []))
    changed_rows(  # the shelf each item leaves from, before it leaves
        update(DispositionItem)
        .where(DispositionItem.disposition_id == disposition.id, DispositionItem.location.is_(None))
        .values(location=_shelf_of_line())
    )
    now = clock.now()
    transition(
        disposition,
        (DispositionStatus.APPROVED,),
        status=DispositionStatus.EXECUTED,
        executed_by_id=actor.id,
        executed_at=now,
    )
    gone = 0
    for start in range(0, len(ids), _CHUNK):  # by primary key, in id order: two acts lock rows in the same order
        gone += changed_rows(
            update(Item)
            .where(Item.id.in_(ids[start : start + _CHUNK]), Item.status == ItemStatus.IN_STORAGE)
            .values(status=ItemStatus.DISPOSED, disposed_at=now, location_id=None)
        )
    if gone != len(ids):
        raise InvalidState(f"Some items of disposition {disposition.number} are no longer in storage")
    changed_rows(update(DispositionItem).where(DispositionItem.disposition_id == disposition.id).values(active=False))
    shelves = dict(
        db.session.execute(
            select(Item.code, DispositionItem.location)
            .join(Item, Item.id == DispositionItem.item_id)
            .where(DispositionItem.disposition_id == disposition.id)
        ).all()
    )
    entry = record(
        actor,
        disposition,
        EntryKind.DISPOSITION_EXECUTED,
        {**terms(disposition), "agency": disposition.agency.code, "from": dict(sorted(shelves.items()))},
    )
    changed_rows(
        update(Disposition)
        .where(Disposition.id == disposition.id)
        .values(execution_seq=entry.seq, execution_hash=entry.hash)
    )
    return load(actor, number)
