"""The public verification page a document's QR code opens: ``/verify/<number>``.

A handover's receipt (H-number, custody.web.verify.receipts) and a disposition's record (D-number,
custody.web.verify.records) are checked the same way: the page shows what the document itself
prints and the ledger's hashes, and an uploaded file is compared with the SHA-256 the ledger recorded
when the document was first issued. The page also checks the act's ledger proof (services.bundles: its
entries' inclusion in the signed, witnessed log) as an agency would offline, and offers the bundle to
those who may see the case. A handover or disposition without its document yet (open, cancelled) is said to
exist, with its status only; a number that names neither answers 404 and says so.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request, url_for
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from custody.services import dispositions, handovers
from custody.web.verify import receipts as receipt_page
from custody.web.verify import records as record_page
from custody.web.verify.uploads import BASE_BYTES, BYTES_PER_ITEM, receipt_limit

bp = Blueprint("verify_pages", __name__)

__all__ = ["BASE_BYTES", "BYTES_PER_ITEM", "bp", "receipt_limit"]


def _unknown(number: str) -> tuple[str, int]:
    """No document to check under this number: say whether a handover or disposition of that number exists at all
    (its status word only: parties and items stay with those who may see it), else that nothing does."""
    handover = handovers.find_any(number)
    if handover is not None:
        link = url_for("handover_pages.detail", number=handover.number)
        seen = handovers.may_see(current_user, handover)
        return _undocumented("handover", handover.number, handover.status, link, seen)
    disposition = dispositions.find_any(number)
    if disposition is not None:
        link = url_for("disposition_pages.detail", number=disposition.number)
        seen = dispositions.may_see(current_user, disposition)
        return _undocumented("disposition", disposition.number, disposition.status, link, seen)
    return render_template("verify/unknown.html", number=number.strip().upper()[:40]), 404


def _undocumented(kind: str, number: str, status: str, link: str, visible: bool) -> tuple[str, int]:
    page = render_template(
        "verify/undocumented.html", kind=kind, number=number, status=status, link=link if visible else None
    )
    return page, 200


@bp.route("/verify/<number>", methods=["GET", "POST"])
def show(number: str) -> str | tuple[str, int]:
    """A decided handover's receipt or an executed disposition's record: its summary, and the check of an upload."""
    handover = handovers.find_decided(number)
    if handover is not None:
        return receipt_page.show(handover)
    disposition = dispositions.find_executed(number)
    if disposition is not None:
        return record_page.show(disposition)
    return _unknown(number)


@bp.errorhandler(RequestEntityTooLarge)
def _request_too_large(error: RequestEntityTooLarge) -> tuple[str, int]:
    """A request over the app's upload limit is refused before the view runs; say so on this page, not a bare 413."""
    number = (request.view_args or {}).get("number", "")
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    handover = handovers.find_decided(number)
    if handover is not None:
        return receipt_page.too_large(handover, limit)
    disposition = dispositions.find_executed(number)
    if disposition is not None:
        return record_page.too_large(disposition, limit)
    return _unknown(number)
