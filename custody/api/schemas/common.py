from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from custody.services.pagination import MAX_LIMIT

# Keyset cursors are the decimal id of the last row of the page before (see services.pagination); 18 digits
# keep them inside a 64-bit integer column, so nothing bigger ever reaches the database. Empty: the first page.
CURSOR = validate.Regexp(r"^([0-9]{1,18})?$", error="Not a cursor from this API")
MAX_SEQ = 2**63 - 1  # ledger sequence numbers are BIGINT


def utc_z(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with ``Z``, as the contract writes times."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


# NUL and lone surrogates ("\ud800" is valid JSON) cannot be stored or hashed: PostgreSQL refuses NUL in text,
# and a surrogate cannot be encoded as UTF-8. Refused as invalid input instead of failing deeper down.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class Text(fields.String):
    """A string that can be stored: no NUL, no lone surrogate. Use it for every string a client sends."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text: str = super()._deserialize(value, attr, data, **kwargs)
        if _UNSTORABLE.search(text):
            raise ValidationError("Contains characters that are not allowed (NUL or an unpaired surrogate)")
        return text


def code_list(description: str, *, most: int, fewest: int = 0, required: bool = False) -> fields.List:
    """A list of scanned or typed codes (bare or label URLs); a fresh field each time, as marshmallow binds a
    field to the one schema it sits in."""
    return fields.List(
        Text(validate=validate.Length(min=1, max=200)),
        required=required,
        validate=validate.Length(min=fewest, max=most),
        metadata={"description": description},
    )


class AwareDateTime(fields.AwareDateTime):
    """An ISO 8601 time with an offset, that also exists in UTC ("0001-01-01T00:00+14:00" does not)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        moment: datetime = super()._deserialize(value, attr, data, **kwargs)
        try:
            moment.astimezone(UTC)
        except OverflowError:
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE) from None
        return moment


class UTCDateTime(fields.DateTime):
    """Output only: a time in UTC with ``Z`` (documented as ``string``/``date-time``)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return utc_z(value)


# A decimal written as text: "1280.50", "3", ".5" (no sign, no exponent); surrounding blanks are tolerated.
DECIMAL_TEXT = r"^\s*([0-9]+\.?[0-9]*|\.[0-9]+)\s*$"
_DECIMAL_TEXT = re.compile(DECIMAL_TEXT, re.ASCII)


class DecimalInput(fields.Field):
    """A decimal given as a JSON number or as a decimal string, as the contract allows; loads a ``Decimal``.

    Documented as ``anyOf: [number, string]`` with the bounds and the text pattern, so generated clients
    and the OpenAPI document agree with what is accepted.
    """

    def __init__(
        self,
        *,
        places: int,
        minimum: Decimal,
        maximum: Decimal,
        exclusive_minimum: bool = False,
        **kwargs: Any,
    ) -> None:
        self.decimal = fields.Decimal(
            places=places, validate=validate.Range(min=minimum, max=maximum, min_inclusive=not exclusive_minimum)
        )
        number: dict[str, Any] = {"type": "number", "minimum": _json_number(minimum), "maximum": _json_number(maximum)}
        if exclusive_minimum:
            number["exclusiveMinimum"] = True
        text = {"type": "string", "pattern": DECIMAL_TEXT, "example": "1280.50"}
        metadata = {"anyOf": [number, text], **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        result: Decimal = self.decimal.deserialize(value)
        if isinstance(value, str) and not _DECIMAL_TEXT.match(value):
            raise ValidationError("Not a valid number.")
        return result


def _json_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


class PageQuerySchema(Schema):
    limit = fields.Integer(
        validate=validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"Page size, 1–{MAX_LIMIT} (default 50)"},
    )
    cursor = Text(validate=CURSOR, metadata={"description": "The `next` of the page before"})


def page_schema(item_schema: type[Schema], name: str) -> type[Schema]:
    """A ``{"items": [...], "next": cursor}`` list schema, named for the OpenAPI document."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema), required=True),
            "next": fields.String(
                allow_none=True, required=True, metadata={"description": "Cursor of the next page; null on the last"}
            ),
        },
        name=name,
    )
