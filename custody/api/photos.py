"""Item photos: upload (multipart), list, and the files themselves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Response, send_file
from flask_login import current_user
from flask_smorest import Blueprint

from custody.api.schemas.photos import BINARY, PhotoPageSchema, PhotoSchema, PhotoUploadSchema
from custody.services import photos

blp = Blueprint("photos", __name__, description="Item photos")

# Content-addressed: a URL's bytes never change. Private: evidence must not sit in shared caches.
MAX_AGE = 365 * 24 * 3600
_ORIGINAL = "The original file, byte for byte, in the type found from its content"
_NOT_MODIFIED = "Not modified: If-None-Match names this ETag"


def _headers(etag: str) -> dict[str, Any]:
    return {
        "ETag": {"description": etag, "schema": {"type": "string"}},
        "Cache-Control": {"description": "private, long-lived: the bytes never change", "schema": {"type": "string"}},
        "X-Content-Type-Options": {"schema": {"type": "string", "enum": ["nosniff"]}},
    }


@blp.route("/items/<code>/photos", methods=["POST"])
@blp.arguments(PhotoUploadSchema, location="files")
@blp.response(201, PhotoSchema)
def add_photo(upload: dict[str, Any], code: str) -> Any:
    """Add a photo to an item (handler of the holding agency, or keeper); the ledger records its SHA-256.

    422 names ``file`` when it is not a JPEG, PNG or WebP image, is damaged, or is too large;
    409 when the same photo is already on the item.
    """
    return photos.add_photo(current_user, code, upload["file"].read())


@blp.route("/items/<code>/photos")
@blp.response(200, PhotoPageSchema)
def list_photos(code: str) -> dict[str, Any]:
    """The item's photos, oldest first (one page: ``next`` is always null)."""
    return {"items": photos.list_photos(current_user, code), "next": None}


@blp.route("/items/<code>/photos/<sha256>")
@blp.response(200, BINARY, content_type="image/jpeg", description=_ORIGINAL, headers=_headers('"<sha256>"'))
@blp.alt_response(200, schema=BINARY, content_type="image/png", description=_ORIGINAL, success=True)
@blp.alt_response(200, schema=BINARY, content_type="image/webp", description=_ORIGINAL, success=True)
@blp.alt_response(304, description=_NOT_MODIFIED)
def photo_file(code: str, sha256: str) -> Response:
    """The photo's original bytes, in the type found from its content."""
    found, stored = photos.original_path(current_user, code, sha256)
    return _send(stored, found.media_type, found.sha256)


@blp.route("/items/<code>/photos/<sha256>/thumbnail")
@blp.response(200, BINARY, content_type="image/jpeg", description="The thumbnail", headers=_headers('"<sha256>-320"'))
@blp.alt_response(304, description=_NOT_MODIFIED)
def photo_thumbnail(code: str, sha256: str) -> Response:
    """A JPEG of the photo at most 320 px on its longer side, upright, without metadata."""
    return _send(photos.thumbnail_path(current_user, code, sha256), "image/jpeg", f"{sha256}-{photos.THUMBNAIL_SIZE}")


def _send(path: Path, media_type: str, etag: str) -> Response:
    response = send_file(path, mimetype=media_type, etag=etag, conditional=True, max_age=MAX_AGE)
    response.cache_control.public = False
    response.cache_control.private = True
    response.cache_control.immutable = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
