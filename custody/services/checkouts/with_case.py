"""The check-out that takes items "moving with the case" to the receiving agency after a handover."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from custody import clock
from custody.extensions import db
from custody.ledger import EntryKind, append
from custody.models import Case, Checkout, CheckoutItem, CheckoutStatus, Item, Purpose, User
from custody.services.checkouts.acts import new_number


def open_for_handover(actor: User, case: Case, items: Sequence[str], handover_number: str) -> Checkout:
    """Items accepted "to move with the case" leave as an approved check-out of the receiving agency.

    Runs inside the acceptance (the accepting user asks and, by accepting, approves); the keeper then
    releases it by scanning, as any other, and the items come back through the normal return.
    """
    ids = dict(
        db.session.execute(select(Item.code, Item.id).where(Item.case_id == case.id, Item.code.in_(items))).all()
    )
    now = clock.now()
    checkout = Checkout(
        number=new_number(),
        case_id=case.id,
        agency_id=actor.agency_id,
        purpose=Purpose.MOVES_WITH_CASE,
        due_at=None,
        taken_by_id=actor.id,
        note=f"Handover {handover_number}",
        status=CheckoutStatus.APPROVED,
        requested_by_id=actor.id,
        requested_at=now,
        approved_by_id=actor.id,
        approved_at=now,
    )
    db.session.add(checkout)
    db.session.flush()
    db.session.add_all(CheckoutItem(checkout_id=checkout.id, item_id=ids[code], active=True) for code in sorted(items))
    db.session.flush()
    data = {"number": checkout.number, "purpose": Purpose.MOVES_WITH_CASE, "due_at": None, "handover": handover_number}
    append(
        db.session,
        actor=actor,
        kind=EntryKind.CHECKOUT_REQUESTED,
        case_no=case.case_no,
        items=list(items),
        data={**data, "taken_by": actor.username, "note": checkout.note},
    )
    append(
        db.session, actor=actor, kind=EntryKind.CHECKOUT_APPROVED, case_no=case.case_no, items=list(items), data=data
    )
    return checkout
