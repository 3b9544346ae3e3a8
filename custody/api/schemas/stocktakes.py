from marshmallow import Schema, fields, validate

from custody.api.schemas.common import PageQuerySchema, Text, UTCDateTime, page_schema
from custody.models import ScanResult, StocktakeStatus


class StocktakeCreateSchema(Schema):
    location = Text(
        required=True,
        validate=validate.Length(min=1, max=300),
        metadata={"description": "The location's code, or its label's scanned text; its children are counted too"},
    )


class StocktakeSchema(Schema):
    number = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": list(StocktakeStatus)})
    location = fields.String(required=True, metadata={"description": "Code of the location counted"})
    location_name = fields.String()
    expected = fields.Integer(required=True, metadata={"description": "Items in storage in scope when it was opened"})
    found = fields.Integer(required=True, metadata={"description": "Expected items scanned (so far, while open)"})
    scanned = fields.Integer(required=True, metadata={"description": "Items scanned, expected or not, each once"})
    opened_at = UTCDateTime(required=True)
    opened_by = fields.String(required=True, metadata={"description": "Username"})
    closed_at = UTCDateTime(allow_none=True)
    closed_by = fields.String(allow_none=True, metadata={"description": "Username"})
    close_seq = fields.Integer(allow_none=True, metadata={"description": "Sequence number of the closing ledger entry"})


class StocktakeResultSchema(StocktakeSchema):
    missing = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "Codes of expected items not scanned (while open: not scanned yet)"},
    )
    unexpected = fields.List(
        fields.String(), required=True, metadata={"description": "Codes of scanned items that were not expected"}
    )


class StocktakeQuerySchema(PageQuerySchema):
    status = Text(validate=validate.OneOf(list(StocktakeStatus)))
    location = Text(validate=validate.Length(min=1, max=40), metadata={"description": "Code of the location counted"})


StocktakePageSchema = page_schema(StocktakeSchema, "StocktakePage")


class ScanCreateSchema(Schema):
    code = Text(
        required=True,
        validate=validate.Length(min=1, max=300),
        metadata={"description": "The scanned text: an item's code or its label URL"},
    )


class ScanRecordedSchema(Schema):
    result = fields.String(required=True, metadata={"enum": list(ScanResult)})
    code = fields.String(required=True, metadata={"description": "The item's code"})
    item = fields.String(required=True, metadata={"description": "The item's name"})
    recorded_location = fields.String(
        allow_none=True, metadata={"description": "Where the records put the item (for an unexpected one: elsewhere)"}
    )
    item_status = fields.String(metadata={"description": "The item's status in the records"})
