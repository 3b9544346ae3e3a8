"""Acknowledging a late intake: an auditor has looked into it, and says so in the ledger.

A late intake (design §4 rule 5) cannot be undone by any later act, so without a review its alert
would stay until the item is disposed of and bury the alerts that still need action. The item keeps
its ``late_intake`` mark for ever; the acknowledgement only ends the alert. It is the supervisor's
call, not the supervised agency's: only auditors acknowledge, and each acknowledgement names who and
why in a ledger entry written in the same transaction.
"""

from __future__ import annotations

from sqlalchemy import update

from custody import clock, codes
from custody.errors import InvalidInput, InvalidState
from custody.extensions import db
from custody.ledger import EntryKind, append
from custody.models import Item, ItemStatus, Role, User
from custody.services import access
from custody.services.conditional import changed_rows
from custody.services.uow import transactional

MAX_NOTE = 2000


@transactional
def acknowledge_late_intake(actor: User, code: str, note: str) -> Item:
    """Record that an auditor reviewed the item's late intake; its ``late_intake`` alert ends.

    Raises Forbidden (not an auditor), NotFound, InvalidInput (note missing or too long), InvalidState (the intake
    was not late, is already acknowledged, or the item is disposed of: read-only for ever).
    """
    access.require_role(actor, Role.AUDITOR)
    item = access.visible_item(db.session, actor, codes.extract(code or "").upper())
    note = (note or "").strip()
    if not note:
        raise InvalidInput("Say what the review found", errors={"note": ["Required"]})
    if len(note) > MAX_NOTE:
        raise InvalidInput("Note too long", errors={"note": [f"At most {MAX_NOTE} characters"]})
    if item.status == ItemStatus.DISPOSED:
        raise InvalidState(f"Item {item.code} is disposed of")
    if not item.late_intake:
        raise InvalidState(f"Item {item.code} was not taken in late")
    # Conditional: two auditors acknowledging at once, exactly one records it.
    changed = changed_rows(
        update(Item)
        .where(
            Item.id == item.id,
            Item.late_intake,
            Item.late_intake_acknowledged_at.is_(None),
            Item.status != ItemStatus.DISPOSED,
        )
        .values(late_intake_acknowledged_at=clock.now())
    )
    if changed != 1:
        raise InvalidState(f"The late intake of item {item.code} is already acknowledged")
    append(
        db.session,
        actor=actor,
        kind=EntryKind.ITEM_LATE_INTAKE_ACKNOWLEDGED,
        case_no=item.case.case_no,
        items=[item.code],
        data={"note": note, "intake_at": item.intake_at, "seized_at": item.seized_at},
    )
    db.session.refresh(item)
    return item
