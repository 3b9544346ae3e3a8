"""The JSON API under /api/v1, documented by flask-smorest at /api/v1/openapi.json."""

from __future__ import annotations

from flask import Flask, request
from flask_login import current_user

from custody.errors import Unauthorized
from custody.extensions import api

# Paths that answer without credentials.
PUBLIC = ("/api/v1/auth/tokens", "/api/v1/openapi.json", "/api/v1/docs", "/api/v1/ledger/checkpoints/")
# The log's key and checkpoints are public too (API.md "Ledger proofs"), but not POST /api/v1/ledger/checkpoints.
PUBLIC_PATHS = ("/api/v1/ledger/key", "/api/v1/ledger/checkpoint")


def register_api(app: Flask) -> None:
    from custody.api import (
        alerts,
        cases,
        checkouts,
        dispositions,
        docs,
        exports,
        handovers,
        identity,
        items,
        labels,
        ledger,
        photos,
        places,
        proofs,
        security,
        stocktakes,
        warehouse,
    )

    api.init_app(
        app,
        spec_kwargs={"info": {"description": "Custody ledger for cross-agency seized-property centres. See API.md."}},
    )
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    api.spec.components.security_scheme("session", {"type": "apiKey", "in": "cookie", "name": "session"})
    api.spec.options["security"] = [{"bearer": []}, {"session": []}]
    for module in (
        identity,
        cases,
        items,
        places,
        warehouse,
        labels,
        photos,
        checkouts,
        handovers,
        dispositions,
        stocktakes,
        ledger,
        proofs,
        exports,
        alerts,
        security,
    ):
        api.register_blueprint(module.blp, url_prefix="/api/v1")
    app.register_blueprint(docs.bp)  # /api/v1/docs: Swagger UI without inline script

    @app.before_request
    def _require_login() -> None:
        path = request.path
        public = path.startswith(PUBLIC) or path in PUBLIC_PATHS
        if path.startswith("/api/") and not public and not current_user.is_authenticated:
            raise Unauthorized("Sign in, or send Authorization: Bearer <token>")
