"""Stocktakes (keeper)."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("stocktakes", __name__, description="Stocktakes (keeper)")
