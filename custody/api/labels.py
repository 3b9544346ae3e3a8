"""Label sheets (PDF) for items and locations."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_login import current_user
from flask_smorest import Blueprint

from custody.api.schemas.labels import LabelRequestSchema, LocationLabelQuerySchema
from custody.services import labels
from custody.web.printing import label_words, pdf_response

blp = Blueprint("labels", __name__, description="Label sheets (PDF) for items and locations")

PDF = {"type": "string", "format": "binary"}


@blp.route("/labels", methods=["POST"])
@blp.arguments(LabelRequestSchema)
@blp.response(200, PDF, content_type="application/pdf", description="The label sheet (PDF)")
def print_labels(data: dict[str, Any]) -> Response:
    """Labels for items the caller may see and for locations: the QR code opens `<base>/s/<code>`."""
    return pdf_response(labels.label_sheet(current_user, words=label_words(), **data), "labels.pdf")


@blp.route("/locations/<code>/label.pdf")
@blp.arguments(LocationLabelQuerySchema, location="query")
@blp.response(200, PDF, content_type="application/pdf", description="The location's label (PDF)")
def location_label(query: dict[str, Any], code: str) -> Response:
    """One location's label: QR code, code, name, kind and the locations around it."""
    sheet = labels.label_sheet(current_user, locations=[code], layout=query["layout"], words=label_words())
    return pdf_response(sheet, f"label-{code.strip().upper()}.pdf")
