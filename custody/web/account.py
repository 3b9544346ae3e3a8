"""The signed-in user's own password, and the administrators' security log.

The password page is the one page a user who must change the demo's printed password can reach
(custody/web/sessions.py sends them here); the security log lists sign-ins, failures, lock-outs and
refusals, newest first, for the administrators allowed to see them (services/security_log.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user
from werkzeug.wrappers import Response

from custody.errors import DomainError, InvalidInput
from custody.models import Role, SecurityKind
from custody.services import passwords, people, security_log
from custody.services.security_log import EventFilter
from custody.web.forms import PasswordForm
from custody.web.messages import describe, field_errors

bp = Blueprint("account_pages", __name__)
PAGE_SIZE = 100
LABELS = {
    SecurityKind.SIGNIN: _l("Signed in"),
    SecurityKind.SIGNIN_FAILED: _l("Sign-in failed"),
    SecurityKind.LOCKOUT: _l("Locked out for a while"),
    SecurityKind.THROTTLED: _l("Sign-in refused (waiting)"),
    SecurityKind.FORBIDDEN: _l("Request refused"),
    SecurityKind.SESSION_EXPIRED: _l("Session expired"),
    SecurityKind.SIGNOUT: _l("Signed out"),
    SecurityKind.PASSWORD_CHANGED: _l("Password changed"),
}


@bp.app_context_processor
def _labels() -> dict[str, object]:
    return {"security_label": lambda kind: LABELS.get(kind, kind)}


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password() -> Response | str:
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            people.change_own_password(current_user, form.current_password.data or "", form.new_password.data or "")
        except InvalidInput as error:
            for name, messages in field_errors(error.errors).items():
                if name in form:
                    form[name].errors = list(messages)
        except DomainError as error:
            flash(describe(error), "error")
        else:
            login_user(current_user._get_current_object())  # this session goes on; every other one has ended
            flash(_("Your password was changed. Every other session of yours has been signed out."), "ok")
            return redirect(url_for("web.dashboard"))
    return render_template(
        "account/password.html",
        form=form,
        minimum=current_app.config["CUSTODY_PASSWORD_MIN_LENGTH"],
        must_change=passwords.change_required(current_user),
    )


def _day(value: str) -> datetime | None:
    """A date typed in the centre's time zone, as the start of that day."""
    try:
        day = datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        return None
    return day.replace(tzinfo=ZoneInfo(current_app.config["CUSTODY_TIMEZONE"]))


@bp.route("/admin/security")
@login_required
def security() -> str:
    if not current_user.has_role(Role.ADMIN):
        abort(403)
    values = {name: request.args.get(name, "").strip() for name in ("kind", "username", "address", "day")}
    kind = values["kind"] if values["kind"] in set(SecurityKind) else None
    start = _day(values["day"]) if values["day"] else None
    where = EventFilter(
        kind=kind,
        username=values["username"] or None,
        address=values["address"] or None,
        since=start,
        until=start + timedelta(days=1) if start else None,
    )
    page = security_log.events(current_user, where, limit=PAGE_SIZE, cursor=request.args.get("cursor"))
    return render_template(
        "account/security.html", events=page.items, next=page.next, values=values, kinds=list(SecurityKind)
    )
