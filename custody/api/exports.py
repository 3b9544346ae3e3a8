"""CSV exports for auditors: ledger entries and current holdings, streamed."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from flask import Response
from flask_login import current_user
from flask_smorest import Blueprint

from custody import clock
from custody.api.schemas.ledger import EntryFilterSchema, entry_filter
from custody.services import exports

blp = Blueprint("exports", __name__, description="CSV exports of ledger entries and current holdings")


def _csv(name: str, header: Iterable[str], rows: Iterator[Any]) -> Response:
    """A streamed download: the body is a generator (services.exports reads the rows as it goes),
    so the file is never whole in memory."""
    filename = f"{name}-{clock.now().strftime('%Y%m%dT%H%M%SZ')}.csv"
    return Response(
        exports.csv_chunks(header, rows),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",  # custody records: no copy left in a shared cache or proxy
            "X-Content-Type-Options": "nosniff",
        },
    )


@blp.route("/ledger/entries.csv")
@blp.arguments(EntryFilterSchema, location="query")
@blp.response(
    200,
    {"type": "string"},
    content_type="text/csv",
    description="UTF-8 with a BOM; one row per entry, oldest first: " + ", ".join(exports.ENTRY_COLUMNS),
)
def entries_csv(query: dict[str, Any]) -> Response:
    """Every entry the filters select, as CSV (auditor). ``items`` are space-separated codes, ``data`` is JSON."""
    return _csv("ledger", exports.ENTRY_COLUMNS, exports.entry_rows(current_user, entry_filter(query)))


@blp.route("/holdings.csv")
@blp.response(
    200,
    {"type": "string"},
    content_type="text/csv",
    description="UTF-8 with a BOM; one row per item not disposed of: " + ", ".join(exports.HOLDING_COLUMNS),
)
def holdings_csv() -> Response:
    """Every item held now (not disposed of), as CSV (auditor or keeper)."""
    return _csv("holdings", exports.HOLDING_COLUMNS, exports.holding_rows(current_user))
