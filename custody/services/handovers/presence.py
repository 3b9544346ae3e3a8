"""The presence check: the keeper confirms the items of an approved handover are on their shelves.

Scans are working notes on the handover's lines (like a stocktake's); the check itself is the act
the ledger records, listing the items and naming the missing ones. The shelf each item was found
on is kept on its line, so the receipt prints where it was at the handover.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, update

from custody import clock, codes
from custody.errors import InvalidInput, ItemsUnavailable
from custody.extensions import db
from custody.ledger import EntryKind
from custody.models import Handover, HandoverItem, HandoverStatus, Item, ItemStatus, Location, Presence, User
from custody.services.checkouts import normal_codes
from custody.services.conditional import changed_rows
from custody.services.handovers.reads import load
from custody.services.handovers.steps import record, require_keeper, transition
from custody.services.uow import transactional

_CHUNK = 900


@dataclass(frozen=True)
class PresenceScan:
    code: str
    result: str  # "present" or "duplicate"
    checked: int
    total: int


def _shelf_of_line():  # type: ignore[no-untyped-def]
    """The code of the shelf the line's item is on now, as a correlated subquery."""
    return (
        select(Location.code)
        .join(Item, Item.location_id == Location.id)
        .where(Item.id == HandoverItem.item_id)
        .scalar_subquery()
    )


def _progress(handover: Handover) -> tuple[int, int]:
    checked, total = db.session.execute(
        select(func.count(HandoverItem.presence), func.count(HandoverItem.id)).where(
            HandoverItem.handover_id == handover.id
        )
    ).one()
    return checked, total


def progress(handover: Handover) -> tuple[int, int]:
    """(items scanned or marked, items in the handover)."""
    return _progress(handover)


@transactional
def scan_present(actor: User, number: str, raw: str) -> PresenceScan:
    """The keeper scanned one item on its shelf.

    Raises NotFound, Forbidden, InvalidState, InvalidInput, ItemsUnavailable (the item is not in storage).
    """
    handover = load(actor, number, with_lines=False)  # not found before not allowed: a 404 reveals nothing
    require_keeper(actor)
    # Locks the handover row (status = status), so a scan cannot land after the check was completed.
    transition(handover, (HandoverStatus.APPROVED,), status=Handover.status)
    code = codes.extract(raw or "").upper()
    line = db.session.execute(
        select(HandoverItem.id, Item.status)
        .join(Item, Item.id == HandoverItem.item_id)
        .where(HandoverItem.handover_id == handover.id, Item.code == code)
    ).one_or_none()
    if line is None:
        raise InvalidInput(
            f"{code or raw!r} is not in handover {handover.number}", errors={"code": ["Not in this handover"]}
        )
    line_id, status = line
    _refuse_off_shelf({code: status}, "code")
    marked = changed_rows(
        update(HandoverItem)
        .where(
            HandoverItem.id == line_id, (HandoverItem.presence.is_(None)) | (HandoverItem.presence == Presence.MISSING)
        )
        .values(presence=Presence.PRESENT, location=_shelf_of_line())
    )
    checked, total = _progress(handover)
    return PresenceScan(code, "present" if marked else "duplicate", checked, total)


def _refuse_off_shelf(statuses: dict[str, str], field: str) -> None:
    """Only an item in storage can be found on its shelf: one never taken in (or out) is marked missing instead."""
    off = sorted(code for code, status in statuses.items() if status != ItemStatus.IN_STORAGE)
    if off:
        shown = ", ".join(off[:50]) + (" …" if len(off) > 50 else "")
        raise ItemsUnavailable(
            f"Not on a shelf of the centre (not in storage), so not present: {shown}; mark them missing",
            errors={field: [f"{c} is not in storage" for c in off[:50]]},
        )


def _lines(handover: Handover) -> dict[str, tuple[int, str | None, str]]:
    rows = db.session.execute(
        select(Item.code, HandoverItem.id, HandoverItem.presence, Item.status)
        .join(Item, Item.id == HandoverItem.item_id)
        .where(HandoverItem.handover_id == handover.id)
    )
    return {code: (line_id, presence, status) for code, line_id, presence, status in rows}


def _sort_out(lines: dict[str, tuple[int, str | None, str]], present: list[str], missing: list[str]) -> None:
    errors: dict[str, list[str]] = {}
    for field, given in (("present", present), ("missing", missing)):
        strangers = [c for c in given if c not in lines]
        if strangers:
            errors[field] = [f"{c} is not in this handover" for c in strangers[:50]]
    both = sorted(set(present) & set(missing))
    if both:
        errors.setdefault("missing", []).append(f"Both present and missing: {', '.join(both[:50])}")
    said = set(present) | set(missing)
    silent = sorted(c for c, (_, presence, _s) in lines.items() if c not in said and presence != Presence.PRESENT)
    if silent:
        errors.setdefault("present", []).append(
            f"Neither scanned nor marked missing: {', '.join(silent[:50])}" + (" …" if len(silent) > 50 else "")
        )
    if errors:
        raise InvalidInput("The presence check does not account for every item", errors=errors)


@transactional
def check_presence(
    actor: User,
    number: str,
    present: Sequence[str] = (),
    missing: Sequence[str] | None = None,
    *,
    rest_missing: bool = False,
) -> Handover:
    """The keeper completes the check: every item scanned (or listed present) or marked missing.

    ``rest_missing`` marks missing whatever is neither scanned nor listed, decided inside the transaction
    (after the last scan has landed), not from a page that may be a scan behind.

    Raises NotFound, Forbidden, InvalidState (not approved), InvalidInput (an item unaccounted for,
    listed twice, or not in the handover), ItemsUnavailable (an item counted present is not in storage).
    """
    handover = load(actor, number, with_lines=False)  # not found before not allowed: a 404 reveals nothing
    require_keeper(actor)
    transition(handover, (HandoverStatus.APPROVED,), status=Handover.status)
    lines = _lines(handover)
    present_codes, missing_codes = normal_codes(present), normal_codes(missing or [])
    if rest_missing:
        said = set(present_codes) | set(missing_codes)
        missing_codes += sorted(c for c, (_, mark, _s) in lines.items() if c not in said and mark != Presence.PRESENT)
    _sort_out(lines, present_codes, missing_codes)
    # Listed present now, or left unmarked (= present, below): each must be in storage.
    missing_set = set(missing_codes)
    _refuse_off_shelf(
        {c: status for c, (_, mark, status) in lines.items() if c not in missing_set and mark is None}
        | {c: lines[c][2] for c in present_codes},
        "present",
    )
    missing_ids = [lines[c][0] for c in missing_codes]
    for start in range(0, len(missing_ids), _CHUNK):
        changed_rows(
            update(HandoverItem)
            .where(HandoverItem.id.in_(missing_ids[start : start + _CHUNK]))
            .values(presence=Presence.MISSING, location=None)
        )
    changed_rows(
        update(HandoverItem)
        # Scans only ever mark present, so what is still unmarked now is what was listed present.
        .where(HandoverItem.handover_id == handover.id, HandoverItem.presence.is_(None))
        .values(presence=Presence.PRESENT, location=_shelf_of_line())
    )
    transition(
        handover,
        (HandoverStatus.APPROVED,),
        status=HandoverStatus.CHECKED,
        checked_by_id=actor.id,
        checked_at=clock.now(),
    )
    record(
        actor,
        handover,
        EntryKind.HANDOVER_CHECKED,
        {"present": len(lines) - len(missing_codes), "missing": sorted(missing_codes)},
    )
    return load(actor, handover.number, with_lines=False)
