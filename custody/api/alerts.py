"""Alerts."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("alerts", __name__, description="Alerts")
