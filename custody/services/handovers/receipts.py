"""Issuing and verifying receipts.

A receipt is made from what the handover recorded when it was decided (the shelf each item was on
at the presence check, the decision's ledger entry), drawn in reportlab's invariant mode, so the
same handover always gives the same bytes. The first issue stores the file in the content-addressed
store and writes its SHA-256 into the ledger; later downloads serve those bytes. Anyone holding a
receipt can check it: its hash either is the one the ledger recorded or it is not.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from custody.documents import receipt_content as document
from custody.documents.receipt import render
from custody.errors import InvalidState
from custody.extensions import db
from custody.ledger.kinds import EntryKind
from custody.models import DECIDED_HANDOVER, Handover, HandoverItem, User
from custody.services.handovers.reads import find_decided, line_codes, load
from custody.services.issued import Verdict, issue_once, verdict, verify_url
from custody.services.uow import transactional


def _signature(user: User | None, at: object) -> document.Signature | None:
    if user is None or at is None:
        return None
    return document.Signature(name=user.name, username=user.username, agency=user.agency.code, at=at)  # type: ignore[arg-type]


def _agency(handover: Handover, side: str) -> str:
    agency = handover.from_agency if side == "from" else handover.to_agency
    return f"{agency.name} ({agency.code})"


def _lines(handover: Handover) -> tuple[document.ReceiptLine, ...]:
    lines = db.session.scalars(
        select(HandoverItem).where(HandoverItem.handover_id == handover.id).order_by(HandoverItem.id)
    )
    return tuple(
        document.ReceiptLine(
            code=line.item.code,
            name=line.item.name,
            category=line.item.category,
            quantity=str(line.item.quantity),
            unit=line.item.unit,
            features=line.item.description,
            seal_no=line.item.seal_no,
            location=line.location,
            moves=line.moves,
            state=line.state,
            reason=line.reason,
        )
        for line in lines
    )


def receipt_of(handover: Handover) -> document.Receipt:
    """The receipt's content: only what was fixed when the handover was decided."""
    if handover.status not in DECIDED_HANDOVER or handover.decision_seq is None:
        raise InvalidState(f"Handover {handover.number} is {handover.status}; a receipt is issued once it is decided")
    requested = _signature(handover.requested_by, handover.requested_at)
    assert requested is not None
    return document.Receipt(
        number=handover.number,
        case_no=handover.case.case_no,
        case_title=handover.case.title,
        from_agency=_agency(handover, "from"),
        to_agency=_agency(handover, "to"),
        kind=handover.kind,
        status=handover.status,
        reason=handover.reason,
        requested=requested,
        approved=_signature(handover.approved_by, handover.approved_at),
        checked=_signature(handover.checked_by, handover.checked_at),
        decided=_signature(handover.decided_by, handover.decided_at),
        lines=_lines(handover),
        decision_seq=handover.decision_seq,
        decision_hash=handover.decision_hash or "",
        verify_url=verify_url(handover.number),
        timezone=current_app.config["CUSTODY_TIMEZONE"],
    )


@transactional
def issue_receipt(actor: User, number: str) -> bytes:
    """The receipt's PDF; the first call records its SHA-256 in the ledger. Raises NotFound, InvalidState."""
    handover = load(actor, number, with_lines=False)
    return issue_once(
        actor,
        handover,
        sha_column="receipt_sha256",
        seq_column="receipt_seq",
        kind=EntryKind.HANDOVER_RECEIPT_ISSUED,
        draw=lambda: render(receipt_of(handover)),
        what="receipt",
        items=lambda: line_codes(handover.id),
    )


def check_upload(handover: Handover, data: bytes) -> Verdict:
    return verdict(handover.receipt_sha256, data)


def verify_upload(number: str, data: bytes) -> tuple[Handover | None, Verdict | None]:
    """(the decided handover or None, the verdict on the uploaded bytes or None when no such handover)."""
    handover = find_decided(number)
    if handover is None:
        return None, None
    return handover, check_upload(handover, data)
