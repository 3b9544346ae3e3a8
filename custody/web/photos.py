"""Uploading and showing item photos."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("photo_pages", __name__)
