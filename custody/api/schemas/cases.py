from marshmallow import Schema, fields, validate

from custody.api.schemas.common import PageQuerySchema, UTCDateTime, page_schema
from custody.models import Stage


class CaseCreateSchema(Schema):
    case_no = fields.String(required=True, validate=validate.Length(min=1, max=64))
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    summary = fields.String(allow_none=True, validate=validate.Length(max=5000))


class CaseSchema(Schema):
    case_no = fields.String()
    title = fields.String()
    summary = fields.String(allow_none=True)
    stage = fields.String()
    agency = fields.Function(lambda case: case.agency.code)
    holders = fields.Function(lambda case: [h.agency.code for h in case.holders])
    item_count = fields.Integer()
    opened_at = UTCDateTime()


class CaseQuerySchema(PageQuerySchema):
    stage = fields.String(validate=validate.OneOf(list(Stage)))
    agency = fields.String()


CasePageSchema = page_schema(CaseSchema, "CasePage")
