"""Cases, and registering items to a case."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from flask_smorest import Blueprint

from custody.api.schemas.cases import CaseCloseSchema, CaseCreateSchema, CasePageSchema, CaseQuerySchema, CaseSchema
from custody.api.schemas.items import ItemBatchSchema, ItemListSchema
from custody.services import cases, closing, items

blp = Blueprint("cases", __name__, description="Cases and item registration")


@blp.route("/cases", methods=["POST"])
@blp.arguments(CaseCreateSchema)
@blp.response(201, CaseSchema)
def create_case(data: dict[str, Any]) -> Any:
    """Open a case held by the caller's agency (handler)."""
    return cases.open_case(current_user, data["case_no"], data["title"], data.get("summary"))


@blp.route("/cases")
@blp.arguments(CaseQuerySchema, location="query")
@blp.response(200, CasePageSchema)
def list_cases(query: dict[str, Any]) -> Any:
    """Cases the caller may see."""
    return cases.list_cases(current_user, **query)


@blp.route("/cases/<path:case_no>")
@blp.response(200, CaseSchema)
def get_case(case_no: str) -> Any:
    """One case, with its holders in order."""
    return cases.get_case(current_user, case_no)


@blp.route("/cases/<path:case_no>/items", methods=["POST"])
@blp.arguments(ItemBatchSchema)
@blp.response(201, ItemListSchema)
def register_items(data: dict[str, Any], case_no: str) -> Any:
    """Register items to a case, all or nothing (handler of the holding agency)."""
    return {"items": items.register_items(current_user, case_no, data["items"])}


@blp.route("/cases/<path:case_no>/close", methods=["POST"])
@blp.arguments(CaseCloseSchema)
@blp.response(200, CaseSchema)
def close_case(data: dict[str, Any], case_no: str) -> Any:
    """Close the case (handler or approver of the holding agency): its items then await their disposition."""
    return closing.close_case(current_user, case_no, data["reason"], data.get("note"))
