from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from custody.api.schemas.common import PageQuerySchema, UTCDateTime, page_schema, utc_z
from custody.models import Category, Flag, Item, ItemStatus
from custody.services.items import plain_quantity

MAX_QUANTITY = Decimal("1e12")
MAX_VALUE = Decimal("1e13")


def _text(max_length: int, required: bool = False) -> fields.String:
    if required:
        return fields.String(required=True, validate=validate.Length(min=1, max=max_length))
    return fields.String(allow_none=True, validate=validate.Length(max=max_length))


class ItemCreateSchema(Schema):
    """One item to register. Shared by the API and the web form, so both refuse the same rows."""

    name = _text(300, required=True)
    category = fields.String(required=True, validate=validate.OneOf(list(Category)))
    quantity = fields.Decimal(
        required=True, validate=validate.Range(min=0, min_inclusive=False, max=MAX_QUANTITY), places=3
    )
    unit = _text(20, required=True)
    description = _text(5000)
    estimated_value = fields.Decimal(allow_none=True, places=2, validate=validate.Range(min=0, max=MAX_VALUE))
    owner_name = _text(200)
    seizure_doc_no = _text(100, required=True)
    seized_at = fields.AwareDateTime(required=True, format="iso")
    seized_by = _text(200)
    seal_no = _text(64)
    flags = fields.List(fields.String(validate=validate.OneOf(list(Flag))), load_default=list)

    @validates_schema
    def _strings_not_blank(self, data: dict[str, Any], **_: Any) -> None:
        errors = {k: ["Must not be blank"] for k in ("name", "unit", "seizure_doc_no") if k in data and not data[k].strip()}
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


class ItemSchema(Schema):
    code = fields.String()
    case_no = fields.Function(lambda item: item.case.case_no)
    name = fields.String()
    category = fields.String()
    quantity = fields.Function(lambda item: format(plain_quantity(item.quantity), "f"))
    unit = fields.String()
    description = fields.String(allow_none=True)
    estimated_value = fields.Function(lambda item: _decimal_text(item.estimated_value))
    owner_name = fields.String(allow_none=True)
    seizure_doc_no = fields.String()
    seized_at = UTCDateTime()
    seized_by = fields.String(allow_none=True)
    seal_no = fields.String(allow_none=True)
    flags = fields.List(fields.String())
    status = fields.String()
    location = fields.Function(lambda item: item.location.code if item.location else None)
    custodian = fields.Function(lambda item: item.custodian.code)
    late_intake = fields.Boolean()
    registered_at = UTCDateTime()


class ItemQuerySchema(PageQuerySchema):
    case_no = fields.String()
    status = fields.String(validate=validate.OneOf(list(ItemStatus)))
    location = fields.String()
    custodian = fields.String()


ItemPageSchema = page_schema(ItemSchema, "ItemPage")
ItemListSchema = Schema.from_dict({"items": fields.List(fields.Nested(ItemSchema))}, name="ItemList")


def item_json(item: Item) -> dict[str, Any]:
    return ItemSchema().dump(item)


__all__ = ["ItemBatchSchema", "ItemCreateSchema", "ItemListSchema", "ItemPageSchema", "ItemQuerySchema", "ItemSchema", "utc_z"]
