"""Closing a case: the judgment is executed, the case is withdrawn or not prosecuted. Its holder says so.

A closed case takes no new items and is not handed over again, but its items still in the centre must
yet get their disposition: the ``closed_case_items`` alert counts the days.
"""

from __future__ import annotations

from sqlalchemy import func, select, update

from custody import clock
from custody.errors import HandoverOpen, InvalidInput, InvalidState
from custody.extensions import db
from custody.ledger import EntryKind, append
from custody.models import Case, ClosingReason, Handover, Item, ItemStatus, Role, Stage, User
from custody.services import access
from custody.services.conditional import changed_rows
from custody.services.uow import transactional


@transactional
def close_case(actor: User, case_no: str, reason: str, note: str | None = None) -> Case:
    """A handler or approver of the holding agency closes the case.

    Raises NotFound, Forbidden, WrongAgency, InvalidInput (reason), InvalidState (already closed),
    HandoverOpen (a handover of it is still open: decide or cancel it first).
    """
    access.require_role(actor, Role.HANDLER, Role.APPROVER)
    case = access.visible_case(db.session, actor, case_no)
    access.require_holder(actor, case)
    if reason not in set(ClosingReason):
        raise InvalidInput("Unknown reason", errors={"reason": [f"One of {', '.join(ClosingReason)}"]})
    note = (note or "").strip() or None
    if note is not None and len(note) > 2000:
        raise InvalidInput("Note too long", errors={"note": ["At most 2000 characters"]})
    if case.closed_at is not None:
        raise InvalidState(f"Case {case.case_no} is already closed")
    open_one = db.session.scalar(select(Handover.number).where(Handover.case_id == case.id, Handover.open))
    if open_one is not None:
        raise HandoverOpen(f"Case {case.case_no} has open handover {open_one}; decide or cancel it first")
    was = case.stage
    closed = changed_rows(
        update(Case)
        .where(Case.id == case.id, Case.closed_at.is_(None), Case.agency_id == actor.agency_id)
        .values(
            stage=Stage.CLOSED, closed_at=clock.now(), closed_by_id=actor.id, closed_reason=reason, closed_note=note
        )
    )
    if closed != 1:
        raise InvalidState(f"Case {case.case_no} changed just now; reload it")
    remaining = db.session.scalar(
        select(func.count(Item.id)).where(Item.case_id == case.id, Item.status != ItemStatus.DISPOSED)
    )
    append(
        db.session,
        actor=actor,
        kind=EntryKind.CASE_CLOSED,
        case_no=case.case_no,
        data={"reason": reason, "note": note, "was": was, "items_not_disposed": remaining or 0},
    )
    db.session.refresh(case)
    return case


def refuse_if_closed(case: Case) -> None:
    """New items and handovers are for open cases; a closed one only lets its items go (dispositions)."""
    if case.closed_at is not None:
        raise InvalidState(f"Case {case.case_no} is closed")
