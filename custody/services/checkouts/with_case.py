"""The check-out that takes items "moving with the case" to the receiving agency after a handover."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from custody import clock
from custody.extensions import db
from custody.ledger import EntryKind, append
from custody.models import Checkout, CheckoutItem, CheckoutStatus, Handover, Item, Purpose, User
from custody.services.checkouts.acts import new_number


def open_for_handover(actor: User, handover: Handover, items: Sequence[str]) -> Checkout:
    """Items accepted "to move with the case" leave as an approved check-out of the receiving agency.

    Runs inside the acceptance. Nobody approves it on its own: the sending agency's approver approved these
    items' move with the case when approving the handover, and the receiver accepted it, so the check-out is
    recorded approved by that approver, in one ``checkout.requested`` entry that names the handover (a separate
    ``checkout.approved`` entry would name the accepting user, who may be no approver at all). The keeper then
    releases it by scanning, as any other, and the items come back through the normal return.
    """
    case = handover.case
    ids = dict(
        db.session.execute(select(Item.code, Item.id).where(Item.case_id == case.id, Item.code.in_(items))).all()
    )
    now = clock.now()
    approver = handover.approved_by
    checkout = Checkout(
        number=new_number(),
        case_id=case.id,
        agency_id=actor.agency_id,
        purpose=Purpose.MOVES_WITH_CASE,
        due_at=None,
        taken_by_id=actor.id,
        note=None,  # the purpose (moves with the case) and the entry's handover say why, in the reader's language
        status=CheckoutStatus.APPROVED,
        requested_by_id=actor.id,
        requested_at=now,
        approved_by_id=handover.approved_by_id,
        approved_at=handover.approved_at,
    )
    db.session.add(checkout)
    db.session.flush()
    db.session.add_all(CheckoutItem(checkout_id=checkout.id, item_id=ids[code], active=True) for code in sorted(items))
    db.session.flush()
    append(
        db.session,
        actor=actor,
        kind=EntryKind.CHECKOUT_REQUESTED,
        case_no=case.case_no,
        items=list(items),
        data={
            "number": checkout.number,
            "purpose": Purpose.MOVES_WITH_CASE,
            "due_at": None,
            "handover": handover.number,
            "taken_by": actor.username,
            "status": CheckoutStatus.APPROVED,
            "approved_by": approver.username if approver else None,
        },
    )
    return checkout
