from __future__ import annotations

import json
from typing import Any

from marshmallow import Schema, fields, validate

from custody.api.schemas.common import CURSOR, MAX_SEQ, Text, page_schema
from custody.models import LedgerEntry


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


class EntryQuerySchema(Schema):
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
