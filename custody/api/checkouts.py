"""Check-outs: request, approve, release, return."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("checkouts", __name__, description="Check-outs: request, approve, release, return")
