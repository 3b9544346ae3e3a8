"""Stocktake pages: open one, scan what is there, close it and read the report.

Every page works without JavaScript (plain forms, POST then redirect); with it,
static/js/stocktake.js records each scan through the JSON API and window.Scanner,
so a keeper with a wedge scanner never waits for a page to load between labels.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from custody.errors import DomainError, InvalidInput
from custody.models import Role
from custody.services import locations, stocktakes
from custody.web.messages import describe

bp = Blueprint("stocktake_pages", __name__)
RECENT_CLOSED = 20
LOG_LINES = 50


@bp.route("/stocktakes", methods=["GET", "POST"])
@login_required
def index() -> Response | str:
    """Open stocktakes, the latest closed ones, and (for keepers) the form that opens a new one."""
    typed, location_error = "", None
    if request.method == "POST":
        typed = request.form.get("location_code", "").strip() or request.form.get("location", "").strip()
        try:
            opened = stocktakes.open_stocktake(current_user, typed)
        except InvalidInput:
            location_error = _("No location with this code.")
        except DomainError as error:
            flash(_explain(error, _("A stocktake of this location is already open: finish that one first.")), "error")
        else:
            flash(
                _("Stocktake %(number)s opened: %(n)d items expected.", number=opened.number, n=opened.expected), "ok"
            )
            return redirect(url_for("stocktake_pages.show", number=opened.number))
    open_ones = stocktakes.list_stocktakes(current_user, status="open", newest_first=True, limit=200)
    closed = stocktakes.list_stocktakes(current_user, status="closed", newest_first=True, limit=RECENT_CLOSED)
    can_count = current_user.has_role(Role.KEEPER)
    return render_template(
        "stocktakes/index.html",
        open_ones=open_ones.items,
        closed=closed.items,
        can_count=can_count,
        places=locations.flatten(locations.tree(counted=False)) if can_count else [],
        typed=typed,
        location_error=location_error,
    )


@bp.route("/stocktakes/<number>")
@login_required
def show(number: str) -> str:
    """The scanning page: counters, the scan field and its log, and the close button."""
    stocktake = stocktakes.get_stocktake(current_user, number)
    return render_template(
        "stocktakes/show.html",
        stocktake=stocktake,
        scans=stocktakes.recent_scans(current_user, stocktake.number, LOG_LINES),
        can_count=current_user.has_role(Role.KEEPER) and stocktake.status == "open",
    )


@bp.route("/stocktakes/<number>/scan", methods=["POST"])
@login_required
def scan(number: str) -> Response:
    """Record one scan from the page's form (the way without JavaScript)."""
    try:
        scanned = stocktakes.record_scan(current_user, number, request.form.get("code", ""))
    except DomainError as error:
        flash(_explain(error, _("This stocktake is closed.")), "error")
    else:
        messages = {
            "expected": (_("%(name)s: found, as expected.", name=scanned.item), "ok"),
            "duplicate": (_("%(name)s was already scanned.", name=scanned.item), "info"),
            "unexpected": (_("%(name)s was not expected here.", name=scanned.item), "error"),
        }
        flash(*messages[scanned.result])
    return redirect(url_for("stocktake_pages.show", number=number))


@bp.route("/stocktakes/<number>/close", methods=["POST"])
@login_required
def close(number: str) -> Response:
    """Close the stocktake and show its report."""
    try:
        closed = stocktakes.close_stocktake(current_user, number)
    except DomainError as error:
        flash(_explain(error, _("This stocktake is already closed.")), "error")
        return redirect(url_for("stocktake_pages.show", number=number))
    flash(
        _(
            "Stocktake %(number)s closed: %(found)d of %(expected)d found, %(missing)d missing, "
            "%(unexpected)d unexpected.",
            number=closed.number,
            found=closed.found,
            expected=closed.expected,
            missing=len(closed.missing),
            unexpected=len(closed.unexpected),
        ),
        "ok" if not closed.missing and not closed.unexpected else "error",
    )
    return redirect(url_for("stocktake_pages.report", number=closed.number))


@bp.route("/stocktakes/<number>/report")
@login_required
def report(number: str) -> str:
    """Expected, found, missing and unexpected items with their names, cases and locations."""
    result = stocktakes.report(current_user, number)
    grouped: dict[str, list[stocktakes.ReportRow]] = {"missing": [], "unexpected": [], "found": []}
    for row in result.rows:
        grouped[row.result].append(row)
    return render_template("stocktakes/report.html", stocktake=result.summary, grouped=grouped)


def _explain(error: DomainError, invalid_state: str) -> str:
    """A refusal in the user's language; the generic words for ``invalid_state`` speak of an item, not a count."""
    return invalid_state if error.code == "invalid_state" else describe(error)
