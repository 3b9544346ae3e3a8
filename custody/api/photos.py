"""Item photos."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("photos", __name__, description="Item photos")
