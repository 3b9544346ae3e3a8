"""Issuing and verifying disposition records (处置清单), as receipts are for handovers.

A record is made from what the disposition fixed when it was executed (the shelf each item left
from, the execution's ledger entry) and drawn in reportlab's invariant mode, so the same disposition
always gives the same bytes. The first issue stores the file in the content-addressed store and
writes its SHA-256 into the ledger; later downloads serve those bytes. Anyone holding a record can
check it: its hash either is the one the ledger recorded or it is not.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from custody.documents import disposition_record as document
from custody.documents.receipt_content import Signature
from custody.errors import InvalidState
from custody.extensions import db
from custody.ledger import EntryKind
from custody.models import Disposition, DispositionItem, DispositionStatus, User
from custody.services.dispositions.reads import find_executed, line_codes, load
from custody.services.issued import Verdict, issue_once, verdict, verify_url
from custody.services.uow import transactional


def _signature(user: User | None, at: object) -> Signature | None:
    if user is None or at is None:
        return None
    return Signature(name=user.name, username=user.username, agency=user.agency.code, at=at)  # type: ignore[arg-type]


def _lines(disposition: Disposition) -> tuple[document.RecordLine, ...]:
    lines = db.session.scalars(
        select(DispositionItem).where(DispositionItem.disposition_id == disposition.id).order_by(DispositionItem.id)
    )
    return tuple(
        document.RecordLine(
            code=line.item.code,
            name=line.item.name,
            category=line.item.category,
            quantity=str(line.item.quantity),
            unit=line.item.unit,
            features=line.item.description,
            seal_no=line.item.seal_no,
            location=line.location,
            flags=tuple(line.item.flags),
        )
        for line in lines
    )


def record_of(disposition: Disposition) -> document.DispositionRecord:
    """The record's content: only what was fixed when the disposition was executed. Raises InvalidState before."""
    if disposition.status != DispositionStatus.EXECUTED or disposition.execution_seq is None:
        raise InvalidState(
            f"Disposition {disposition.number} is {disposition.status}; its record is issued once it is executed"
        )
    requested = _signature(disposition.requested_by, disposition.requested_at)
    assert requested is not None
    return document.DispositionRecord(
        number=disposition.number,
        case_no=disposition.case.case_no,
        case_title=disposition.case.title,
        agency=f"{disposition.agency.name} ({disposition.agency.code})",
        kind=disposition.kind,
        basis_doc_no=disposition.basis_doc_no,
        recipient=disposition.recipient,
        reason=disposition.reason,
        requested=requested,
        approved=_signature(disposition.approved_by, disposition.approved_at),
        executed=_signature(disposition.executed_by, disposition.executed_at),
        lines=_lines(disposition),
        execution_seq=disposition.execution_seq,
        execution_hash=disposition.execution_hash or "",
        verify_url=verify_url(disposition.number),
        timezone=current_app.config["CUSTODY_TIMEZONE"],
    )


@transactional
def issue_record(actor: User, number: str) -> bytes:
    """The record's PDF; the first call records its SHA-256 in the ledger. Raises NotFound, InvalidState."""
    disposition = load(actor, number)
    return issue_once(
        actor,
        disposition,
        sha_column="record_sha256",
        seq_column="record_seq",
        kind=EntryKind.DISPOSITION_RECORD_ISSUED,
        draw=lambda: document.render(record_of(disposition)),
        what="record",
        items=lambda: line_codes(disposition.id),
    )


def check_upload(disposition: Disposition, data: bytes) -> Verdict:
    return verdict(disposition.record_sha256, data)


def verify_upload(number: str, data: bytes) -> tuple[Disposition | None, Verdict | None]:
    """(the executed disposition or None, the verdict on the uploaded bytes or None when no such disposition)."""
    disposition = find_executed(number)
    if disposition is None:
        return None, None
    return disposition, check_upload(disposition, data)
