"""One place that turns errors into problem+json (API) or a page (web).

Pages say what went wrong in the user's language (``custody.web.messages``);
the English ``detail`` of a domain error is for API clients and logs.
"""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from custody.api.problems import from_domain, from_http, problem
from custody.errors import DomainError
from custody.extensions import db
from custody.services import security_log
from custody.web.messages import describe, describe_status


def _wants_problem() -> bool:
    return request.path.startswith("/api/")


def _page(status: int, message: str) -> tuple[str, int]:
    return render_template("error.html", status=status, message=message), status


def register(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(error: DomainError) -> Response | tuple[str, int]:
        db.session.rollback()
        if error.status == 403:
            security_log.record_refusal(current_user, f"{error.code}: {error.detail}")
        if _wants_problem():
            return from_domain(error)
        return _page(error.status, describe(error))

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> Response | tuple[str, int]:
        security_log.record_refusal(current_user, f"csrf: {error.description}")
        if _wants_problem():
            return problem(403, "forbidden", "CSRF check failed", error.description or "Missing CSRF token")
        return _page(
            400, _("The form was not sent from this site or has expired. Go back, reload the page and try again.")
        )

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response | tuple[str, int]:
        if error.code == 403:
            security_log.record_refusal(current_user, error.description or "forbidden")
        if _wants_problem():
            return from_http(error)
        return _page(error.code or 500, describe_status(error.code or 500))

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response | tuple[str, int]:
        db.session.rollback()
        app.logger.exception("Unhandled error")
        if _wants_problem():
            return problem(500, "internal_error", "Internal error", "Something went wrong; it has been logged")
        return _page(500, describe_status(500))
