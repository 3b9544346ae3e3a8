"""Liveness (/healthz: answers without the database, also the benchmarks' trivial baseline) and
readiness (/readyz: the database and the ledger head), for load balancers and monitoring; and /favicon.ico,
which browsers ask for on their own."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, url_for
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from custody.extensions import db
from custody.services import ledger_view

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz() -> dict[str, str]:
    """The process is up and serving."""
    return {"status": "ok"}


@bp.route("/readyz")
def readyz() -> tuple[dict[str, Any], int]:
    """Ready to serve acts: the database answers and the ledger head can be read (503 otherwise)."""
    try:
        seq = ledger_view.head().seq
    except SQLAlchemyError as error:
        db.session.rollback()
        return {"status": "unavailable", "detail": type(error).__name__}, 503
    finally:
        db.session.rollback()  # end the read: a load balancer polls this every few seconds
    return {"status": "ok", "ledger_seq": seq}, 200


@bp.route("/favicon.ico")
def favicon() -> Response:
    """The icon for a browser that asks for it by the old name (pages link static/favicon.svg themselves)."""
    return redirect(url_for("static", filename="favicon.svg"))
