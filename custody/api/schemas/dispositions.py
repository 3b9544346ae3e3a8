from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from custody.api.schemas.common import PageQuerySchema, Text, UTCDateTime, code_list, page_schema
from custody.models import Disposition, DispositionKind, DispositionStatus, ItemStatus
from custody.services import dispositions
from custody.services.dispositions import MAX_ITEMS

_STRING = {"type": "string"}
_NULLABLE_STRING = {"type": "string", "nullable": True}


class DispositionCreateSchema(Schema):
    items = code_list("Item codes, all of one case, all in the custody of your agency", most=MAX_ITEMS, required=True)
    kind = Text(required=True, validate=validate.OneOf(list(DispositionKind)))
    basis_doc_no = Text(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "Number of the judgment or decision the disposition rests on"},
    )
    recipient = Text(
        allow_none=True,
        validate=validate.Length(max=200),
        metadata={"description": "To whom the items go; required for return_to_owner and transfer_out"},
    )
    reason = Text(
        allow_none=True,
        validate=validate.Length(max=2000),
        metadata={"description": "Why; required for early_sale (perishable items only)"},
    )


class DispositionExecuteSchema(Schema):
    items = code_list(
        "Codes scanned out; together with the scans already recorded they must be exactly the disposition's items",
        most=MAX_ITEMS,
    )


class DispositionScanSchema(Schema):
    code = Text(required=True, validate=validate.Length(min=1, max=200), metadata={"description": "Code or label URL"})


class DispositionScanResultSchema(Schema):
    code = fields.String()
    result = fields.String(metadata={"enum": ["scanned", "duplicate"]})
    scanned = fields.Integer(metadata={"description": "Items scanned out so far"})
    total = fields.Integer()


class DispositionCancelSchema(Schema):
    reason = Text(allow_none=True, validate=validate.Length(max=2000))


class DispositionQuerySchema(PageQuerySchema):
    status = Text(validate=validate.OneOf(list(DispositionStatus)))
    case_no = Text(validate=validate.Length(max=64))


class DispositionLineSchema(Schema):
    code = fields.String()
    name = fields.String()
    category = fields.String()
    quantity = fields.String()
    unit = fields.String()
    flags = fields.List(fields.String())
    seal_no = fields.String(allow_none=True)
    location = fields.String(allow_none=True, metadata={"description": "The shelf it was scanned out from"})
    scanned = fields.Boolean()
    status = fields.String(metadata={"enum": list(ItemStatus)})


def _username(user: Any) -> str | None:
    return user.username if user is not None else None


class DispositionSummarySchema(Schema):
    number = fields.String()
    case_no = fields.Function(lambda d: d.case.case_no, metadata=_STRING)
    agency = fields.Function(
        lambda d: d.agency.code, metadata={"type": "string", "description": "The requesting custodian agency"}
    )
    kind = fields.String(metadata={"enum": list(DispositionKind)})
    status = fields.String(metadata={"enum": list(DispositionStatus)})
    basis_doc_no = fields.String()
    recipient = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    item_count = fields.Function(lambda d: dispositions.item_count(d.id), metadata={"type": "integer"})
    requested_by = fields.Function(lambda d: d.requested_by.username, metadata=_STRING)
    requested_at = UTCDateTime()
    approved_by = fields.Function(lambda d: _username(d.approved_by), metadata=_NULLABLE_STRING)
    approved_at = UTCDateTime(allow_none=True)
    executed_by = fields.Function(lambda d: _username(d.executed_by), metadata=_NULLABLE_STRING)
    executed_at = UTCDateTime(allow_none=True)
    cancelled_by = fields.Function(lambda d: _username(d.cancelled_by), metadata=_NULLABLE_STRING)
    cancelled_at = UTCDateTime(allow_none=True)
    execution_seq = fields.Integer(allow_none=True, metadata={"description": "Ledger entry of the execution"})
    execution_hash = fields.String(allow_none=True)
    record_sha256 = fields.String(allow_none=True, metadata={"description": "Set when the record is first issued"})


class _Lines(fields.List):
    """Documented as a list of DispositionLine; read as plain rows and passed through as they are."""

    def serialize(self, attr: str, obj: Any, accessor: Any = None, **kwargs: Any) -> Any:
        return dispositions.line_rows(obj.id)


class DispositionSchema(DispositionSummarySchema):
    items = _Lines(fields.Nested(DispositionLineSchema), dump_only=True)


DispositionPageSchema = page_schema(DispositionSummarySchema, "DispositionPage")


def disposition_json(disposition: Disposition) -> dict[str, Any]:
    return DispositionSchema().dump(disposition)
