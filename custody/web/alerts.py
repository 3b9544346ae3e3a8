"""The alerts page."""

from __future__ import annotations

from flask import Blueprint
from flask_login import login_required

bp = Blueprint("alert_pages", __name__)


@bp.route("/alerts")
@login_required
def index() -> str:
    """Alerts (stub)."""
    return "alerts"
