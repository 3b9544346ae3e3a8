"""API documentation: the browsable reference at /api/v1/docs, and the error responses of the OpenAPI document.

flask-smorest's own Swagger UI page carries an inline ``<script>``, which a Content-Security-Policy
without ``'unsafe-inline'`` blocks, so it is switched off (``OPENAPI_SWAGGER_UI_PATH = None``) and this
page is served instead: vendored Swagger UI (static/vendor/swagger-ui/, no CDN, works air-gapped) started
by ``init.js``, which reads the document's URL from a ``data-`` attribute.

Registering this blueprint (last, in ``register_api``) also makes the OpenAPI document describe errors as
the problem+json they are (see ``problems.document_problems``).
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, url_for
from flask.blueprints import BlueprintSetupState

from custody.api.problems import document_problems
from custody.extensions import api

bp = Blueprint("api_docs", __name__)


def _document_problems(_state: BlueprintSetupState) -> None:
    document_problems(api.spec)  # the spec of the app being set up: register_api has just run api.init_app


bp.record_once(_document_problems)


@bp.route("/api/v1/docs")
def docs() -> str:
    """Swagger UI for /api/v1/openapi.json; public, like the document itself."""
    return render_template(
        "api_docs.html",
        title=current_app.config.get("API_TITLE", "API"),
        spec_url=url_for("api-docs.openapi_json"),
    )
