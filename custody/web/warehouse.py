"""The keepers' floor pages: the intake desk, put-away and moves, the location tree."""

from __future__ import annotations

from flask import Blueprint
from flask_login import login_required

bp = Blueprint("floor", __name__)


@bp.route("/intake")
@login_required
def intake() -> str:
    """The intake desk (stub)."""
    return "intake"


@bp.route("/move")
@login_required
def move() -> str:
    """Put-away and moves (stub)."""
    return "move"


@bp.route("/locations")
@login_required
def locations() -> str:
    """The location tree (stub)."""
    return "locations"
