from marshmallow import Schema, fields, validate

from custody.api.schemas.common import Text
from custody.documents.labels import LAYOUTS
from custody.services.labels import MAX_LABELS

LAYOUT = validate.OneOf(list(LAYOUTS))
LAYOUT_HELP = "a4-3x8 and a4-2x5: A4 sheets of 24 and 10 labels; thermal-50x30 and thermal-70x40: one label a page (mm)"


def _codes(what: str) -> fields.List:
    return fields.List(
        Text(validate=validate.Length(min=1, max=64)),
        load_default=list,
        validate=validate.Length(max=MAX_LABELS),
        metadata={"description": f"{what}; one label each, in this order"},
    )


class LabelRequestSchema(Schema):
    """At least one of ``items``, ``locations`` and ``case_no``; at most 5,000 labels in all."""

    items = _codes("Item codes")
    locations = _codes("Location codes")
    case_no = Text(
        validate=validate.Length(min=1, max=64),
        metadata={"description": "Also a label for every item of this case (after `items`)"},
    )
    layout = Text(required=True, validate=LAYOUT, metadata={"description": LAYOUT_HELP})


class LocationLabelQuerySchema(Schema):
    layout = Text(load_default="thermal-70x40", validate=LAYOUT, metadata={"description": LAYOUT_HELP})
