"""Items and their custody history."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from flask_smorest import Blueprint

from custody.api.schemas.items import ItemPageSchema, ItemQuerySchema, ItemSchema
from custody.api.schemas.ledger import HistorySchema
from custody.services import items

blp = Blueprint("items", __name__, description="Items")


@blp.route("/items")
@blp.arguments(ItemQuerySchema, location="query")
@blp.response(200, ItemPageSchema)
def list_items(query: dict[str, Any]) -> Any:
    """Items the caller may see, filtered."""
    return items.list_items(current_user, **query)


@blp.route("/items/<code>")
@blp.response(200, ItemSchema)
def get_item(code: str) -> Any:
    """One item."""
    return items.get_item(current_user, code)


@blp.route("/items/<code>/history")
@blp.response(200, HistorySchema)
def history(code: str) -> dict[str, Any]:
    """Every ledger entry naming the item, oldest first."""
    item, entries = items.item_history(current_user, code)
    return {"item": item.code, "entries": entries}
