"""Stocktakes (keeper; auditors read them)."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Response
from flask_login import current_user
from flask_smorest import Blueprint

from custody.api.schemas.common import utc_z
from custody.api.schemas.stocktakes import (
    ScanCreateSchema,
    ScanRecordedSchema,
    StocktakeCreateSchema,
    StocktakePageSchema,
    StocktakeQuerySchema,
    StocktakeResultSchema,
    StocktakeSchema,
)
from custody.services import stocktakes
from custody.services.stocktakes import ReportRow

blp = Blueprint("stocktakes", __name__, description="Stocktakes (keeper)")

CSV_COLUMNS = ("code", "name", "case_no", "location", "location_name", "result", "scanned_at")
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection): prefix it with '.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@blp.route("/stocktakes", methods=["POST"])
@blp.arguments(StocktakeCreateSchema)
@blp.response(201, StocktakeSchema)
def open_stocktake(data: dict[str, Any]) -> Any:
    """Open a stocktake of a location and its children (keeper); at most one open per location."""
    return stocktakes.open_stocktake(current_user, data["location"])


@blp.route("/stocktakes")
@blp.arguments(StocktakeQuerySchema, location="query")
@blp.response(200, StocktakePageSchema)
def list_stocktakes(query: dict[str, Any]) -> Any:
    """Stocktakes, oldest first (keeper or auditor)."""
    return stocktakes.list_stocktakes(current_user, **query)


@blp.route("/stocktakes/<number>")
@blp.response(200, StocktakeResultSchema)
def get_stocktake(number: str) -> Any:
    """One stocktake with the codes missing (not scanned yet, while open) and unexpected (keeper or auditor)."""
    return stocktakes.get_stocktake(current_user, number)


@blp.route("/stocktakes/<number>/scans", methods=["POST"])
@blp.arguments(ScanCreateSchema)
@blp.response(200, ScanRecordedSchema)
def record_scan(data: dict[str, Any], number: str) -> Any:
    """Record a scanned item: expected, unexpected, or duplicate (already scanned: stored once)."""
    return stocktakes.record_scan(current_user, number, data["code"])


@blp.route("/stocktakes/<number>/close", methods=["POST"])
@blp.response(200, StocktakeResultSchema)
def close_stocktake(number: str) -> Any:
    """Close a stocktake; its ledger entry lists every item expected or scanned (keeper)."""
    return stocktakes.close_stocktake(current_user, number)


@blp.route("/stocktakes/<number>/report.csv")
@blp.response(
    200,
    {"type": "string"},
    content_type="text/csv",
    description="UTF-8 with a BOM; one row per item: " + ", ".join(CSV_COLUMNS),
)
def report_csv(number: str) -> Response:
    """The report as CSV for a spreadsheet: missing, then unexpected, then found items (keeper or auditor)."""
    report = stocktakes.report(current_user, number)
    filename = f"stocktake-{report.summary.number}.csv"
    return Response(
        report_bytes(report.rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def csv_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def report_bytes(rows: list[ReportRow]) -> bytes:
    """UTF-8 with a byte-order mark: without it Excel reads the file as the local code page and garbles Chinese."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow(
            csv_cell(v) for v in (r.code, r.name, r.case_no, r.location, r.location_name, r.result, utc_z(r.scanned_at))
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")
