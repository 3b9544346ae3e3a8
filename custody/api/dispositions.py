"""Dispositions: an item's final fate."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_login import current_user
from flask_smorest import Blueprint

from custody.api.schemas.dispositions import (
    DispositionCancelSchema,
    DispositionCreateSchema,
    DispositionExecuteSchema,
    DispositionPageSchema,
    DispositionQuerySchema,
    DispositionScanResultSchema,
    DispositionScanSchema,
    DispositionSchema,
)
from custody.services import dispositions
from custody.web.printing import pdf_response

blp = Blueprint("dispositions", __name__, description="Dispositions: request, approve, execute")

PDF = {"type": "string", "format": "binary"}


@blp.route("/dispositions", methods=["POST"])
@blp.arguments(DispositionCreateSchema)
@blp.response(201, DispositionSchema)
def request_disposition(data: dict[str, Any]) -> Any:
    """Ask to dispose of items of one case (handler of the items' custodian agency)."""
    return dispositions.request_disposition(
        current_user,
        data["items"],
        data["kind"],
        data["basis_doc_no"],
        data.get("recipient"),
        data.get("reason"),
    )


@blp.route("/dispositions")
@blp.arguments(DispositionQuerySchema, location="query")
@blp.response(200, DispositionPageSchema)
def list_dispositions(query: dict[str, Any]) -> Any:
    """Dispositions the caller may see, oldest first."""
    return dispositions.list_dispositions(current_user, **query)


@blp.route("/dispositions/<number>")
@blp.response(200, DispositionSchema)
def get_disposition(number: str) -> Any:
    """One disposition with its items and who did what when."""
    return dispositions.get_disposition(current_user, number)


@blp.route("/dispositions/<number>/approve", methods=["POST"])
@blp.response(200, DispositionSchema)
def approve(number: str) -> Any:
    """Approve a requested disposition (approver of the requesting agency)."""
    return dispositions.approve_disposition(current_user, number)


@blp.route("/dispositions/<number>/scans", methods=["POST"])
@blp.arguments(DispositionScanSchema)
@blp.response(200, DispositionScanResultSchema)
def scan(data: dict[str, Any], number: str) -> Any:
    """Record one item scanned off its shelf for an approved disposition (centre keeper)."""
    return dispositions.scan_out(current_user, number, data["code"])


@blp.route("/dispositions/<number>/execute", methods=["POST"])
@blp.arguments(DispositionExecuteSchema, required=False)
@blp.response(200, DispositionSchema)
def execute(data: dict[str, Any], number: str) -> Any:
    """Execute the approved disposition: every item scanned out becomes ``disposed`` (centre keeper)."""
    return dispositions.execute_disposition(current_user, number, (data or {}).get("items"))


@blp.route("/dispositions/<number>/cancel", methods=["POST"])
@blp.arguments(DispositionCancelSchema, required=False)
@blp.response(200, DispositionSchema)
def cancel(data: dict[str, Any], number: str) -> Any:
    """Withdraw the disposition before it is executed (requesting agency)."""
    return dispositions.cancel_disposition(current_user, number, (data or {}).get("reason"))


@blp.route("/dispositions/<number>/record.pdf")
@blp.response(200, PDF, content_type="application/pdf", description="The disposition record (PDF)")
def record(number: str) -> Response:
    """The bilingual disposition record (处置清单), once executed; the first download records its SHA-256."""
    pdf = dispositions.issue_record(current_user, number)
    return pdf_response(pdf, f"disposition-{number.strip().upper()}.pdf")
