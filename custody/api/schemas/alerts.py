from marshmallow import Schema, fields, validate

from custody.api.schemas.common import PageQuerySchema, Text, UTCDateTime, page_schema
from custody.services.alerts import HIGH, LOW, MEDIUM, RULES
from custody.services.alerts.acknowledging import MAX_NOTE


class SubjectSchema(Schema):
    kind = fields.String(
        metadata={"enum": ["item", "checkout", "handover", "stocktake", "case", "ledger", "disposition"]}
    )
    code = fields.String(
        metadata={
            "description": "Item code, check-out, handover or disposition number, case number; "
            "for the ledger, the first bad entry's seq (or the last verified head)"
        }
    )


class AlertSchema(Schema):
    rule = fields.String(metadata={"enum": list(RULES)})
    severity = fields.String(metadata={"enum": [HIGH, MEDIUM, LOW]})
    subject = fields.Function(
        lambda a: {"kind": a.subject_kind, "code": a.subject_code},
        metadata={"type": "object", "properties": {"kind": {"type": "string"}, "code": {"type": "string"}}},
    )
    since = UTCDateTime()
    detail = fields.String()
    case_no = fields.String(allow_none=True, metadata={"description": "The subject's case (an addition to API.md)"})


class AlertQuerySchema(PageQuerySchema):
    rule = Text(validate=validate.OneOf(list(RULES)))
    severity = Text(validate=validate.OneOf([HIGH, MEDIUM, LOW]))


AlertPageSchema = page_schema(AlertSchema, "AlertPage")


class AcknowledgeSchema(Schema):
    note = Text(
        required=True,
        validate=validate.Length(min=1, max=MAX_NOTE),
        metadata={"description": "What the review found (kept in the ledger entry)"},
    )
