from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from marshmallow import Schema, fields, validate

from custody.services.pagination import MAX_LIMIT


def utc_z(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with ``Z``, as the contract writes times."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


class UTCDateTime(fields.Field):
    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return utc_z(value)


class PageQuerySchema(Schema):
    limit = fields.Integer(validate=validate.Range(min=1, max=MAX_LIMIT))
    cursor = fields.String()


def page_schema(item_schema: type[Schema], name: str) -> type[Schema]:
    """A ``{"items": [...], "next": cursor}`` list schema, named for the OpenAPI document."""
    return Schema.from_dict(
        {"items": fields.List(fields.Nested(item_schema)), "next": fields.String(allow_none=True)},
        name=name,
    )
