"""The keeper's presence-check page: scan each item of an approved handover on its shelf.

With JavaScript (static/js/presence.js) each scan goes to ``POST /api/v1/handovers/<n>/scans``
through window.Scanner, and the item's row and the progress move at once. Without it the scan
field is a plain form posted to ``/handovers/<n>/presence/scan``, one code per page load, so a
wedge scanner works either way. Completing is always a plain form: the scans are already on the
handover's lines, so it only says whether what was not scanned is missing.
"""

from __future__ import annotations

import re

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from custody import codes
from custody.errors import (
    BadCheckCharacter,
    DomainError,
    Forbidden,
    InvalidInput,
    InvalidState,
    ItemsUnavailable,
    MalformedCode,
)
from custody.models import Handover, HandoverStatus, Presence, Role
from custody.services import handovers, locations
from custody.web.labels import HANDOVER_STATUSES
from custody.web.messages import describe, describe_handover

bp = Blueprint("presence_pages", __name__)

# check_presence names the items nobody accounted for in this sentence (custody/services/handovers/presence.py).
_UNACCOUNTED = re.compile(r"^Neither scanned nor marked missing: (.+)$")


def _require_keeper() -> None:
    """The service refuses everyone else too; the page says so before showing anything."""
    if not current_user.has_role(Role.KEEPER):
        raise Forbidden("Only a keeper checks that the items are on their shelves")


def _not_waiting(handover: Handover) -> str:
    status = HANDOVER_STATUSES.get(handover.status, handover.status)
    return _(
        "Handover %(number)s is not waiting for a presence check: it is %(status)s.",
        number=handover.number,
        status=status,
    )


@bp.route("/handovers/<number>/presence")
@login_required
def check(number: str) -> str:
    """The scanning page: progress, the scan field and its log, the items, and the form that completes the check."""
    _require_keeper()
    handover = handovers.get_handover(current_user, number)
    checked, total = handovers.progress(handover)
    waiting = handover.status == HandoverStatus.APPROVED
    return render_template(
        "handovers/presence.html",
        handover=handover,
        checked=checked,
        total=total,
        waiting=waiting,
        not_waiting=None if waiting else _not_waiting(handover),
    )


def _refused_scan(raw: str, number: str, error: DomainError) -> str:
    """Why a scan did not count, in the keeper's words: not a code at all, another item, or a closed check."""
    if isinstance(error, InvalidState):
        return _not_waiting(handovers.get_handover(current_user, number))
    code = codes.extract(raw).upper()
    try:
        parsed = codes.parse(code)
    except (MalformedCode, BadCheckCharacter) as bad:
        # A centre may give its shelves codes of its own (A-01-03): those are labels too, just not items.
        return _("This is not an item label.") if locations.find(code) else describe(bad)
    if parsed.kind is not codes.CodeKind.ITEM:
        return _("This is not an item label.")
    if isinstance(error, ItemsUnavailable):
        return _("%(name)s is not on a shelf of the centre (never taken in): mark it missing.", name=code)
    if isinstance(error, InvalidInput):
        return _("%(code)s is not in this handover.", code=code)
    return describe(error)


@bp.route("/handovers/<number>/presence/scan", methods=["POST"])
@login_required
def scan(number: str) -> Response:
    """Record one scan from the page's form (the way without JavaScript)."""
    _require_keeper()
    raw = request.form.get("code", "")
    try:
        scanned = handovers.scan_present(current_user, number, raw)
    except (InvalidInput, InvalidState, ItemsUnavailable) as error:
        flash(_refused_scan(raw, number, error), "error")
    else:
        values = {"code": scanned.code, "checked": scanned.checked, "total": scanned.total}
        if scanned.result == "duplicate":
            flash(_("%(code)s was already scanned (%(checked)d / %(total)d).", **values), "info")
        else:
            flash(_("%(code)s is present (%(checked)d / %(total)d).", **values), "ok")
    return redirect(url_for("presence_pages.check", number=number))


def _unaccounted(error: InvalidInput) -> str:
    """The service's list of unaccounted items, as a sentence that says what to do about them."""
    for text in (error.errors or {}).get("present", []):
        match = _UNACCOUNTED.match(text)
        if match:
            return _(
                "Not scanned and not marked missing: %(codes)s. Scan them, or tick "
                "“Mark the items not scanned as missing”.",
                codes=match[1],
            )
    return describe(error)


@bp.route("/handovers/<number>/presence", methods=["POST"])
@login_required
def complete(number: str) -> Response:
    """Complete the check; items not scanned are missing only when the keeper ticked the box that says so."""
    _require_keeper()
    handover = handovers.get_handover(current_user, number, with_lines=False)
    try:
        checked = handovers.check_presence(
            current_user, handover.number, present=[], rest_missing=bool(request.form.get("mark_missing"))
        )
    except InvalidInput as error:
        flash(_unaccounted(error), "error")
    except ItemsUnavailable as error:
        flash(describe_handover(error), "error")
    except InvalidState:
        flash(_not_waiting(handovers.get_handover(current_user, handover.number)), "error")
    else:
        missing = [line.item.code for line in checked.lines if line.presence == Presence.MISSING]
        if missing:
            flash(
                _("Presence check complete: %(n)d missing (%(codes)s).", n=len(missing), codes=", ".join(missing)),
                "error",
            )
        else:
            flash(_("Presence check complete: every item is on its shelf."), "ok")
        return redirect(url_for("handover_pages.detail", number=handover.number))
    return redirect(url_for("presence_pages.check", number=handover.number))
