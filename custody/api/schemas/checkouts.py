from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from custody.api.schemas.common import AwareDateTime, PageQuerySchema, Text, UTCDateTime, code_list, page_schema
from custody.models import Checkout, CheckoutItem, CheckoutStatus, Purpose
from custody.services import checkouts
from custody.services.checkouts.acts import MAX_ITEMS, REQUESTABLE

_STRING = {"type": "string"}
_NULLABLE_STRING = {"type": "string", "nullable": True}


def _note() -> Text:
    return Text(allow_none=True, validate=validate.Length(max=2000))


class CheckoutCreateSchema(Schema):
    items = code_list("Item codes (or label URLs) of one case", most=MAX_ITEMS, fewest=1, required=True)
    purpose = Text(required=True, validate=validate.OneOf([str(p) for p in REQUESTABLE]))
    due_at = AwareDateTime(
        required=True, format="iso", metadata={"description": "When the items must be back: ISO 8601 with an offset"}
    )
    taken_by = Text(
        required=True,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "Username of the person of your agency who will carry the items"},
    )
    note = _note()


class CheckoutReleaseSchema(Schema):
    items = code_list("The codes the keeper scanned: exactly the check-out's items", most=MAX_ITEMS, fewest=1)


class CheckoutReturnSchema(Schema):
    items = code_list("The codes coming back now; every item still out when left out", most=MAX_ITEMS, fewest=1)
    seal_intact = fields.Boolean(required=True)
    note = _note()


class CheckoutQuerySchema(PageQuerySchema):
    status = Text(validate=validate.OneOf(list(CheckoutStatus)))
    overdue = fields.Boolean(metadata={"description": "Released, items still out, past the due time"})
    case_no = Text(validate=validate.Length(max=64))
    agency = Text(validate=validate.Length(max=16), metadata={"description": "Code of the requesting agency"})
    requested_by = Text(validate=validate.Length(max=64), metadata={"description": "Username of the requester"})


class CheckoutLineSchema(Schema):
    code = fields.Function(lambda line: line.item.code, metadata=_STRING)
    name = fields.Function(lambda line: line.item.name, metadata=_STRING)
    state = fields.Method("_state", metadata={"enum": ["requested", "out", "returned", "cancelled"], **_STRING})
    returned_at = UTCDateTime(allow_none=True)
    seal_intact = fields.Boolean(allow_none=True)
    return_note = fields.String(allow_none=True)

    def _state(self, line: CheckoutItem) -> str:
        return checkouts.line_state(line.checkout, line)


def _username(user: Any) -> str | None:
    return user.username if user is not None else None


class CheckoutSchema(Schema):
    number = fields.String()
    status = fields.String(metadata={"enum": list(CheckoutStatus)})
    case_no = fields.Function(lambda c: c.case.case_no, metadata=_STRING)
    agency = fields.Function(lambda c: c.agency.code, metadata={**_STRING, "description": "The requesting agency"})
    purpose = fields.String(metadata={"enum": list(Purpose)})
    due_at = UTCDateTime(allow_none=True)
    overdue = fields.Function(lambda c: checkouts.is_overdue(c), metadata={"type": "boolean"})
    taken_by = fields.Function(lambda c: c.taken_by.username, metadata=_STRING)
    note = fields.String(allow_none=True)
    items = fields.List(fields.Nested(CheckoutLineSchema), attribute="lines")
    requested_by = fields.Function(lambda c: c.requested_by.username, metadata=_STRING)
    requested_at = UTCDateTime()
    approved_by = fields.Function(lambda c: _username(c.approved_by), metadata=_NULLABLE_STRING)
    approved_at = UTCDateTime(allow_none=True)
    released_by = fields.Function(lambda c: _username(c.released_by), metadata=_NULLABLE_STRING)
    released_at = UTCDateTime(allow_none=True)
    closed_at = UTCDateTime(allow_none=True)


CheckoutPageSchema = page_schema(CheckoutSchema, "CheckoutPage")


def checkout_json(checkout: Checkout) -> dict[str, Any]:
    return CheckoutSchema().dump(checkout)
