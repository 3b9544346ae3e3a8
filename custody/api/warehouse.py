"""Intake and moves (keeper)."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("warehouse", __name__, description="Intake and moves (keeper)")
