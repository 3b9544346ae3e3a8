"""Intake, moves and the location list with subtree counts."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from custody.api.schemas.common import PageQuerySchema, Text, page_schema
from custody.models import LocationKind
from custody.services.warehouse import MAX_NOTE

_CODE = {"description": "A location code, or a scanned label URL ending in /s/<code>"}


class IntakeSchema(Schema):
    location = Text(required=True, validate=validate.Length(min=1, max=300), metadata=_CODE)
    seal_intact = fields.Boolean(
        required=True, truthy={True}, falsy={False}, metadata={"description": "Whether the seal was found intact"}
    )
    note = Text(allow_none=True, validate=validate.Length(max=MAX_NOTE))


class MoveSchema(Schema):
    location = Text(required=True, validate=validate.Length(min=1, max=300), metadata=_CODE)


class LocationQuerySchema(PageQuerySchema):
    parent = Text(
        validate=validate.Length(max=300),
        metadata={"description": "Code of the location whose children to list; the top level when absent"},
    )


class LocationCountSchema(Schema):
    """A location as ``GET /locations/{code}`` shows it, plus the items anywhere inside it."""

    code = fields.String(attribute="location.code")
    name = fields.String(attribute="location.name")
    kind = fields.String(attribute="location.kind", metadata={"enum": list(LocationKind)})
    parent = fields.Function(
        lambda node: node.location.parent.code if node.location.parent else None,
        metadata={"type": "string", "nullable": True},
    )
    item_count = fields.Integer(metadata={"description": "Items placed on this location itself"})
    total_count = fields.Integer(metadata={"description": "Items on this location and on every location inside it"})


LocationCountPageSchema = page_schema(LocationCountSchema, "LocationCountPage")
