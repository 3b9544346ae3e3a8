"""Liveness: answers without the database, for load balancers and as the benchmarks' trivial baseline."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz() -> dict[str, str]:
    """The process is up and serving."""
    return {"status": "ok"}
