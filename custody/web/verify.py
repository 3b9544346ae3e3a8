"""The public verification page a receipt's QR code opens: is this receipt the one the ledger recorded?

Anyone holding a receipt may ask, signed in or not, so the page shows only what the receipt itself
prints about the handover (agencies, kind, status, when, how many items, the ledger's hashes); the
item table and the case are for signed-in users who may see the handover. Uploading a file compares
its SHA-256 with the one the ledger recorded when the receipt was first issued.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from custody.models import Handover
from custody.services import handovers

bp = Blueprint("verify_pages", __name__)

MB = 1024 * 1024
# A receipt takes about 250 bytes a line after a first page of a few kilobytes (bench/receipt_pdf.py: 2,000
# items, 0.5 MB). A file four times that size cannot be the receipt, so it need not be read to say so.
BASE_BYTES = 2 * MB
BYTES_PER_ITEM = 1024


def receipt_limit(items: int) -> int:
    """The largest file worth reading as the receipt of a handover of ``items`` items."""
    return BASE_BYTES + BYTES_PER_ITEM * items


def _in_mb(size: int) -> int:
    return -(-size // MB)


def _page(handover: Handover, *, verdict: handovers.Verdict | None = None, problem: str | None = None) -> str:
    visible = handovers.may_see(current_user, handover)
    items = handovers.item_count(handover.id)
    limit = receipt_limit(items)
    if current_app.config.get("MAX_CONTENT_LENGTH"):
        limit = min(limit, current_app.config["MAX_CONTENT_LENGTH"])
    return render_template(
        "verify/show.html",
        handover=handover,
        # The lines only for those who may see them; find_decided loads none.
        detail=handovers.get_handover(current_user, handover.number) if visible else None,
        items=items,
        verdict=verdict,
        problem=problem,
        max_mb=_in_mb(limit),
        missing_reason=handovers.MISSING_REASON,
    )


def _too_large(limit: int) -> str:
    return _("This file is larger than %(mb)d MB: it is not the receipt of this handover.", mb=_in_mb(limit))


def _unknown(number: str) -> tuple[str, int]:
    return render_template("verify/unknown.html", number=number.strip().upper()[:40]), 404


@bp.route("/verify/<number>", methods=["GET", "POST"])
def show(number: str) -> str | tuple[str, int]:
    """The decided handover's summary and the ledger's hashes; a POST checks an uploaded receipt against them."""
    handover = handovers.find_decided(number)
    if handover is None:
        return _unknown(number)
    if request.method == "GET":
        return _page(handover)
    chosen = request.files.get("receipt")
    if chosen is None or not chosen.filename:
        return _page(handover, problem=_("Choose the receipt's PDF file first.")), 422
    limit = receipt_limit(handovers.item_count(handover.id))
    # Read one byte past the limit: enough to know the file is too big without holding all of it.
    data = chosen.stream.read(limit + 1)
    if not data:
        return _page(handover, problem=_("The file is empty.")), 422
    if len(data) > limit:
        return _page(handover, problem=_too_large(limit)), 413
    return _page(handover, verdict=handovers.check_upload(handover, data))


@bp.errorhandler(RequestEntityTooLarge)
def _request_too_large(error: RequestEntityTooLarge) -> tuple[str, int]:
    """A request over the app's upload limit is refused before the view runs; say so on this page, not a bare 413."""
    number = (request.view_args or {}).get("number", "")
    handover = handovers.find_decided(number)
    if handover is None:
        return _unknown(number)
    return _page(handover, problem=_too_large(current_app.config["MAX_CONTENT_LENGTH"])), 413
