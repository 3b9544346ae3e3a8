"""Documents issued once and verifiable for ever: handover receipts and disposition records.

The first issue stores the PDF in the content-addressed store and writes its SHA-256 into the
ledger; later downloads serve the stored bytes, and a lost file is drawn again, which must give the
same bytes (the drawings are invariant). Anyone holding a copy checks it against the recorded hash.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import update

from custody import files
from custody.errors import InvalidState
from custody.extensions import db
from custody.ledger import EntryKind, append
from custody.models import User
from custody.services import checkpoints
from custody.services.conditional import changed_rows


def verify_url(number: str) -> str:
    """What the document's QR code opens: the public verification page."""
    return f"{current_app.config['CUSTODY_BASE_URL']}/verify/{number}"


def issue_once(
    actor: User,
    row: Any,
    *,
    sha_column: str,
    seq_column: str,
    kind: EntryKind,
    draw: Callable[[], bytes],
    what: str,
    items: Callable[[], list[str]],
) -> bytes:
    """The document of ``row`` (a handover or a disposition: ``id``, ``number``, ``case``), issued on first call.

    The entry lists ``items()`` (the document's items), so each item's history names the document and its hash.

    Must run in the caller's transaction. Two first downloads at once draw the same bytes; the conditional
    update lets exactly one of them write the ledger entry. Raises InvalidState when a lost file cannot be
    drawn again byte for byte (the drawing changed since it was issued).
    """
    recorded = getattr(row, sha_column)
    if recorded and files.exists(recorded):
        with files.open(recorded) as stored:
            return stored.read()
    pdf = draw()
    sha256 = files.put(pdf)
    if recorded:
        if recorded != sha256:
            raise InvalidState(f"The {what} of {row.number} cannot be made again byte for byte")
        return pdf
    model = type(row)
    first = changed_rows(
        update(model).where(model.id == row.id, getattr(model, sha_column).is_(None)).values({sha_column: sha256})
    )
    if first:
        entry = append(
            db.session,
            actor=actor,
            kind=kind,
            case_no=row.case.case_no,
            items=items(),
            data={"number": row.number, "sha256": sha256, "bytes": len(pdf)},
        )
        changed_rows(update(model).where(model.id == row.id).values({seq_column: entry.seq}))
        checkpoints.take(db.session, "@receipt")  # a signed checkpoint covers the document from the start
    return pdf


@dataclass(frozen=True)
class Verdict:
    """What the verification page says about an uploaded file."""

    sha256: str
    issued: bool  # the document has been issued
    genuine: bool  # the file is byte for byte the document the ledger recorded


def verdict(recorded: str | None, data: bytes) -> Verdict:
    digest = hashlib.sha256(data).hexdigest()
    return Verdict(sha256=digest, issued=recorded is not None, genuine=recorded is not None and digest == recorded)
