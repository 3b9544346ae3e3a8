"""The keeper's execution page: scan each item of an approved disposition off its shelf, then execute.

With JavaScript (static/js/disposition.js) each scan goes to ``POST /api/v1/dispositions/<n>/scans``
through window.Scanner, and the item's row and the progress move at once. Without it the scan field
is a plain form posted to ``/dispositions/<n>/execute/scan``, one code per page load, so a wedge
scanner works either way. Executing is always a plain form: the scans are already on the lines, and
the service refuses (naming them) while any item is not scanned out.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from custody import codes
from custody.errors import BadCheckCharacter, DomainError, Forbidden, InvalidInput, InvalidState, MalformedCode
from custody.models import Disposition, DispositionStatus
from custody.services import access, dispositions
from custody.web.dispositions.blueprint import bp
from custody.web.dispositions.messages import describe_disposition
from custody.web.labels import DISPOSITION_STATUSES
from custody.web.messages import describe


def _require_keeper() -> None:
    """The service refuses everyone else too; the page says so before showing anything."""
    if not access.is_centre_keeper(current_user):
        raise Forbidden("Only a keeper of the centre executes a disposition")


def _not_waiting(disposition: Disposition) -> str:
    return _(
        "Disposition %(number)s is not waiting to be executed: it is %(status)s.",
        number=disposition.number,
        status=DISPOSITION_STATUSES.get(disposition.status, disposition.status),
    )


@bp.route("/dispositions/<number>/execute")
@login_required
def execute_page(number: str) -> str:
    """The scanning page: progress, the scan field and its log, the items, and the form that executes."""
    disposition = dispositions.get_disposition(current_user, number)  # a 404 before a 403: existence stays hidden
    _require_keeper()
    scanned, total = dispositions.progress(disposition)
    waiting = disposition.status == DispositionStatus.APPROVED
    return render_template(
        "dispositions/execute.html",
        d=disposition,
        lines=disposition.lines,  # with each item's shelf now: where the keeper finds it
        scanned=scanned,
        total=total,
        waiting=waiting,
        not_waiting=None if waiting else _not_waiting(disposition),
    )


def _refused_scan(raw: str, number: str, error: DomainError) -> str:
    """Why a scan did not count, in the keeper's words: not a code at all, another item, or a closed disposition."""
    if isinstance(error, InvalidState):
        return _not_waiting(dispositions.get_disposition(current_user, number))
    code = codes.extract(raw).upper()
    try:
        codes.parse(code)
    except (MalformedCode, BadCheckCharacter) as bad:
        return describe(bad)
    if isinstance(error, InvalidInput):
        return _("%(code)s is not in this disposition.", code=code)
    return describe_disposition(error)


@bp.route("/dispositions/<number>/execute/scan", methods=["POST"])
@login_required
def scan(number: str) -> Response:
    """Record one scan from the page's form (the way without JavaScript)."""
    dispositions.get_disposition(current_user, number)
    _require_keeper()
    raw = request.form.get("code", "")
    try:
        out = dispositions.scan_out(current_user, number, raw)
    except (InvalidInput, InvalidState) as error:
        flash(_refused_scan(raw, number, error), "error")
    else:
        values = {"code": out.code, "scanned": out.scanned, "total": out.total}
        if out.result == "duplicate":
            flash(_("%(code)s was already scanned out (%(scanned)d / %(total)d).", **values), "info")
        else:
            flash(_("%(code)s scanned out (%(scanned)d / %(total)d).", **values), "ok")
    return redirect(url_for("disposition_pages.execute_page", number=number))


@bp.route("/dispositions/<number>/execute", methods=["POST"])
@login_required
def execute(number: str) -> Response:
    """Execute: every item scanned out becomes disposed and leaves the centre, in one act in the ledger."""
    disposition = dispositions.get_disposition(current_user, number)
    _require_keeper()
    try:
        done = dispositions.execute_disposition(current_user, disposition.number)
    except (InvalidInput, InvalidState) as error:
        flash(describe_disposition(error), "error")
        return redirect(url_for("disposition_pages.execute_page", number=disposition.number))
    total = dispositions.item_count(done.id)
    flash(
        ngettext(
            "Disposition executed: %(num)d item has left the centre and is disposed of.",
            "Disposition executed: %(num)d items have left the centre and are disposed of.",
            total,
        ),
        "ok",
    )
    return redirect(url_for("disposition_pages.detail", number=done.number))
