"""Intake and moves: the keeper puts an item on a shelf, and later elsewhere.

Both acts change an item by a conditional UPDATE (``WHERE status = …``), so when
two keepers scan the same label at once the database decides: one succeeds, the
other gets ``InvalidState`` and nothing changes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

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

MAX_NOTE = 2000


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


def due_by(item: Item) -> datetime:
    """When the item should be on a shelf: its seizure plus the intake deadline (design §4 rule 5)."""
    return item.seized_at + intake_deadline()


def would_be_late(item: Item, at: datetime | None = None) -> bool:
    """Whether taking the item in now (or ``at``) is past its deadline: the desk warns before the keeper scans."""
    return (at or clock.now()) > due_by(item)


@transactional
def intake(actor: User, code: str, *, location: str, seal_intact: bool, note: str | None = None) -> Item:
    """Take a registered item in and shelve it; later than the deadline after seizure marks it late.

    Raises Forbidden, NotFound, InvalidInput (location, note), InvalidState (not ``registered``).
    """
    item = _keepers_item(actor, code)
    place = _target(location)
    note = (note or "").strip() or None
    if note is not None and len(note) > MAX_NOTE:
        raise InvalidInput("Note too long", errors={"note": [f"At most {MAX_NOTE} characters"]})
    if item.status != ItemStatus.REGISTERED:
        raise InvalidState(f"Item {item.code} is {item.status}; only registered items are taken in")
    now = clock.now()
    late = would_be_late(item, now)
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
        data={"location": place.code, "seal_intact": bool(seal_intact), "late": late, "note": note},
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
