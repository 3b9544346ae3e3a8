"""What every handover step shares: the race-deciding status change, party checks and the ledger entry."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import update

from custody.errors import Forbidden, WrongAgency
from custody.extensions import db
from custody.ledger import EntryKind, append
from custody.models import Handover, HandoverItem, LedgerEntry, Role, User
from custody.services import access
from custody.services.conditional import advance, changed_rows
from custody.services.handovers.reads import line_codes


def transition(handover: Handover, allowed: Sequence[str], **values: object) -> None:
    advance(handover, allowed, "Handover", **values)


def close_lines(handover: Handover) -> None:
    """The items are free for the next handover once this one is decided or cancelled."""
    changed_rows(update(HandoverItem).where(HandoverItem.handover_id == handover.id).values(active=False))


def require_party(actor: User, handover: Handover, side: str, *roles: Role) -> None:
    """``side`` is ``from`` (the sending agency) or ``to`` (the receiving one)."""
    access.require_role(actor, *roles)
    agency = handover.from_agency if side == "from" else handover.to_agency
    if actor.agency_id != agency.id:
        raise WrongAgency(f"Only {agency.code} may do this for handover {handover.number}, not {actor.agency.code}")


def require_keeper(actor: User) -> None:
    """The check is the centre's word that the items are there: a keeper of a party to the handover will not do."""
    if not access.is_centre_keeper(actor):
        raise Forbidden("Only a keeper of the centre checks that the items are on their shelves")


def record(actor: User, handover: Handover, kind: EntryKind, data: Mapping[str, Any]) -> LedgerEntry:
    """One entry for the step, listing every item of the handover."""
    return append(
        db.session,
        actor=actor,
        kind=kind,
        case_no=handover.case.case_no,
        items=line_codes(handover.id),
        data={"number": handover.number, **data},
    )
