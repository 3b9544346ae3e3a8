"""Counting: open a stocktake (snapshot what should be there), record scans, close it into one ledger entry."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, and_, false, func, insert, literal, select, true, update
from sqlalchemy.exc import IntegrityError

from custody import clock, codes
from custody.errors import InvalidInput, InvalidState, MalformedCode, NotFound, UnknownCode
from custody.extensions import db
from custody.ledger import EntryKind, append
from custody.models import (
    Item,
    ItemStatus,
    Location,
    ScanResult,
    Stocktake,
    StocktakeItem,
    StocktakeScan,
    StocktakeStatus,
    User,
)
from custody.services import access, locations
from custody.services.conditional import changed_rows
from custody.services.stocktakes.records import (
    Scanned,
    Summary,
    find_stocktake,
    number_of,
    require_keeper,
    scope,
    summaries,
    unexpected_codes,
)
from custody.services.uow import transactional

# Scans use the tables directly (Core, not the ORM): a scan runs for every label, and the ORM's bulk
# UPDATE/INSERT machinery costs more CPU than the statements themselves.
ITEMS, LOCATIONS = cast(Table, Item.__table__), cast(Table, Location.__table__)
STOCKTAKES, SNAPSHOT, SCANS = (cast(Table, m.__table__) for m in (Stocktake, StocktakeItem, StocktakeScan))


@transactional
def open_stocktake(actor: User, location: str) -> Summary:
    """Open a stocktake of a location and its children (keeper).

    Raises Forbidden, InvalidInput (``location``), InvalidState (one is already open there).
    """
    require_keeper(actor)
    place = locations.find(codes.extract(location or ""))
    if place is None:
        raise InvalidInput(f"No location {(location or '')[:40]!r}", errors={"location": ["No such location"]})
    # Lock the location row: two keepers opening a count of the same place at once queue here (PostgreSQL;
    # SQLite's BEGIN IMMEDIATE already serialises writers), so the check below cannot pass twice.
    db.session.execute(select(Location.id).where(Location.id == place.id).with_for_update())
    already = db.session.scalar(
        select(Stocktake.number).where(Stocktake.location_id == place.id, Stocktake.status == StocktakeStatus.OPEN)
    )
    if already:
        raise InvalidState(f"Stocktake {already} of {place.code} is still open; close it first")
    stocktake = Stocktake(
        number=codes.new_code(codes.CodeKind.STOCKTAKE),
        location=place,
        status=StocktakeStatus.OPEN,
        expected=0,
        opened_by_id=actor.id,
        opened_at=clock.now(),
    )
    db.session.add(stocktake)
    db.session.flush()
    snapshot = select(literal(stocktake.id), Item.id, false()).where(
        Item.status == ItemStatus.IN_STORAGE,
        Item.location_id.in_(locations.subtree_ids(place)),
        access.item_filter(actor),
    )
    db.session.execute(insert(StocktakeItem).from_select(["stocktake_id", "item_id", "found"], snapshot))
    # Counted, not the INSERT's rowcount: SQLite's driver reports -1 for a statement that starts with WITH.
    expected = (
        db.session.scalar(
            select(func.count()).select_from(StocktakeItem).where(StocktakeItem.stocktake_id == stocktake.id)
        )
        or 0
    )
    stocktake.expected = expected
    append(
        db.session,
        actor=actor,
        kind=EntryKind.STOCKTAKE_OPENED,
        data={"number": stocktake.number, "location": place.code, "expected": expected},
    )
    return summaries([stocktake])[0]


def _item_code(raw_code: str) -> str:
    """The item code a scan carries. Raises MalformedCode (not an item's code), BadCheckCharacter."""
    parsed = codes.parse(codes.extract(raw_code or ""))
    if parsed.kind is not codes.CodeKind.ITEM:
        raise MalformedCode(f"{parsed.code} is a {parsed.kind} code, not an item's")
    return parsed.code


def _scan_target(actor: User, number: str, code: str) -> Any:
    """The open stocktake and the item, in ONE narrow SELECT (this runs for every label): the stocktake's id,
    the item's columns and whether the stocktake expects it.

    The stocktake row is locked FOR SHARE (PostgreSQL; SQLite's writers are serialised anyway): a close waits
    for the scans under way, and a scan that comes after a close finds it closed.
    Raises NotFound (stocktake), InvalidState (closed), UnknownCode (no such item, or not one the user may see).
    """
    normal = number_of(number)
    visible = scope(actor)
    expected = (
        select(SNAPSHOT.c.item_id)
        .where(SNAPSHOT.c.stocktake_id == STOCKTAKES.c.id, SNAPSHOT.c.item_id == ITEMS.c.id)
        .exists()
    )
    row = db.session.execute(
        select(
            STOCKTAKES.c.id.label("stocktake_id"),
            STOCKTAKES.c.status.label("stocktake_status"),
            ITEMS.c.id,
            ITEMS.c.code,
            ITEMS.c.name,
            ITEMS.c.status,
            LOCATIONS.c.code.label("location"),
            expected.label("expected"),
        )
        .select_from(
            STOCKTAKES.outerjoin(ITEMS, and_(ITEMS.c.code == code, access.item_filter(actor))).outerjoin(
                LOCATIONS, LOCATIONS.c.id == ITEMS.c.location_id
            )
        )
        .where(STOCKTAKES.c.number == normal, true() if visible is None else visible)
        .with_for_update(read=True, of=STOCKTAKES)
    ).one_or_none()
    if row is None:
        raise NotFound(f"No stocktake {normal[:40]}")
    if row.stocktake_status != StocktakeStatus.OPEN:
        raise InvalidState(f"Stocktake {normal} is closed")
    if row.id is None:
        raise UnknownCode(f"No item {code}")
    return row


@transactional
def record_scan(actor: User, number: str, raw_code: str) -> Scanned:
    """Record one scanned label: expected, unexpected, or a duplicate (already scanned; stored once).

    Raises Forbidden, MalformedCode, BadCheckCharacter, NotFound (stocktake), InvalidState (closed), UnknownCode.
    """
    require_keeper(actor)
    target = _scan_target(actor, number, _item_code(raw_code))
    result = ScanResult.EXPECTED if target.expected else ScanResult.UNEXPECTED
    try:
        with db.session.begin_nested():
            db.session.execute(
                insert(SCANS).values(
                    stocktake_id=target.stocktake_id,
                    item_id=target.id,
                    result=result,
                    scanned_by_id=actor.id,
                    scanned_at=clock.now(),
                )
            )
    except IntegrityError:
        # The unique (stocktake, item) constraint decides, also between two keepers scanning one label at once.
        return Scanned(str(ScanResult.DUPLICATE), target.code, target.name, target.location, target.status)
    if result == ScanResult.EXPECTED:
        db.session.execute(
            update(SNAPSHOT)
            .where(SNAPSHOT.c.stocktake_id == target.stocktake_id, SNAPSHOT.c.item_id == target.id)
            .values(found=True)
        )
    return Scanned(str(result), target.code, target.name, target.location, target.status)


@transactional
def close_stocktake(actor: User, number: str) -> Summary:
    """Close a stocktake: one ledger entry lists every item expected or scanned, with what was missing.

    Raises Forbidden, NotFound, InvalidState (already closed, also when another keeper closed it just now).
    """
    require_keeper(actor)
    stocktake = find_stocktake(actor, number)
    now = clock.now()
    closed = changed_rows(
        update(Stocktake)
        .where(Stocktake.id == stocktake.id, Stocktake.status == StocktakeStatus.OPEN)
        .values(status=StocktakeStatus.CLOSED, closed_by_id=actor.id, closed_at=now)
    )
    if closed != 1:
        raise InvalidState(f"Stocktake {stocktake.number} is already closed")
    expected = db.session.execute(
        select(Item.code, StocktakeItem.found)
        .join(Item, Item.id == StocktakeItem.item_id)
        .where(StocktakeItem.stocktake_id == stocktake.id)
    ).all()
    missing = sorted(code for code, was_found in expected if not was_found)
    unexpected = unexpected_codes(stocktake.id)
    found = len(expected) - len(missing)
    entry = append(
        db.session,
        actor=actor,
        kind=EntryKind.STOCKTAKE_CLOSED,
        items=[code for code, _found in expected] + unexpected,
        data={
            "number": stocktake.number,
            "location": stocktake.location.code,
            "expected": len(expected),
            "found": found,
            "missing": missing,
            "unexpected": unexpected,
        },
    )
    db.session.execute(
        update(Stocktake).where(Stocktake.id == stocktake.id).values(found=found, close_seq=entry.seq),
        execution_options={"synchronize_session": False},
    )
    db.session.refresh(stocktake)
    return summaries([stocktake], with_lists=True)[0]
