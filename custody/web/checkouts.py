"""Check-out pages: what is out and when it is due, and one page per check-out with the step the user may take."""

from __future__ import annotations

from flask import Blueprint
from flask_login import login_required

bp = Blueprint("checkout_pages", __name__)


@bp.route("/checkouts")
@login_required
def index() -> str:
    """Check-outs (stub)."""
    return "checkouts"
