"""Label sheets (PDF) for items and locations."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("labels", __name__, description="Label sheets (PDF) for items and locations")
