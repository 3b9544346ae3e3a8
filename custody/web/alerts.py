"""The alerts page: what needs attention now, in the reader's language, each linked to its subject."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from custody.services import alerts

bp = Blueprint("alert_pages", __name__)
PAGE = 500


def detail(alert: alerts.Alert) -> str:
    """The alert's facts as a sentence in the user's language (the API gives them in English)."""
    p = alert.params
    if alert.rule == "late_intake":
        return _("Taken in %(hours)d h after seizure (deadline %(deadline)d h)", **p)
    if alert.rule == "intake_overdue":
        return _("Seized %(hours)d h ago and not yet taken in (deadline %(deadline)d h)", **p)
    if alert.rule == "checkout_overdue":
        return _("%(count)d item(s) not back", **p)
    if alert.rule == "stocktake_missing":
        return _("Not found in stocktake %(stocktake)s of %(location)s", **p)
    return alert.detail


def subject_url(alert: alerts.Alert) -> str | None:
    if alert.subject_kind == "item":
        return url_for("web.item", code=alert.subject_code)
    if alert.subject_kind == "checkout":
        return url_for("checkout_pages.detail", number=alert.subject_code)
    return None


@bp.app_context_processor
def _alert_helpers() -> dict[str, Any]:
    return {"alert_detail": detail, "alert_url": subject_url}


@bp.route("/alerts")
@login_required
def index() -> str:
    """Current alerts the user may see, most severe and oldest first."""
    rule = request.args.get("rule") or None
    if rule not in alerts.RULES:
        rule = None
    found = alerts.current_alerts(current_user, rule=rule)
    return render_template(
        "alerts/index.html", alerts=found[:PAGE], total=len(found), rule=rule, rules=list(alerts.RULES)
    )
