"""Locations and scanning."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from flask_smorest import Blueprint

from custody.api.schemas.checkouts import checkout_json
from custody.api.schemas.dispositions import DispositionSummarySchema
from custody.api.schemas.handovers import HandoverSummarySchema
from custody.api.schemas.items import item_json
from custody.api.schemas.places import LocationCreateSchema, LocationSchema, ScanQuerySchema, ScanSchema
from custody.models import Checkout, Disposition, Handover, Item
from custody.services import locations, scanning

blp = Blueprint("places", __name__, description="Locations and scanning")


@blp.route("/locations", methods=["POST"])
@blp.arguments(LocationCreateSchema)
@blp.response(201, LocationSchema)
def create_location(data: dict[str, Any]) -> Any:
    """Create a location (admin or keeper); the code is generated when absent."""
    return locations.create_location(current_user, **data)


@blp.route("/locations/<code>")
@blp.response(200, LocationSchema)
def get_location(code: str) -> Any:
    """One location and how many items it holds."""
    return locations.get_location(code)


@blp.route("/scan")
@blp.arguments(ScanQuerySchema, location="query")
@blp.response(200, ScanSchema)
def scan(query: dict[str, str]) -> dict[str, Any]:
    """Resolve scanned text (a bare code or a label URL) to its object and the caller's actions."""
    found = scanning.resolve(current_user, query["code"])
    if isinstance(found.object, Item):
        obj = item_json(found.object)
    elif isinstance(found.object, Checkout):
        obj = checkout_json(found.object)
    elif isinstance(found.object, Handover):
        obj = HandoverSummarySchema().dump(found.object)
    elif isinstance(found.object, Disposition):
        obj = DispositionSummarySchema().dump(found.object)
    else:
        obj = LocationSchema().dump(found.object)
    return {"kind": found.kind, "code": found.code, "object": obj, "actions": found.actions}
