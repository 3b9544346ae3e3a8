"""How times, amounts and quantities read on a page.

Times are stored in UTC and shown in the deployment's zone (Asia/Shanghai by
default); money is an exact decimal and is never passed through a float.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import current_app

from custody.services.items import plain_quantity


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC time in the centre's zone; empty for no time."""
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(current_app.config["CUSTODY_TIMEZONE"])).strftime(fmt)


def iso_time(value: datetime | None) -> str:
    """The same moment for a ``<time datetime>`` attribute (machine-readable, with its offset)."""
    return value.isoformat() if value is not None else ""


def money(value: Decimal | None) -> str:
    """``1280.5`` → ``¥1,280.50``; exact, with grouping that reads the same in Chinese and English."""
    if value is None:
        return ""
    return f"¥{Decimal(value):,.2f}"


def quantity(value: Decimal | str) -> str:
    """``1.500`` → ``1.5``, ``2.000`` → ``2``: the quantity as the handler typed it."""
    return format(plain_quantity(Decimal(value)), "f")
