"""One place that turns errors into problem+json (API) or a page (web)."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from custody.api.problems import from_domain, from_http, problem
from custody.errors import DomainError
from custody.extensions import db


def _wants_problem() -> bool:
    return request.path.startswith("/api/")


def register(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(error: DomainError) -> Response | tuple[str, int]:
        db.session.rollback()
        if _wants_problem():
            return from_domain(error)
        return render_template("error.html", status=error.status, message=error.detail), error.status

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> Response | tuple[str, int]:
        if _wants_problem():
            return problem(403, "forbidden", "CSRF check failed", error.description or "Missing CSRF token")
        return render_template("error.html", status=400, message=error.description), 400

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response | tuple[str, int]:
        if _wants_problem():
            return from_http(error)
        return render_template("error.html", status=error.code, message=error.description), error.code or 500

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response | tuple[str, int]:
        db.session.rollback()
        app.logger.exception("Unhandled error")
        if _wants_problem():
            return problem(500, "internal_error", "Internal error", "Something went wrong; it has been logged")
        return render_template("error.html", status=500, message=None), 500
