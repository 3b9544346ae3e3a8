"""Sign-in (session cookie or bearer token) and CSRF protection."""

from __future__ import annotations

import hmac
from typing import Any

from flask import Flask, flash, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from custody.errors import Unauthorized
from custody.extensions import csrf, db, login_manager
from custody.models import User
from custody.services.auth import user_for_token

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "web.login"
    login_manager.session_protection = "strong"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def _load_user(session_id: str) -> User | None:
        """The session's user, unless the password changed since it signed in (the tag no longer matches)."""
        user_id, _, tag = session_id.partition(".")
        try:
            user = db.session.get(User, int(user_id))
        except ValueError:
            return None
        if user is None or not user.active or not hmac.compare_digest(tag, user.session_tag()):
            return None
        return user

    @login_manager.request_loader
    def _load_from_token(req: Any) -> User | None:
        header = req.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return user_for_token(token.strip())
        return None

    @login_manager.unauthorized_handler
    def _unauthorized() -> Response:
        if request.path.startswith("/api/"):
            raise Unauthorized()
        if request.path != "/":  # opening the start page needs no explanation
            flash(str(login_manager.login_message), login_manager.login_message_category)
        return redirect(url_for("web.login", next=request.full_path if request.query_string else request.path))

    @app.before_request
    def _csrf() -> None:
        """Forms and cookie-authenticated API calls need a CSRF token; bearer-token calls cannot be forged."""
        if request.method in SAFE_METHODS:
            return
        if request.path.startswith("/api/"):
            if request.headers.get("Authorization") or request.path == "/api/v1/auth/tokens":
                return
            if not current_user.is_authenticated:
                return  # the API answers 401
        csrf.protect()


def safe_next(target: str | None) -> str | None:
    """Only same-site paths: ``next=//evil.example`` must not redirect off the site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target
