"""Intake and moves: the keeper puts an item on a shelf, and later elsewhere.

Both acts change an item by a conditional UPDATE (``WHERE status = …``), so when
two keepers scan the same label at once the database decides: one succeeds, the
other gets ``InvalidState`` and nothing changes.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import update

from custody import clock, codes
from custody.errors import InvalidInput, InvalidState
from custody.extensions import db
from custody.ledger import EntryKind, append
from custody.models import Item, ItemStatus, Location, Role, User
from custody.services import access, locations
from custody.services.conditional import changed_rows
from custody.services.uow import transactional


def _target(raw: str) -> Location:
    """The location a scanned or typed code names. Raises InvalidInput naming the field."""
    place = locations.find(codes.extract(raw or ""))
    if place is None:
        raise InvalidInput(f"No location {raw[:40]!r}", errors={"location": ["No such location"]})
    return place


def _keepers_item(actor: User, code: str) -> Item:
    access.require_role(actor, Role.KEEPER)
    return access.visible_item(db.session, actor, codes.extract(code or "").upper())


def intake_deadline() -> timedelta:
    return timedelta(hours=current_app.config["CUSTODY_INTAKE_HOURS"])


@transactional
def intake(actor: User, code: str, *, location: str, seal_intact: bool, note: str | None = None) -> Item:
    """Take a registered item in and shelve it; later than the deadline after seizure marks it late.

    Raises Forbidden, NotFound, InvalidInput (location), InvalidState (not ``registered``).
    """
    item = _keepers_item(actor, code)
    place = _target(location)
    if item.status != ItemStatus.REGISTERED:
        raise InvalidState(f"Item {item.code} is {item.status}; only registered items are taken in")
    now = clock.now()
    late = now - item.seized_at > intake_deadline()
    changed = changed_rows(
        update(Item)
        .where(Item.id == item.id, Item.status == ItemStatus.REGISTERED)
        .values(status=ItemStatus.IN_STORAGE, location_id=place.id, late_intake=late, intake_at=now)
    )
    if changed != 1:
        raise InvalidState(f"Item {item.code} was taken in by someone else just now")
    append(
        db.session,
        actor=actor,
        kind=EntryKind.ITEM_INTAKE,
        case_no=item.case.case_no,
        items=[item.code],
        data={"location": place.code, "seal_intact": bool(seal_intact), "late": late, "note": note or None},
    )
    db.session.refresh(item)
    return item


@transactional
def move(actor: User, code: str, *, location: str) -> Item:
    """Move a stored item to another location.

    Raises Forbidden, NotFound, InvalidInput (location), InvalidState (not in storage, or already there).
    """
    item = _keepers_item(actor, code)
    place = _target(location)
    if item.status != ItemStatus.IN_STORAGE:
        raise InvalidState(f"Item {item.code} is {item.status}; only items in storage are moved")
    if item.location_id == place.id:
        raise InvalidState(f"Item {item.code} is already on {place.code}")
    source = item.location.code if item.location else None
    changed = changed_rows(
        update(Item)
        .where(Item.id == item.id, Item.status == ItemStatus.IN_STORAGE, Item.location_id == item.location_id)
        .values(location_id=place.id)
    )
    if changed != 1:
        raise InvalidState(f"Item {item.code} changed while it was being moved; scan it again")
    append(
        db.session,
        actor=actor,
        kind=EntryKind.ITEM_MOVED,
        case_no=item.case.case_no,
        items=[item.code],
        data={"from": source, "to": place.code},
    )
    db.session.refresh(item)
    return item
