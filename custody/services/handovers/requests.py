"""Asking for a handover, approving it, withdrawing it: the sending agency's steps.

"One open handover per case" and "an item in at most one open handover" are partial unique
indexes: two handlers asking at the same moment cannot both succeed, whatever the timing.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from custody import clock, codes
from custody.errors import HandoverOpen, InvalidInput, ItemsUnavailable
from custody.extensions import db
from custody.ledger import EntryKind
from custody.models import (
    Agency,
    Case,
    Checkout,
    CheckoutItem,
    Disposition,
    DispositionItem,
    Handover,
    HandoverItem,
    HandoverStatus,
    Item,
    ItemStatus,
    Role,
    User,
)
from custody.models.handover import OPEN_HANDOVER
from custody.services import access
from custody.services.checkouts import normal_codes
from custody.services.closing import refuse_if_closed
from custody.services.handovers.reads import CASE_HOLDERS, kind_between, load, open_handover_of
from custody.services.handovers.steps import close_lines, record, require_party, transition
from custody.services.uow import transactional

MAX_ITEMS = 50_000
_CHUNK = 900


def _receiver(sender: Agency, code: str) -> Agency:
    code = (code or "").strip().upper()
    receiver = (
        db.session.scalars(select(Agency).where(Agency.code == code)).one_or_none() if access.storable(code) else None
    )
    if receiver is None:
        raise InvalidInput("Unknown agency", errors={"to_agency": [f"No agency {code}"]})
    if receiver.id == sender.id:
        raise InvalidInput(
            "Same agency", errors={"to_agency": ["A case cannot be handed over to the agency holding it"]}
        )
    if receiver.kind not in CASE_HOLDERS:
        raise InvalidInput("Not a case-holding agency", errors={"to_agency": [f"{code} does not hold cases"]})
    return receiver


def _busy(case: Case) -> dict[int, str]:
    """Items of the case in an open check-out, another open handover or an open disposition, with its number."""
    out = select(CheckoutItem.item_id, Checkout.number).join(Checkout, Checkout.id == CheckoutItem.checkout_id)
    out = out.join(Item, Item.id == CheckoutItem.item_id).where(Item.case_id == case.id, CheckoutItem.active)
    held = select(HandoverItem.item_id, Handover.number).join(Handover, Handover.id == HandoverItem.handover_id)
    held = held.join(Item, Item.id == HandoverItem.item_id).where(Item.case_id == case.id, HandoverItem.active)
    ending = select(DispositionItem.item_id, Disposition.number)
    ending = ending.join(Disposition, Disposition.id == DispositionItem.disposition_id)
    ending = ending.join(Item, Item.id == DispositionItem.item_id)
    ending = ending.where(Item.case_id == case.id, DispositionItem.active)
    busy = {item_id: f"in open check-out {number}" for item_id, number in db.session.execute(out)}
    busy.update({item_id: f"in open handover {number}" for item_id, number in db.session.execute(held)})
    busy.update({item_id: f"in open disposition {number}" for item_id, number in db.session.execute(ending)})
    return busy


def _choose(case: Case, wanted: Sequence[str] | None) -> list[tuple[int, str]]:
    """(id, code) of the items to hand over; raises InvalidInput or ItemsUnavailable naming each refused item."""
    rows = db.session.execute(
        select(Item.id, Item.code, Item.status, Item.custodian_id).where(Item.case_id == case.id).order_by(Item.id)
    ).all()
    if wanted is None:
        chosen = [r for r in rows if r.status != ItemStatus.DISPOSED and r.custodian_id == case.agency_id]
    else:
        by_code = {r.code: r for r in rows}
        strangers = [code for code in wanted if code not in by_code]
        if strangers:
            raise InvalidInput(
                "Items not of this case",
                errors={"items": [f"{code} is not an item of case {case.case_no}" for code in strangers[:50]]},
            )
        chosen = [by_code[code] for code in wanted]
    busy = _busy(case)
    custodians = dict(db.session.execute(select(Agency.id, Agency.code)).all())
    refused: dict[str, str] = {}
    for r in chosen:
        if r.status == ItemStatus.DISPOSED:
            refused[r.code] = "is disposed"
        elif r.status == ItemStatus.CHECKED_OUT:
            refused[r.code] = "is checked out"
        elif r.id in busy:
            refused[r.code] = busy[r.id]
        elif r.custodian_id != case.agency_id:
            refused[r.code] = f"is already in the custody of {custodians.get(r.custodian_id, '?')}"
    if refused:
        text = "; ".join(f"{code} {why}" for code, why in list(refused.items())[:50])
        raise ItemsUnavailable(f"Not available: {text}", errors={"items": [f"{c} {w}" for c, w in refused.items()]})
    return [(r.id, r.code) for r in chosen]


def _new_number() -> str:
    while True:
        number = codes.new_code(codes.CodeKind.HANDOVER)
        if db.session.scalar(select(Handover.id).where(Handover.number == number)) is None:
            return number


def _refuse_open(case: Case) -> None:
    existing = open_handover_of(case)
    if existing is not None:
        raise HandoverOpen(f"Case {case.case_no} already has open handover {existing.number}")


def _refuse_off_shelf(case: Case, moving: Sequence[str]) -> None:
    """Items moving with the case leave by a check-out the keeper releases from the shelf: one never taken in
    (or away) could never be released, so it may be handed over staying, not moving."""
    if not moving:
        return
    off_shelf = sorted(
        db.session.scalars(
            select(Item.code).where(
                Item.case_id == case.id, Item.code.in_(moving), Item.status != ItemStatus.IN_STORAGE
            )
        )
    )
    if off_shelf:
        raise InvalidInput(
            f"Only items in storage can move with the case: {', '.join(off_shelf[:20])}",
            errors={"moves_with_case": [f"{code} is not in storage: take it in first" for code in off_shelf[:50]]},
        )


@transactional
def request_handover(
    actor: User,
    case_no: str,
    to_agency: str,
    items: Sequence[str] | None = None,
    moves_with_case: Sequence[str] | None = None,
    note: str | None = None,
) -> Handover:
    """A handler of the holding agency asks to hand the case (and by default every item it holds) over.

    Raises Forbidden, NotFound, WrongAgency, InvalidInput (to_agency, items, moves_with_case),
    HandoverOpen, ItemsUnavailable (naming each checked-out, disposed, busy or no-longer-held item).
    """
    access.require_role(actor, Role.HANDLER)
    case = access.visible_case(db.session, actor, case_no)
    access.require_holder(actor, case)
    refuse_if_closed(case)
    receiver = _receiver(case.agency, to_agency)
    wanted = None if items is None else normal_codes(items)
    if wanted is not None and len(wanted) > MAX_ITEMS:
        raise InvalidInput("Too many items", errors={"items": [f"At most {MAX_ITEMS}"]})
    if wanted == []:
        # Leaving every item behind silently would be a client's slip, not a decision: items that stay with the
        # sender are rejected one by one, each with its reason, by the receiving agency.
        raise InvalidInput(
            "No items named", errors={"items": ["Name at least one item, or leave items out to hand over every one"]}
        )
    moving = normal_codes(moves_with_case or [])
    _refuse_open(case)
    try:
        chosen = _choose(case, wanted)
    except ItemsUnavailable:
        # On PostgreSQL another handover of this case may have committed since we looked: that is the reason.
        _refuse_open(case)
        raise
    strays = sorted(set(moving) - {code for _, code in chosen})
    if strays:
        raise InvalidInput(
            "Moves with the case but not handed over",
            errors={"moves_with_case": [f"{code} is not among the items handed over" for code in strays[:50]]},
        )
    _refuse_off_shelf(case, moving)
    handover = Handover(
        number=_new_number(),
        case_id=case.id,
        from_agency_id=case.agency_id,
        to_agency_id=receiver.id,
        kind=kind_between(case.agency, receiver),
        status=HandoverStatus.REQUESTED,
        open=True,
        note=(note or "").strip() or None,
        requested_by_id=actor.id,
        requested_at=clock.now(),
    )
    number, kind = handover.number, handover.kind
    db.session.add(handover)
    try:
        db.session.flush()
    except IntegrityError as exc:  # another handler opened one a moment ago
        raise HandoverOpen(f"Case {case_no} got another open handover just now; reload it") from exc
    moves = set(moving)
    rows = [
        {"handover_id": handover.id, "item_id": i, "moves": code in moves, "active": True, "state": "pending"}
        for i, code in chosen
    ]
    try:
        for start in range(0, len(rows), _CHUNK):
            db.session.execute(insert(HandoverItem), rows[start : start + _CHUNK])
    except IntegrityError as exc:
        raise ItemsUnavailable(
            "Some items were put in another handover just now",
            errors={"items": ["In another open handover since a moment ago; reload and try again"]},
        ) from exc
    handover = load(actor, number, with_lines=False)
    record(
        actor,
        handover,
        EntryKind.HANDOVER_REQUESTED,
        {"to": receiver.code, "kind": kind, "moves_with_case": sorted(moves), "note": handover.note},
    )
    return load(actor, number, with_lines=False)


@transactional
def approve_handover(actor: User, number: str) -> Handover:
    """An approver of the sending agency agrees. Raises NotFound, Forbidden, WrongAgency, InvalidState."""
    handover = load(actor, number, with_lines=False)
    require_party(actor, handover, "from", Role.APPROVER)
    transition(
        handover,
        (HandoverStatus.REQUESTED,),
        status=HandoverStatus.APPROVED,
        approved_by_id=actor.id,
        approved_at=clock.now(),
    )
    record(actor, handover, EntryKind.HANDOVER_APPROVED, {"to": handover.to_agency.code, "kind": handover.kind})
    return load(actor, number, with_lines=False)


@transactional
def cancel_handover(actor: User, number: str, reason: str | None = None) -> Handover:
    """The sending agency (handler or approver) withdraws it before the receiver decides.

    Raises NotFound, Forbidden, WrongAgency, InvalidState.
    """
    handover = load(actor, number, with_lines=False)
    require_party(actor, handover, "from", Role.HANDLER, Role.APPROVER)
    was = handover.status
    reason = (reason or "").strip() or None
    transition(
        handover,
        OPEN_HANDOVER,
        status=HandoverStatus.CANCELLED,
        open=False,
        decided_by_id=actor.id,
        decided_at=clock.now(),
        reason=reason,
    )
    close_lines(handover)
    record(actor, handover, EntryKind.HANDOVER_CANCELLED, {"was": was, "reason": reason})
    return load(actor, number, with_lines=False)
