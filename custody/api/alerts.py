"""Alerts: what needs attention now."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from flask_smorest import Blueprint

from custody.api.schemas.alerts import AcknowledgeSchema, AlertPageSchema, AlertQuerySchema
from custody.api.schemas.items import ItemSchema
from custody.services import alerts

blp = Blueprint("alerts", __name__, description="Alerts")


@blp.route("/alerts")
@blp.arguments(AlertQuerySchema, location="query")
@blp.response(200, AlertPageSchema)
def list_alerts(query: dict[str, Any]) -> Any:
    """Current alerts the caller may see, most severe and oldest first (``?rule=``, ``?severity=``)."""
    return alerts.list_alerts(current_user, **query)


@blp.route("/items/<code>/late-intake/acknowledge", methods=["POST"])
@blp.arguments(AcknowledgeSchema)
@blp.response(200, ItemSchema)
def acknowledge_late_intake(data: dict[str, Any], code: str) -> Any:
    """An auditor records the review of an item's late intake (a ledger entry with the note); its `late_intake`
    alert ends, the item stays marked late. 409 `invalid_state` when the intake was not late, is already
    acknowledged, or the item is disposed of. An addition to API.md."""
    return alerts.acknowledge_late_intake(current_user, code, data["note"])
