from marshmallow import Schema, fields, validate

from custody.api.schemas.common import PageQuerySchema, Text, UTCDateTime, page_schema
from custody.models import ClosingReason, Stage


class CaseCreateSchema(Schema):
    case_no = Text(required=True, validate=validate.Length(min=1, max=64))
    title = Text(required=True, validate=validate.Length(min=1, max=300))
    summary = Text(allow_none=True, validate=validate.Length(max=5000))


class CaseSchema(Schema):
    case_no = fields.String()
    title = fields.String()
    summary = fields.String(allow_none=True)
    stage = fields.String(metadata={"enum": list(Stage)})
    agency = fields.Function(
        lambda case: case.agency.code, metadata={"type": "string", "description": "Code of the agency holding it now"}
    )
    holders = fields.Function(
        lambda case: [h.agency.code for h in case.holders],
        metadata={"type": "array", "items": {"type": "string"}, "description": "Agency codes, first holder first"},
    )
    item_count = fields.Integer()
    opened_at = UTCDateTime()
    closed_at = UTCDateTime(allow_none=True)
    closed_reason = fields.String(allow_none=True, metadata={"enum": [*ClosingReason, None]})


class CaseCloseSchema(Schema):
    reason = Text(required=True, validate=validate.OneOf(list(ClosingReason)))
    note = Text(allow_none=True, validate=validate.Length(max=2000))


class CaseQuerySchema(PageQuerySchema):
    stage = Text(validate=validate.OneOf(list(Stage)))
    agency = Text()


CasePageSchema = page_schema(CaseSchema, "CasePage")
