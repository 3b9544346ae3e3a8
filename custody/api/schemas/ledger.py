from __future__ import annotations

import json
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from custody.api.schemas.common import CURSOR, MAX_SEQ, AwareDateTime, Text, page_schema
from custody.ledger.kinds import EntryKind
from custody.models import LedgerEntry
from custody.services.ledger_view import EntryFilter


def _body(entry: LedgerEntry) -> dict[str, Any]:
    # Cached per entry object: items and data both come from the one parse.
    cached = entry.__dict__.get("_parsed_body")
    if cached is None:
        cached = json.loads(entry.body)
        entry.__dict__["_parsed_body"] = cached
    return cached


class EntrySchema(Schema):
    seq = fields.Integer()
    at = fields.Function(lambda e: _body(e)["at"], metadata={"type": "string", "format": "date-time"})
    kind = fields.String()
    actor = fields.String()
    agency = fields.String()
    case_no = fields.String(allow_none=True)
    items = fields.Function(
        lambda e: [i["code"] for i in _body(e)["items"]], metadata={"type": "array", "items": {"type": "string"}}
    )
    data = fields.Function(lambda e: _body(e)["data"], metadata={"type": "object"})
    prev_hash = fields.String()
    hash = fields.String()
    body = fields.String()


class EntryFilterSchema(Schema):
    """The ledger browser's filters (each optional; together they all apply)."""

    agency = Text(validate=validate.Length(min=1, max=16), metadata={"description": "Code of the acting agency"})
    kind = Text(validate=validate.OneOf(list(EntryKind)), metadata={"description": "Entry kind, e.g. item.moved"})
    case_no = Text(validate=validate.Length(min=1, max=64))
    item = Text(validate=validate.Length(min=1, max=16), metadata={"description": "Item code: entries naming it"})
    actor = Text(validate=validate.Length(min=1, max=64), metadata={"description": "Username of the actor"})
    since = AwareDateTime(data_key="from", metadata={"description": "Entries at or after this time (with offset)"})
    until = AwareDateTime(data_key="to", metadata={"description": "Entries before this time (with offset)"})

    @validates_schema
    def _range(self, data: dict[str, Any], **_kw: Any) -> None:
        if data.get("since") and data.get("until") and data["since"] >= data["until"]:
            raise ValidationError("Must be later than from", "to")


def entry_filter(query: dict[str, Any]) -> EntryFilter:
    """The loaded query's filters (other keys, such as the cursor, are left out)."""
    names = ("agency", "kind", "case_no", "item", "actor", "since", "until")
    return EntryFilter(**{name: query.get(name) for name in names})


class EntryQuerySchema(EntryFilterSchema):
    after = fields.Integer(
        validate=validate.Range(min=0, max=MAX_SEQ), metadata={"description": "Entries with a greater seq (0: all)"}
    )
    cursor = Text(validate=CURSOR, metadata={"description": "The `next` of the page before"})
    limit = fields.Integer(validate=validate.Range(min=1, max=1000))


class HistorySchema(Schema):
    item = fields.String()
    entries = fields.List(fields.Nested(EntrySchema))


class HeadSchema(Schema):
    seq = fields.Integer()
    hash = fields.String()


class VerifySchema(Schema):
    ok = fields.Boolean()
    checked = fields.Integer()
    first_bad_seq = fields.Integer(allow_none=True)
    reason = fields.String(allow_none=True)


EntryPageSchema = page_schema(EntrySchema, "EntryPage")
