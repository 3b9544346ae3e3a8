"""The alerts page: what needs attention now, in the reader's language, each linked to its subject."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from werkzeug.routing import BuildError
from werkzeug.wrappers import Response

from custody.errors import DomainError, NotFound
from custody.services import access, alerts
from custody.web.audit import REASONS as VERIFY_REASONS
from custody.web.messages import describe, field_errors

bp = Blueprint("alert_pages", __name__)
PAGE = 500


def _step(step: str, subject: str = "handover") -> str:
    if step == "requested":
        return _("approval")
    if step == "approved":
        return _("the keeper's execution") if subject == "disposition" else _("the presence check")
    if step == "checked":
        return _("the receiving agency's decision")
    return step


def detail(alert: alerts.Alert) -> str:
    """The alert's facts as a sentence in the user's language (the API gives them in English)."""
    p = alert.params
    if alert.rule == "late_intake":
        return _("Taken in %(hours)d h after seizure (deadline %(deadline)d h)", **p)
    if alert.rule == "intake_overdue":
        return _("Seized %(hours)d h ago and not yet taken in (deadline %(deadline)d h)", **p)
    if alert.rule == "checkout_overdue":
        return ngettext("%(num)d item not back", "%(num)d items not back", p["count"])
    if alert.rule == "stocktake_missing":
        place = f"{p['location_name']} ({p['location']})" if p.get("location_name") else p["location"]
        return _("Not found in stocktake %(stocktake)s of %(location)s", stocktake=p["stocktake"], location=place)
    if alert.rule == "handover_waiting":
        return _(
            "Waiting %(days)d days for %(step)s (limit %(limit)d days)",
            days=p["days"],
            limit=p["limit"],
            step=_step(p["step"]),
        )
    if alert.rule == "closed_case_items":
        return ngettext(
            "%(num)d item not disposed of %(days)d days after the case was closed (limit %(limit)d days)",
            "%(num)d items not disposed of %(days)d days after the case was closed (limit %(limit)d days)",
            p["count"],
            days=p["days"],
            limit=p["limit"],
        )
    if alert.rule == "disposition_waiting":
        return ngettext(
            "%(num)d item waiting %(days)d days for %(step)s (limit %(limit)d days)",
            "%(num)d items waiting %(days)d days for %(step)s (limit %(limit)d days)",
            p["count"],
            days=p["days"],
            limit=p["limit"],
            step=_step(p.get("step", "approved"), "disposition"),
        )
    if alert.rule == "ledger_verification_failed":
        return _(
            "Verification found entry %(seq)s bad (%(checked)d entries checked before it): %(why)s",
            seq=p["seq"],
            checked=p["checked"],
            why=str(VERIFY_REASONS.get(p["reason"], p["reason"])),
        )
    if alert.rule == "ledger_not_verified":
        return _("Not verified for %(days)d days (limit %(limit)d days); last verified up to entry %(head)d", **p)
    return alert.detail


# Where each kind of subject is shown on the web: (endpoint, its argument).
_PAGES = {
    "item": ("web.item", "code"),
    "checkout": ("checkout_pages.detail", "number"),
    "handover": ("handover_pages.detail", "number"),
    "disposition": ("disposition_pages.detail", "number"),
    "case": ("web.case", "case_no"),
}


def subject_url(alert: alerts.Alert) -> str | None:
    """The page of the alert's subject; None when that page does not exist (yet) in this deployment."""
    try:
        if alert.subject_kind == "ledger":
            return url_for("audit_pages.verify")
        endpoint, argument = _PAGES[alert.subject_kind]
        return url_for(endpoint, **{argument: alert.subject_code})  # type: ignore[arg-type]
    except (KeyError, BuildError):
        return None


@bp.app_context_processor
def _alert_helpers() -> dict[str, Any]:
    return {"alert_detail": detail, "alert_url": subject_url}


@bp.route("/alerts")
@login_required
def index() -> str:
    """Current alerts the user may see, most severe and oldest first (``?rule=``, ``?severity=``)."""
    rule = request.args.get("rule") or None
    severity = request.args.get("severity") or None
    unknown = bool(rule and rule not in alerts.RULES) or bool(severity and severity not in alerts.SEVERITIES)
    if rule not in alerts.RULES:
        rule = None
    if severity not in alerts.SEVERITIES:
        severity = None
    found = alerts.current_alerts(current_user, rule=rule, severity=severity)
    mine = [r.name for r in alerts.rules_for(current_user)]
    total = len(found)
    if total > PAGE:  # a listing is capped per rule; the counts are not
        counted = alerts.counts(current_user).by_rule
        total = sum(
            n for name, n in counted.items() if rule in (None, name) and severity in (None, alerts.RULES[name].severity)
        )
    return render_template(
        "alerts/index.html",
        alerts=found[:PAGE],
        total=total,
        rule=rule,
        severity=severity,
        rules=mine,
        severities=alerts.SEVERITIES,
        may_acknowledge=access.is_auditor(current_user),
        unknown_filter=unknown,
    )


@bp.route("/alerts/late-intake/<code>/acknowledge", methods=["POST"])
@login_required
def acknowledge_late_intake(code: str) -> Response:
    """An auditor records the review of a late intake; the alert ends, the ledger keeps the note."""
    try:
        item = alerts.acknowledge_late_intake(current_user, code, request.form.get("note", ""))
    except NotFound:
        raise
    except DomainError as error:
        reasons = [m for messages in field_errors(error.errors).values() for m in messages]
        flash(" ".join([describe(error), *reasons]), "error")
    else:
        flash(_("Late intake of %(code)s acknowledged; the note is in the ledger.", code=item.code), "ok")
    return redirect(url_for("alert_pages.index", rule=request.form.get("rule") or None))
