"""Intake and moves (keeper), and the location list with subtree counts."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from flask_smorest import Blueprint

from custody.api.schemas.items import ItemSchema
from custody.api.schemas.warehouse import IntakeSchema, LocationCountPageSchema, LocationQuerySchema, MoveSchema
from custody.services import locations, warehouse

blp = Blueprint("warehouse", __name__, description="Intake and moves (keeper)")


@blp.route("/items/<code>/intake", methods=["POST"])
@blp.arguments(IntakeSchema)
@blp.response(200, ItemSchema)
def intake(data: dict[str, Any], code: str) -> Any:
    """Take a registered item in onto a location (keeper): `registered` → `in_storage`; late intake is marked."""
    return warehouse.intake(current_user, code, **data)


@blp.route("/items/<code>/move", methods=["POST"])
@blp.arguments(MoveSchema)
@blp.response(200, ItemSchema)
def move(data: dict[str, Any], code: str) -> Any:
    """Move an item in storage to another location (keeper)."""
    return warehouse.move(current_user, code, location=data["location"])


@blp.route("/locations")
@blp.arguments(LocationQuerySchema, location="query")
@blp.response(200, LocationCountPageSchema)
def list_locations(query: dict[str, Any]) -> Any:
    """The locations inside `parent` (the top level without it), each with its own and its subtree's item count."""
    return locations.list_locations(**query)
