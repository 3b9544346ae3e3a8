from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from custody.api.schemas.common import PageQuerySchema, Text, UTCDateTime, code_list, page_schema
from custody.models import Handover, HandoverKind, HandoverStatus, LineState
from custody.services import handovers
from custody.services.handovers import DIRECTIONS, MAX_ITEMS

_STRING = {"type": "string"}
_NULLABLE_STRING = {"type": "string", "nullable": True}


class HandoverCreateSchema(Schema):
    case_no = Text(required=True, validate=validate.Length(min=1, max=64))
    to_agency = Text(required=True, validate=validate.Length(min=1, max=16), metadata={"description": "Agency code"})
    items = code_list(
        "Item codes to hand over; every item of the case that is not disposed when left out", most=MAX_ITEMS
    )
    moves_with_case = code_list(
        "Of those, the items that leave the shelf with the case file (随案移送)", most=MAX_ITEMS
    )
    note = Text(allow_none=True, validate=validate.Length(max=2000))


class PresenceCheckSchema(Schema):
    present = code_list(
        "Codes found on their shelves (items already scanned count as present)", most=MAX_ITEMS, required=True
    )
    missing = code_list("Codes not found", most=MAX_ITEMS)


class PresenceScanSchema(Schema):
    code = Text(required=True, validate=validate.Length(min=1, max=200), metadata={"description": "Code or label URL"})


class PresenceScanResultSchema(Schema):
    code = fields.String()
    result = fields.String(metadata={"enum": ["present", "duplicate"]})
    checked = fields.Integer(metadata={"description": "Items scanned or marked so far"})
    total = fields.Integer()


class RejectionSchema(Schema):
    code = Text(required=True, validate=validate.Length(min=1, max=200))
    reason = Text(required=True, validate=validate.Length(min=1, max=2000))


class AcceptSchema(Schema):
    reject = fields.List(
        fields.Nested(RejectionSchema),
        validate=validate.Length(max=MAX_ITEMS),
        metadata={"description": "Items refused, each with its reason; the rest are accepted"},
    )


class RejectSchema(Schema):
    reason = Text(required=True, validate=validate.Length(min=1, max=2000))


class HandoverCancelSchema(Schema):
    reason = Text(allow_none=True, validate=validate.Length(max=2000))


class HandoverQuerySchema(PageQuerySchema):
    direction = Text(validate=validate.OneOf(list(DIRECTIONS)))
    status = Text(validate=validate.OneOf(list(HandoverStatus)))
    case_no = Text(validate=validate.Length(max=64))


class HandoverLineSchema(Schema):
    code = fields.Function(lambda line: line.item.code, metadata=_STRING)
    name = fields.Function(lambda line: line.item.name, metadata=_STRING)
    moves = fields.Boolean()
    state = fields.String(metadata={"enum": list(LineState)})
    reason = fields.String(allow_none=True)
    presence = fields.String(allow_none=True, metadata={"enum": ["present", "missing", None]})
    location = fields.String(allow_none=True, metadata={"description": "Shelf found on at the presence check"})


def _username(user: Any) -> str | None:
    return user.username if user is not None else None


class HandoverSummarySchema(Schema):
    number = fields.String()
    case_no = fields.Function(lambda h: h.case.case_no, metadata=_STRING)
    from_agency = fields.Function(lambda h: h.from_agency.code, metadata=_STRING)
    to_agency = fields.Function(lambda h: h.to_agency.code, metadata=_STRING)
    kind = fields.String(metadata={"enum": list(HandoverKind)})
    status = fields.String(metadata={"enum": list(HandoverStatus)})
    note = fields.String(allow_none=True)
    reason = fields.String(allow_none=True, metadata={"description": "Why it was rejected or cancelled"})
    requested_by = fields.Function(lambda h: h.requested_by.username, metadata=_STRING)
    requested_at = UTCDateTime()
    approved_by = fields.Function(lambda h: _username(h.approved_by), metadata=_NULLABLE_STRING)
    approved_at = UTCDateTime(allow_none=True)
    checked_by = fields.Function(lambda h: _username(h.checked_by), metadata=_NULLABLE_STRING)
    checked_at = UTCDateTime(allow_none=True)
    decided_by = fields.Function(lambda h: _username(h.decided_by), metadata=_NULLABLE_STRING)
    decided_at = UTCDateTime(allow_none=True)
    decision_seq = fields.Integer(allow_none=True, metadata={"description": "Ledger entry of the decision"})
    receipt_sha256 = fields.String(allow_none=True, metadata={"description": "Set when the receipt is first issued"})
    checkout = fields.String(
        attribute="checkout_number",
        allow_none=True,
        metadata={"description": "The check-out taking the items that move with the case"},
    )


class _Lines(fields.List):
    """Documented as a list of HandoverLine; the lines are read as plain rows and passed through as they are:
    serialising 10,000 line objects took longer than the acceptance itself (bench/handover_flow.py)."""

    def serialize(self, attr: str, obj: Any, accessor: Any = None, **kwargs: Any) -> Any:
        return handovers.line_rows(obj.id)


class HandoverSchema(HandoverSummarySchema):
    items = _Lines(fields.Nested(HandoverLineSchema), dump_only=True)


HandoverPageSchema = page_schema(HandoverSummarySchema, "HandoverPage")


def handover_json(handover: Handover) -> dict[str, Any]:
    return HandoverSchema().dump(handover)
