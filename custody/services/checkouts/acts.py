"""Check-out acts: a handler asks, an approver agrees, a keeper releases by scanning and takes the items back.

Every step is a conditional UPDATE on the check-out's status (and on the items' status), so two
keepers releasing the same check-out at once cannot both succeed: the loser finds the state already
changed, gets ``InvalidState``, and its transaction changes nothing. "One open check-out per item"
is a partial unique index on the active lines: the database, not the timing of two requests, decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from custody import clock, codes
from custody.errors import Forbidden, InvalidInput, InvalidState, ItemsUnavailable, NotFound, WrongAgency
from custody.extensions import db
from custody.ledger import EntryKind, append
from custody.models import (
    Checkout,
    CheckoutItem,
    CheckoutStatus,
    Disposition,
    DispositionItem,
    Handover,
    HandoverItem,
    Item,
    ItemStatus,
    Purpose,
    Role,
    User,
)
from custody.services import access
from custody.services.checkouts.reads import OUT, load, normal_codes, out_lines, taker
from custody.services.conditional import advance, changed_rows
from custody.services.uow import transactional

CANCELLABLE = (CheckoutStatus.REQUESTED, CheckoutStatus.APPROVED)
# What a handler may ask for; ``moves_with_case`` is reserved for the handover workflow.
REQUESTABLE = tuple(p for p in Purpose if p is not Purpose.MOVES_WITH_CASE)
MAX_ITEMS = 1000


def _items_of(user: User, wanted: Sequence[str]) -> list[Item]:
    """Raises InvalidInput (none or too many), NotFound naming the codes the user cannot see."""
    if not wanted:
        raise InvalidInput("No items given", errors={"items": ["At least one item"]})
    if len(wanted) > MAX_ITEMS:
        raise InvalidInput("Too many items", errors={"items": [f"At most {MAX_ITEMS} items"]})
    if not all(access.storable(code) for code in wanted):
        raise NotFound("No such item")
    found = {i.code: i for i in db.session.scalars(select(Item).where(Item.code.in_(wanted), access.item_filter(user)))}
    missing = [code for code in wanted if code not in found]
    if missing:
        raise NotFound(f"No item {', '.join(missing[:20])}")
    return [found[code] for code in wanted]


def _unavailable(items: Sequence[Item]) -> dict[str, str]:
    """Each item that cannot be checked out now, with why."""
    ids = [i.id for i in items]
    rows = db.session.execute(
        select(CheckoutItem.item_id, Checkout.number)
        .join(Checkout, Checkout.id == CheckoutItem.checkout_id)
        .where(CheckoutItem.item_id.in_(ids), CheckoutItem.active)
    )
    busy: dict[int, str] = dict(rows.all())
    handed = dict(
        db.session.execute(
            select(HandoverItem.item_id, Handover.number)
            .join(Handover, Handover.id == HandoverItem.handover_id)
            .where(HandoverItem.item_id.in_(ids), HandoverItem.active)
        ).all()
    )
    disposing = dict(
        db.session.execute(
            select(DispositionItem.item_id, Disposition.number)
            .join(Disposition, Disposition.id == DispositionItem.disposition_id)
            .where(DispositionItem.item_id.in_(ids), DispositionItem.active)
        ).all()
    )
    refused: dict[str, str] = {}
    for item in items:
        if item.id in busy:
            refused[item.code] = f"already in open check-out {busy[item.id]}"
        elif item.id in handed:
            refused[item.code] = f"in open handover {handed[item.id]}: it must stay on its shelf until that is decided"
        elif item.id in disposing:
            refused[item.code] = f"in open disposition {disposing[item.id]}: it stays on its shelf until executed"
        elif item.status != ItemStatus.IN_STORAGE:
            refused[item.code] = f"is {item.status}, not in storage"
    return refused


def _refuse(refused: dict[str, str]) -> ItemsUnavailable:
    text = "; ".join(f"{code} {why}" for code, why in refused.items())
    return ItemsUnavailable(f"Not available: {text}", errors={"items": [f"{c} {w}" for c, w in refused.items()]})


def _check_request(
    actor: User, purpose: str, due_at: datetime | None, taken_by: str, allow_moves_with_case: bool
) -> tuple[datetime | None, User]:
    errors: dict[str, list[str]] = {}
    allowed = set(Purpose) if allow_moves_with_case else set(REQUESTABLE)
    if purpose not in allowed:
        errors["purpose"] = [f"One of {', '.join(sorted(allowed))}"]
    if purpose == Purpose.MOVES_WITH_CASE:
        due_at = None  # it goes with the case file; it does not come back on a date
    elif due_at is None:
        errors["due_at"] = ["Required"]
    elif due_at.tzinfo is None:
        errors["due_at"] = ["Give a time with its offset"]
    elif due_at <= clock.now():
        errors["due_at"] = ["Must be in the future"]
    carrier = taker(actor, taken_by)
    if carrier is None:
        errors["taken_by"] = ["Not an active user of your agency"]
    if errors:
        raise InvalidInput("Invalid check-out request", errors=errors)
    assert carrier is not None
    return due_at, carrier


def new_number() -> str:
    while True:
        number = codes.new_code(codes.CodeKind.CHECKOUT)
        if db.session.scalar(select(Checkout.id).where(Checkout.number == number)) is None:
            return number


@transactional
def request_checkout(
    actor: User,
    items: Sequence[str],
    purpose: str,
    due_at: datetime | None,
    taken_by: str,
    note: str | None = None,
    *,
    allow_moves_with_case: bool = False,
) -> Checkout:
    """A handler of the agency holding the case asks to take items (all of one case) off the shelf.

    Raises Forbidden, NotFound, WrongAgency, InvalidInput (items, purpose, due_at, taken_by),
    ItemsUnavailable (naming each item not in storage or already in an open check-out).
    """
    access.require_role(actor, Role.HANDLER)
    wanted = _items_of(actor, normal_codes(items))
    case_ids = {i.case_id for i in wanted}
    if len(case_ids) > 1:
        raise InvalidInput("Items of several cases", errors={"items": ["All items must belong to one case"]})
    case = wanted[0].case
    access.require_holder(actor, case)
    due, taker = _check_request(actor, purpose, due_at, taken_by, allow_moves_with_case)
    refused = _unavailable(wanted)
    if refused:
        raise _refuse(refused)
    checkout = Checkout(
        number=new_number(),
        case_id=case.id,
        agency_id=actor.agency_id,
        purpose=purpose,
        due_at=due,
        taken_by_id=taker.id,
        note=(note or "").strip() or None,
        status=CheckoutStatus.REQUESTED,
        requested_by_id=actor.id,
        requested_at=clock.now(),
    )
    db.session.add(checkout)
    db.session.flush()
    covered = [i.code for i in wanted]  # read now: a failed flush expires every loaded object
    # In item order, so two requests naming the same items in another order wait for each other, never deadlock.
    ordered = sorted(i.id for i in wanted)
    db.session.add_all(CheckoutItem(checkout_id=checkout.id, item_id=item_id, active=True) for item_id in ordered)
    try:
        db.session.flush()
    except IntegrityError as exc:  # another request took one of these items a moment ago
        raise ItemsUnavailable(
            "Some items were just requested in another check-out: " + ", ".join(covered),
            errors={"items": ["Requested in another check-out just now; reload and try again"]},
        ) from exc
    append(
        db.session,
        actor=actor,
        kind=EntryKind.CHECKOUT_REQUESTED,
        case_no=case.case_no,
        items=covered,
        data={
            "number": checkout.number,
            "purpose": purpose,
            "due_at": due,
            "taken_by": taker.username,
            "note": checkout.note,
        },
    )
    return load(actor, checkout.number)


def _active_codes(checkout: Checkout) -> list[str]:
    return [line.item.code for line in checkout.lines if line.active]


def _transition(checkout: Checkout, allowed: Sequence[str], **values: object) -> None:
    advance(checkout, allowed, "Check-out", **values)


def _require_requesting_agency(actor: User, checkout: Checkout, *roles: Role) -> None:
    access.require_role(actor, *roles)
    if actor.agency_id != checkout.agency_id:
        raise WrongAgency(f"Check-out {checkout.number} belongs to {checkout.agency.code}, not {actor.agency.code}")


@transactional
def approve_checkout(actor: User, number: str) -> Checkout:
    """An approver of the requesting agency agrees. Raises NotFound, Forbidden, WrongAgency, InvalidState."""
    checkout = load(actor, number)
    _require_requesting_agency(actor, checkout, Role.APPROVER)
    now = clock.now()
    _transition(
        checkout,
        (CheckoutStatus.REQUESTED,),
        status=CheckoutStatus.APPROVED,
        approved_by_id=actor.id,
        approved_at=now,
    )
    append(
        db.session,
        actor=actor,
        kind=EntryKind.CHECKOUT_APPROVED,
        case_no=checkout.case.case_no,
        items=_active_codes(checkout),
        data={"number": checkout.number, "purpose": checkout.purpose, "due_at": checkout.due_at},
    )
    return load(actor, checkout.number)


def _require_keeper(actor: User) -> None:
    if not actor.has_role(Role.KEEPER):
        raise Forbidden("Only a keeper hands items out and takes them back")


@transactional
def release_checkout(actor: User, number: str, items: Sequence[str] | None = None) -> Checkout:
    """The keeper hands the approved items out; ``items`` (the scanned codes) must be exactly the check-out's.

    Raises NotFound, Forbidden, InvalidState (not approved, or an item no longer in storage),
    InvalidInput (items missing from or not in the check-out).
    """
    checkout = load(actor, number)
    _require_keeper(actor)
    if checkout.status != CheckoutStatus.APPROVED:
        raise InvalidState(f"Check-out {checkout.number} is {checkout.status}; only approved check-outs are released")
    expected = _active_codes(checkout)
    if items is not None:
        scanned = normal_codes(items)
        errors = []
        missing = [c for c in expected if c not in scanned]
        extra = [c for c in scanned if c not in expected]
        if missing:
            errors.append(f"Not scanned: {', '.join(missing)}")
        if extra:
            errors.append(f"Not in this check-out: {', '.join(extra)}")
        if errors:
            raise InvalidInput("The scanned items do not match the check-out", errors={"items": errors})
    now = clock.now()
    _transition(
        checkout,
        (CheckoutStatus.APPROVED,),
        status=CheckoutStatus.RELEASED,
        released_by_id=actor.id,
        released_at=now,
    )
    ids = [line.item_id for line in checkout.lines if line.active]
    moved = changed_rows(
        update(Item).where(Item.id.in_(ids), Item.status == ItemStatus.IN_STORAGE).values(status=ItemStatus.CHECKED_OUT)
    )
    if moved != len(ids):
        raise InvalidState(f"Some items of check-out {checkout.number} are no longer in storage")
    append(
        db.session,
        actor=actor,
        kind=EntryKind.CHECKOUT_RELEASED,
        case_no=checkout.case.case_no,
        items=expected,
        data={
            "number": checkout.number,
            "purpose": checkout.purpose,
            "due_at": checkout.due_at,
            "taken_by": checkout.taken_by.username,
            "scanned": items is not None,
        },
    )
    return load(actor, checkout.number)


@transactional
def return_items(
    actor: User, number: str, items: Sequence[str] | None = None, *, seal_intact: bool, note: str | None = None
) -> Checkout:
    """The keeper takes items back onto their shelf (all still out by default), noting the seal.

    Raises NotFound, Forbidden, InvalidInput (an empty list), InvalidState (not released, or an item not out
    in this check-out).
    """
    checkout = load(actor, number)
    _require_keeper(actor)
    if checkout.status not in OUT:
        raise InvalidState(f"Check-out {checkout.number} is {checkout.status}; nothing of it is out")
    # Two keepers returning different items at once: lock the row (SET status = status) and read the
    # lines again, so the second sees what the first returned and the final status counts both.
    _transition(checkout, OUT, status=Checkout.status)
    checkout = load(actor, checkout.number)
    out = {line.item.code: line for line in out_lines(checkout)}
    if items is None:
        lines = list(out.values())
    else:
        wanted = normal_codes(items)
        if not wanted:
            raise InvalidInput("No items given", errors={"items": ["At least one item, or leave it out for all"]})
        not_out = [code for code in wanted if code not in out]
        if not_out:
            raise InvalidState(f"Not out in check-out {checkout.number}: {', '.join(not_out[:20])}")
        lines = [out[code] for code in wanted]
    now = clock.now()
    note = (note or "").strip() or None
    back = changed_rows(
        update(CheckoutItem)
        .where(CheckoutItem.id.in_([line.id for line in lines]), CheckoutItem.active)
        .values(active=False, returned_at=now, returned_by_id=actor.id, seal_intact=bool(seal_intact), return_note=note)
    )
    shelved = changed_rows(
        update(Item)
        .where(Item.id.in_([line.item_id for line in lines]), Item.status == ItemStatus.CHECKED_OUT)
        .values(status=ItemStatus.IN_STORAGE)
    )
    if back != len(lines) or shelved != len(lines):
        raise InvalidState(f"Items of check-out {checkout.number} were returned by someone else just now")
    complete = len(lines) == len(out)
    status = CheckoutStatus.RETURNED if complete else CheckoutStatus.PARTIALLY_RETURNED
    _transition(checkout, OUT, status=status, closed_at=now if complete else None)
    append(
        db.session,
        actor=actor,
        kind=EntryKind.CHECKOUT_RETURNED,
        case_no=checkout.case.case_no,
        items=[line.item.code for line in lines],
        data={
            "number": checkout.number,
            "seal_intact": bool(seal_intact),
            "note": note,
            "status": status,
            "still_out": len(out) - len(lines),
        },
    )
    return load(actor, checkout.number)


@transactional
def cancel_checkout(actor: User, number: str) -> Checkout:
    """A handler or approver of the requesting agency withdraws it before release.

    Raises NotFound, Forbidden, WrongAgency, InvalidState.
    """
    checkout = load(actor, number)
    _require_requesting_agency(actor, checkout, Role.HANDLER, Role.APPROVER)
    covered, was = _active_codes(checkout), checkout.status
    _transition(checkout, CANCELLABLE, status=CheckoutStatus.CANCELLED, closed_at=clock.now())
    changed_rows(update(CheckoutItem).where(CheckoutItem.checkout_id == checkout.id).values(active=False))
    append(
        db.session,
        actor=actor,
        kind=EntryKind.CHECKOUT_CANCELLED,
        case_no=checkout.case.case_no,
        items=covered,
        data={"number": checkout.number, "was": was},
    )
    return load(actor, checkout.number)
