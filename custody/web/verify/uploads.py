"""Reading an uploaded receipt or record no further than it could possibly be long."""

from __future__ import annotations

from flask import current_app, request

MB = 1024 * 1024
# A receipt takes about 250 bytes a line after a first page of a few kilobytes (bench/receipt_pdf.py: 2,000
# items, 0.5 MB); a disposition record is drawn the same way. A file four times that size cannot be the
# document, so it need not be read to say so.
BASE_BYTES = 2 * MB
BYTES_PER_ITEM = 1024


def receipt_limit(items: int) -> int:
    """The largest file worth reading as the receipt (or record) of ``items`` items."""
    return BASE_BYTES + BYTES_PER_ITEM * items


def page_limit(items: int) -> int:
    """The limit the page announces: the document's, or the app's upload limit when that is lower."""
    limit = receipt_limit(items)
    if current_app.config.get("MAX_CONTENT_LENGTH"):
        limit = min(limit, current_app.config["MAX_CONTENT_LENGTH"])
    return limit


def in_mb(size: int) -> int:
    return -(-size // MB)


def read_upload(field: str, limit: int) -> bytes | str:
    """The uploaded file's bytes, or what is wrong with it: ``"missing"``, ``"empty"`` or ``"too_large"``."""
    chosen = request.files.get(field)
    if chosen is None or not chosen.filename:
        return "missing"
    # Read one byte past the limit: enough to know the file is too big without holding all of it.
    data = chosen.stream.read(limit + 1)
    if not data:
        return "empty"
    if len(data) > limit:
        return "too_large"
    return data
