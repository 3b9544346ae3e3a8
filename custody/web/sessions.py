"""Browser sessions: an idle timeout, an absolute lifetime, and the forced change of demo passwords.

The session cookie is signed, not stored server-side, so the times live in it: ``since`` (signed in)
and ``seen`` (last request). Flask's permanent session gives the cookie an expiry too, but a browser
may ignore that; the check here is what counts. Bearer-token requests are not sessions: tokens have
their own expiry and revocation.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from werkzeug.wrappers import Response

from custody import clock
from custody.errors import PasswordChangeRequired, Unauthorized
from custody.models import SecurityKind
from custody.services import passwords, security_log

# What a user who must choose a new password may still reach.
OPEN_TO_PASSWORD_CHANGE = {
    "account_pages.password",
    "web.logout",
    "web.set_language",
    "static",
    "health.healthz",
    "health.readyz",
    "health.favicon",
    "identity.me",
    "identity.create_token",
    "security.change_password",
}


def _now() -> int:
    return int(clock.now().timestamp())


def start() -> None:
    """Call right after ``login_user``: a permanent session with its clocks started."""
    session.permanent = True
    session["since"] = session["seen"] = _now()


def init_sessions(app: Flask) -> None:
    # The cookie's own expiry (a browser drops it then); the checks below are what the server enforces.
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=app.config["CUSTODY_SESSION_MAX_HOURS"])

    @app.before_request
    def _expire_idle() -> Response | None:
        if "_user_id" not in session or request.headers.get("Authorization"):
            return None
        now = _now()
        idle = now - int(session.get("seen", now))
        age = now - int(session.get("since", now))
        config = current_app.config
        if idle > config["CUSTODY_SESSION_IDLE_MINUTES"] * 60 or age > config["CUSTODY_SESSION_MAX_HOURS"] * 3600:
            user = current_user._get_current_object() if current_user.is_authenticated else None
            logout_user()
            session.pop("since", None)
            session.pop("seen", None)
            if user is not None:
                security_log.record(SecurityKind.SESSION_EXPIRED, user=user, detail=f"idle {idle} s, age {age} s")
            if request.path.startswith("/api/"):
                raise Unauthorized("The session expired: sign in again")
            flash(_("You were signed out after a while without activity. Please sign in again."), "info")
            return redirect(url_for("web.login", next=request.path if request.method == "GET" else None))
        session.setdefault("since", now)
        if now - int(session.get("seen", 0)) >= 30:  # rewrite the cookie at most every 30 s
            session["seen"] = now
        return None

    @app.before_request
    def _require_new_password() -> Response | None:
        if request.endpoint in OPEN_TO_PASSWORD_CHANGE:
            return None  # first: static files and health checks need not load the user at all
        if not current_user.is_authenticated or not passwords.change_required(current_user):
            return None
        if request.path.startswith("/api/"):
            raise PasswordChangeRequired(
                "This account still has the demo's printed password: POST /api/v1/auth/password to choose one"
            )
        return redirect(url_for("account_pages.password"))
