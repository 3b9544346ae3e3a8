"""flask-login, taught that a bearer token decides on its own.

With ``session_protection = "strong"``, flask-login drops to anonymous as soon
as the session cookie lacks its identity marker, before it would consult the
request loader. A browser that opened any page with a form carries such a
cookie (it holds the CSRF token), so a valid bearer token sent from that
browser (Swagger UI's "Try it out", a scanner page calling the API) answered
401. Here a request with ``Authorization: Bearer`` is authenticated by the
token alone; every other request goes the usual way.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_login import LoginManager


def bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


class CustodyLoginManager(LoginManager):
    def _load_user(self) -> Any:
        token = bearer_token()
        if token is None:
            return super()._load_user()
        from custody.services.auth import user_for_token

        return self._update_request_context_with_user(user_for_token(token))
