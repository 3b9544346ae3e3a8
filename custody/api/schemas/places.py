from marshmallow import Schema, fields, validate

from custody.models import LocationKind
from custody.services.locations import item_count


class LocationCreateSchema(Schema):
    code = fields.String(validate=validate.Length(min=1, max=40))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(list(LocationKind)))
    parent = fields.String(allow_none=True)


class LocationSchema(Schema):
    code = fields.String()
    name = fields.String()
    kind = fields.String()
    parent = fields.Function(lambda loc: loc.parent.code if loc.parent else None)
    item_count = fields.Function(item_count)


class ScanQuerySchema(Schema):
    code = fields.String(required=True)


class ScanSchema(Schema):
    kind = fields.String()
    code = fields.String()
    object = fields.Dict()
    actions = fields.List(fields.String())
