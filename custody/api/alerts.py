"""Alerts: what needs attention now."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from flask_smorest import Blueprint

from custody.api.schemas.alerts import AlertPageSchema, AlertQuerySchema
from custody.services import alerts

blp = Blueprint("alerts", __name__, description="Alerts")


@blp.route("/alerts")
@blp.arguments(AlertQuerySchema, location="query")
@blp.response(200, AlertPageSchema)
def list_alerts(query: dict[str, Any]) -> Any:
    """Current alerts the caller may see, most severe and oldest first (``?rule=``, ``?severity=``)."""
    return alerts.list_alerts(current_user, **query)
