from marshmallow import Schema, fields, validate

from custody.api.schemas.common import Text
from custody.models import LocationKind
from custody.services.locations import item_count


class LocationCreateSchema(Schema):
    code = Text(validate=validate.Length(min=1, max=40))
    name = Text(required=True, validate=validate.Length(min=1, max=200))
    kind = Text(required=True, validate=validate.OneOf(list(LocationKind)))
    parent = Text(allow_none=True)


class LocationSchema(Schema):
    code = fields.String()
    name = fields.String()
    kind = fields.String(metadata={"enum": list(LocationKind)})
    parent = fields.Function(
        lambda loc: loc.parent.code if loc.parent else None, metadata={"type": "string", "nullable": True}
    )
    item_count = fields.Function(item_count, metadata={"type": "integer"})


class ScanQuerySchema(Schema):
    code = fields.String(required=True, metadata={"description": "The scanned text: a bare code or a label URL"})


class ScanSchema(Schema):
    kind = fields.String(metadata={"enum": ["item", "location", "handover", "checkout", "disposition"]})
    code = fields.String()
    object = fields.Dict(metadata={"description": "The item, location or handover, as its own endpoint returns it"})
    actions = fields.List(fields.String(), metadata={"description": "What the caller may do to it now"})
