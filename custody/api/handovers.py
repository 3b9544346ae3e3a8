"""Handovers: case moves, item stays."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_login import current_user
from flask_smorest import Blueprint

from custody.api.schemas.handovers import (
    AcceptSchema,
    HandoverCancelSchema,
    HandoverCreateSchema,
    HandoverPageSchema,
    HandoverQuerySchema,
    HandoverSchema,
    PresenceCheckSchema,
    PresenceScanResultSchema,
    PresenceScanSchema,
    RejectSchema,
)
from custody.services import handovers
from custody.web.printing import pdf_response

blp = Blueprint("handovers", __name__, description="Handovers: case moves, item stays")

PDF = {"type": "string", "format": "binary"}


@blp.route("/handovers", methods=["POST"])
@blp.arguments(HandoverCreateSchema)
@blp.response(201, HandoverSchema)
def request_handover(data: dict[str, Any]) -> Any:
    """Ask to hand a case over to another agency (handler of the holding agency)."""
    return handovers.request_handover(
        current_user,
        data["case_no"],
        data["to_agency"],
        data.get("items"),
        data.get("moves_with_case"),
        data.get("note"),
    )


@blp.route("/handovers")
@blp.arguments(HandoverQuerySchema, location="query")
@blp.response(200, HandoverPageSchema)
def list_handovers(query: dict[str, Any]) -> Any:
    """Handovers the caller may see, oldest first; ``direction`` is relative to the caller's agency."""
    return handovers.list_handovers(current_user, **query)


@blp.route("/handovers/<number>")
@blp.response(200, HandoverSchema)
def get_handover(number: str) -> Any:
    """One handover with its items and who did what when."""
    return handovers.get_handover(current_user, number, with_lines=False)


@blp.route("/handovers/<number>/approve", methods=["POST"])
@blp.response(200, HandoverSchema)
def approve(number: str) -> Any:
    """Approve a requested handover (approver of the sending agency)."""
    return handovers.approve_handover(current_user, number)


@blp.route("/handovers/<number>/scans", methods=["POST"])
@blp.arguments(PresenceScanSchema)
@blp.response(200, PresenceScanResultSchema)
def scan(data: dict[str, Any], number: str) -> Any:
    """Record one item found on its shelf during the presence check (keeper)."""
    return handovers.scan_present(current_user, number, data["code"])


@blp.route("/handovers/<number>/presence-check", methods=["POST"])
@blp.arguments(PresenceCheckSchema)
@blp.response(200, HandoverSchema)
def presence_check(data: dict[str, Any], number: str) -> Any:
    """Complete the presence check: every item present (listed or scanned) or missing (keeper)."""
    return handovers.check_presence(current_user, number, data["present"], data.get("missing"))


@blp.route("/handovers/<number>/accept", methods=["POST"])
@blp.arguments(AcceptSchema, required=False)
@blp.response(200, HandoverSchema)
def accept(data: dict[str, Any], number: str) -> Any:
    """Accept the checked handover, refusing some items with reasons (receiving agency)."""
    return handovers.accept_handover(current_user, number, (data or {}).get("reject") or [])


@blp.route("/handovers/<number>/reject", methods=["POST"])
@blp.arguments(RejectSchema)
@blp.response(200, HandoverSchema)
def reject(data: dict[str, Any], number: str) -> Any:
    """Refuse the whole handover (receiving agency); the case and items stay with the sender."""
    return handovers.reject_handover(current_user, number, data["reason"])


@blp.route("/handovers/<number>/cancel", methods=["POST"])
@blp.arguments(HandoverCancelSchema, required=False)
@blp.response(200, HandoverSchema)
def cancel(data: dict[str, Any], number: str) -> Any:
    """Withdraw the handover before the receiver decides (sending agency)."""
    return handovers.cancel_handover(current_user, number, (data or {}).get("reason"))


@blp.route("/handovers/<number>/receipt.pdf")
@blp.response(200, PDF, content_type="application/pdf", description="The receipt (PDF)")
def receipt(number: str) -> Response:
    """The bilingual receipt, once decided; the first download records its SHA-256 in the ledger."""
    pdf = handovers.issue_receipt(current_user, number)
    return pdf_response(pdf, f"receipt-{number.strip().upper()}.pdf")
