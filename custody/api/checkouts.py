"""Check-outs: request, approve, release, return."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from flask_smorest import Blueprint

from custody.api.schemas.checkouts import (
    CheckoutCreateSchema,
    CheckoutPageSchema,
    CheckoutQuerySchema,
    CheckoutReleaseSchema,
    CheckoutReturnSchema,
    CheckoutSchema,
)
from custody.services import checkouts

blp = Blueprint("checkouts", __name__, description="Check-outs: request, approve, release, return")


@blp.route("/checkouts", methods=["POST"])
@blp.arguments(CheckoutCreateSchema)
@blp.response(201, CheckoutSchema)
def request_checkout(data: dict[str, Any]) -> Any:
    """Ask to take items of one case off the shelf (handler of the agency holding the case)."""
    return checkouts.request_checkout(
        current_user, data["items"], data["purpose"], data["due_at"], data["taken_by"], data.get("note")
    )


@blp.route("/checkouts")
@blp.arguments(CheckoutQuerySchema, location="query")
@blp.response(200, CheckoutPageSchema)
def list_checkouts(query: dict[str, Any]) -> Any:
    """Check-outs the caller may see, oldest first; ``overdue=true`` lists those past due with items out."""
    return checkouts.list_checkouts(current_user, **query)


@blp.route("/checkouts/<number>")
@blp.response(200, CheckoutSchema)
def get_checkout(number: str) -> Any:
    """One check-out, its items and who did what when."""
    return checkouts.get_checkout(current_user, number)


@blp.route("/checkouts/<number>/approve", methods=["POST"])
@blp.response(200, CheckoutSchema)
def approve(number: str) -> Any:
    """Approve a requested check-out (approver of the requesting agency)."""
    return checkouts.approve_checkout(current_user, number)


@blp.route("/checkouts/<number>/release", methods=["POST"])
@blp.arguments(CheckoutReleaseSchema, required=False)
@blp.response(200, CheckoutSchema)
def release(data: dict[str, Any], number: str) -> Any:
    """Hand the approved items out (keeper); send the scanned codes to have them checked."""
    return checkouts.release_checkout(current_user, number, (data or {}).get("items"))


@blp.route("/checkouts/<number>/return", methods=["POST"])
@blp.arguments(CheckoutReturnSchema)
@blp.response(200, CheckoutSchema)
def return_items(data: dict[str, Any], number: str) -> Any:
    """Take items back (keeper), all still out or those listed, noting whether the seal is intact."""
    return checkouts.return_items(
        current_user, number, data.get("items"), seal_intact=data["seal_intact"], note=data.get("note")
    )


@blp.route("/checkouts/<number>/cancel", methods=["POST"])
@blp.response(200, CheckoutSchema)
def cancel(number: str) -> Any:
    """Withdraw a check-out before release (handler or approver of the requesting agency)."""
    return checkouts.cancel_checkout(current_user, number)
