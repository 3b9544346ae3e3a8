"""The verification page of a disposition record (处置清单): is this record the one the ledger recorded?

Like a receipt's page: anyone holding the record may ask, so the page shows what the record itself
prints about the disposition (agency, kind, legal basis, recipient, when, how many items, the ledger's
hashes); the item table and the case are for signed-in users who may see the disposition.
"""

from __future__ import annotations

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from custody.models import Disposition
from custody.services import bundles, dispositions
from custody.web.verify.uploads import in_mb, page_limit, read_upload, receipt_limit


def _page(disposition: Disposition, *, verdict: dispositions.Verdict | None = None, problem: str | None = None) -> str:
    visible = dispositions.may_see(current_user, disposition)
    items = dispositions.item_count(disposition.id)
    return render_template(
        "verify/disposition.html",
        d=disposition,
        lines=dispositions.line_rows(disposition.id) if visible else None,
        items=items,
        verdict=verdict,
        problem=problem,
        max_mb=in_mb(page_limit(items)),
        number=disposition.number,
        proof=bundles.check_disposition(disposition, current_user if current_user.is_authenticated else None),
        log_key=bundles.verifier_key(),
        # The bundle holds the entries' bodies: only for those who may see the disposition.
        download=url_for("proofs.disposition_proof", number=disposition.number) if visible else None,
    )


def too_large(disposition: Disposition, limit: int) -> tuple[str, int]:
    message = _("This file is larger than %(mb)d MB: it is not the record of this disposition.", mb=in_mb(limit))
    return _page(disposition, problem=message), 413


def show(disposition: Disposition) -> str | tuple[str, int]:
    """The executed disposition's summary and the ledger's hashes; a POST checks an uploaded record against them."""
    if request.method == "GET":
        return _page(disposition)
    limit = receipt_limit(dispositions.item_count(disposition.id))
    upload = read_upload("record", limit)
    if upload == "missing":
        return _page(disposition, problem=_("Choose the record's PDF file first.")), 422
    if upload == "empty":
        return _page(disposition, problem=_("The file is empty.")), 422
    if upload == "too_large":
        return too_large(disposition, limit)
    assert isinstance(upload, bytes)
    return _page(disposition, verdict=dispositions.check_upload(disposition, upload))
