"""Item photos: the upload form and a photo's description."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_smorest.fields import Upload
from marshmallow import Schema, fields

from custody.api.schemas.common import UTCDateTime, page_schema
from custody.services.photos import EXTENSIONS

BINARY = {"type": "string", "format": "binary"}
_URL = {"type": "string", "format": "uri-reference"}


class PhotoUploadSchema(Schema):
    file = Upload(
        required=True,
        metadata={"description": "A JPEG, PNG or WebP image; its content decides the type, not its name"},
    )


def _url(photo: Any) -> str:
    return url_for("photos.photo_file", code=photo.item_code, sha256=photo.sha256)


def _thumbnail_url(photo: Any) -> str:
    return url_for("photos.photo_thumbnail", code=photo.item_code, sha256=photo.sha256)


class PhotoSchema(Schema):
    """Dumps a ``services.photos.ItemPhoto``."""

    sha256 = fields.String(
        required=True,
        metadata={"description": "SHA-256 of the file's bytes, as in the ledger", "pattern": "^[0-9a-f]{64}$"},
    )
    media_type = fields.String(required=True, metadata={"enum": list(EXTENSIONS)})
    size = fields.Integer(required=True, attribute="photo.size", metadata={"description": "Bytes"})
    width = fields.Integer(required=True, attribute="photo.width", metadata={"description": "Pixels, as stored"})
    height = fields.Integer(required=True, attribute="photo.height", metadata={"description": "Pixels, as stored"})
    uploaded_at = UTCDateTime(required=True)
    uploaded_by = fields.String(required=True, metadata={"description": "Username of who added it"})
    url = fields.Function(_url, required=True, metadata={**_URL, "description": "The original file"})
    thumbnail_url = fields.Function(
        _thumbnail_url, required=True, metadata={**_URL, "description": "A JPEG at most 320 px on its longer side"}
    )


PhotoPageSchema = page_schema(PhotoSchema, "PhotoPage")
