"""Label sheets from the case, item and location pages."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("printing", __name__)
