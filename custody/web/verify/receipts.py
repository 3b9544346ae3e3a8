"""The verification page of a handover's receipt (移交清单).

Anyone holding a receipt may ask, signed in or not, so the page shows only what the receipt itself
prints about the handover (agencies, kind, status, when, how many items, the ledger's hashes); the
item table and the case are for signed-in users who may see the handover. Uploading a file compares
its SHA-256 with the one the ledger recorded when the receipt was first issued.
"""

from __future__ import annotations

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from custody.models import Handover
from custody.services import bundles, handovers
from custody.web.verify.uploads import in_mb, page_limit, read_upload, receipt_limit


def _page(handover: Handover, *, verdict: handovers.Verdict | None = None, problem: str | None = None) -> str:
    visible = handovers.may_see(current_user, handover)
    items = handovers.item_count(handover.id)
    return render_template(
        "verify/show.html",
        handover=handover,
        # The lines only for those who may see them; find_decided loads none.
        detail=handovers.get_handover(current_user, handover.number) if visible else None,
        items=items,
        verdict=verdict,
        problem=problem,
        max_mb=in_mb(page_limit(items)),
        missing_reason=handovers.MISSING_REASON,
        number=handover.number,
        proof=bundles.check_handover(handover, current_user if current_user.is_authenticated else None),
        log_key=bundles.verifier_key(),
        # The bundle holds the entries' bodies: only for those who may see the handover.
        download=url_for("proofs.handover_proof", number=handover.number) if visible else None,
    )


def too_large(handover: Handover, limit: int) -> tuple[str, int]:
    message = _("This file is larger than %(mb)d MB: it is not the receipt of this handover.", mb=in_mb(limit))
    return _page(handover, problem=message), 413


def show(handover: Handover) -> str | tuple[str, int]:
    """The decided handover's summary and the ledger's hashes; a POST checks an uploaded receipt against them."""
    if request.method == "GET":
        return _page(handover)
    limit = receipt_limit(handovers.item_count(handover.id))
    upload = read_upload("receipt", limit)
    if upload == "missing":
        return _page(handover, problem=_("Choose the receipt's PDF file first.")), 422
    if upload == "empty":
        return _page(handover, problem=_("The file is empty.")), 422
    if upload == "too_large":
        return too_large(handover, limit)
    assert isinstance(upload, bytes)
    return _page(handover, verdict=handovers.check_upload(handover, upload))
