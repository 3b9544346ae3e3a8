"""The blueprint the disposition pages' modules add their routes to (one module each would import the others)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("disposition_pages", __name__)
