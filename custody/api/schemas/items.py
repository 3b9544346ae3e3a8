from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from custody.api.schemas.common import (
    AwareDateTime,
    DecimalInput,
    PageQuerySchema,
    Text,
    UTCDateTime,
    page_schema,
    utc_z,
)
from custody.models import Category, Flag, Item, ItemStatus
from custody.services.items import plain_quantity

MAX_QUANTITY = Decimal("1e12")
MAX_VALUE = Decimal("1e13")


def _text(max_length: int, required: bool = False) -> fields.String:
    if required:
        return Text(required=True, validate=validate.Length(min=1, max=max_length))
    return Text(allow_none=True, validate=validate.Length(max=max_length))


class ItemCreateSchema(Schema):
    """One item to register. Shared by the API and the web form, so both refuse the same rows."""

    name = _text(300, required=True)
    category = Text(required=True, validate=validate.OneOf(list(Category)))
    quantity = DecimalInput(
        required=True,
        places=3,
        minimum=Decimal(0),
        exclusive_minimum=True,
        maximum=MAX_QUANTITY,
        metadata={"description": "Positive, up to 3 decimal places: a number or a decimal string"},
    )
    unit = _text(20, required=True)
    description = _text(5000)
    estimated_value = DecimalInput(
        allow_none=True,
        places=2,
        minimum=Decimal(0),
        maximum=MAX_VALUE,
        metadata={"description": "Money (CNY), 2 decimal places: a number or a decimal string"},
    )
    owner_name = _text(200)
    seizure_doc_no = _text(100, required=True)
    seized_at = AwareDateTime(
        required=True, format="iso", metadata={"description": "ISO 8601 with an offset, e.g. 2026-01-02T08:00:00+08:00"}
    )
    seized_by = _text(200)
    seal_no = _text(64)
    flags = fields.List(Text(validate=validate.OneOf(list(Flag))), load_default=list)

    @validates_schema
    def _strings_not_blank(self, data: dict[str, Any], **_: Any) -> None:
        errors = {
            k: ["Must not be blank"] for k in ("name", "unit", "seizure_doc_no") if k in data and not data[k].strip()
        }
        if errors:
            raise ValidationError(errors)


class ItemBatchSchema(Schema):
    items = fields.List(fields.Nested(ItemCreateSchema), required=True, validate=validate.Length(min=1, max=20000))

    def handle_error(self, error: ValidationError, data: Any, **kwargs: Any) -> None:
        """Name bad rows by index at the top level: ``{"3": {"name": [...]}}``."""
        messages = error.messages
        if isinstance(messages, dict) and isinstance(messages.get("items"), dict):
            rows = messages["items"]
            if all(isinstance(k, int) for k in rows):
                raise ValidationError({str(k): v for k, v in rows.items()})
        raise error


def _decimal_text(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


_STRING = {"type": "string"}
_NULLABLE_STRING = {"type": "string", "nullable": True}


class ItemSchema(Schema):
    code = fields.String()
    case_no = fields.Function(lambda item: item.case.case_no, metadata=_STRING)
    name = fields.String()
    category = fields.String(metadata={"enum": list(Category)})
    quantity = fields.Function(
        lambda item: format(plain_quantity(item.quantity), "f"), metadata={**_STRING, "example": "1.5"}
    )
    unit = fields.String()
    description = fields.String(allow_none=True)
    estimated_value = fields.Function(
        lambda item: _decimal_text(item.estimated_value), metadata={**_NULLABLE_STRING, "example": "1280.50"}
    )
    owner_name = fields.String(allow_none=True)
    seizure_doc_no = fields.String()
    seized_at = UTCDateTime()
    seized_by = fields.String(allow_none=True)
    seal_no = fields.String(allow_none=True)
    flags = fields.List(fields.String(metadata={"enum": list(Flag)}))
    status = fields.String(metadata={"enum": list(ItemStatus)})
    location = fields.Function(lambda item: item.location.code if item.location else None, metadata=_NULLABLE_STRING)
    custodian = fields.Function(
        lambda item: item.custodian.code, metadata={**_STRING, "description": "Code of the agency holding it"}
    )
    late_intake = fields.Boolean()
    registered_at = UTCDateTime()


class ItemQuerySchema(PageQuerySchema):
    case_no = Text()
    status = Text(validate=validate.OneOf(list(ItemStatus)))
    location = Text()
    custodian = Text()


ItemPageSchema = page_schema(ItemSchema, "ItemPage")
ItemListSchema = Schema.from_dict({"items": fields.List(fields.Nested(ItemSchema))}, name="ItemList")


_ITEM = ItemSchema()  # building a schema per dump cost ~0.3 ms a scan (bench/scan_load.py)


def item_json(item: Item) -> dict[str, Any]:
    return _ITEM.dump(item)


__all__ = [
    "ItemBatchSchema",
    "ItemCreateSchema",
    "ItemListSchema",
    "ItemPageSchema",
    "ItemQuerySchema",
    "ItemSchema",
    "utc_z",
]
