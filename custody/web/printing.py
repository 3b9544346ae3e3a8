"""Label sheets from the case, item and location pages: the PDF opens in the browser, ready to print."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from custody.documents.labels import Words
from custody.errors import DomainError
from custody.services import labels
from custody.web.labels import LOCATION_KINDS
from custody.web.messages import describe
from custody.web.security import safe_next

bp = Blueprint("printing", __name__)

# In the order the layout choices are offered.
LAYOUT_NAMES = {
    "a4-3x8": _l("A4 sheet, 3 × 8 labels (63.5 × 33.9 mm)"),
    "a4-2x5": _l("A4 sheet, 2 × 5 labels (99.1 × 57 mm)"),
    "thermal-50x30": _l("Thermal label 50 × 30 mm"),
    "thermal-70x40": _l("Thermal label 70 × 40 mm"),
}


@bp.app_context_processor
def _layouts() -> dict[str, Any]:
    return {"label_layouts": LAYOUT_NAMES}


def label_words() -> Words:
    """What labels print besides the records, in the reader's language (the API's too)."""
    return Words(
        case=_("Case No."),
        seal=_("Seal"),
        no_seal="—",
        kinds={kind: str(name) for kind, name in LOCATION_KINDS.items()},
    )


def pdf_response(pdf: bytes, filename: str) -> Response:
    """A PDF shown in the browser (not downloaded), never cached: labels carry case details."""
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/print/labels", methods=["POST"])
@login_required
def labels_pdf() -> BaseResponse:
    """Labels for the items chosen on a case or item page (or all of a case's items), in the chosen layout."""
    back = safe_next(request.form.get("next")) or url_for("web.dashboard")
    chosen = request.form.getlist("items")
    case_no = request.form.get("case_no", "") if request.form.get("all") else ""
    if not chosen and not case_no:
        flash(_("Choose the items to print labels for."), "error")
        return redirect(back)
    try:
        sheet = labels.label_sheet(
            current_user, layout=request.form.get("layout", ""), items=chosen, case_no=case_no, words=label_words()
        )
    except DomainError as error:
        flash(describe(error), "error")
        return redirect(back)
    return pdf_response(sheet, "labels.pdf")


@bp.route("/print/locations/<code>")
@login_required
def location_label(code: str) -> BaseResponse:
    """A location's label, in the layout chosen on its page (a 70 × 40 mm thermal label by default)."""
    try:
        sheet = labels.label_sheet(
            current_user, layout=request.args.get("layout", "thermal-70x40"), locations=[code], words=label_words()
        )
    except DomainError as error:
        flash(describe(error), "error")
        return redirect(url_for("web.location", code=code) if error.status != 404 else url_for("web.dashboard"))
    return pdf_response(sheet, f"label-{code.strip().upper()}.pdf")
