"""Stocktake pages: open one, scan what is there, close it and read the report."""

from __future__ import annotations

from flask import Blueprint
from flask_login import login_required

bp = Blueprint("stocktake_pages", __name__)


@bp.route("/stocktakes")
@login_required
def index() -> str:
    """Stocktakes (stub)."""
    return "stocktakes"
