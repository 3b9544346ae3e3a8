"""Who am I, which agencies exist, and API tokens."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from flask_smorest import Blueprint

from custody.api.schemas.common import page_schema
from custody.api.schemas.people import AgencySchema, MeSchema, TokenRequestSchema, TokenSchema
from custody.services import auth, people

blp = Blueprint("identity", __name__, description="Identity, agencies and tokens")


@blp.route("/auth/tokens", methods=["POST"])
@blp.arguments(TokenRequestSchema)
@blp.response(201, TokenSchema)
@blp.doc(security=[])
def create_token(credentials: dict[str, str]) -> dict[str, Any]:
    """Exchange a username and password for a bearer token."""
    user = auth.authenticate(credentials["username"], credentials["password"])
    token, row = auth.issue_token(user)
    return {"token": token, "expires_at": row.expires_at}


@blp.route("/me")
@blp.response(200, MeSchema)
def me() -> Any:
    """The signed-in user, their agency and roles."""
    return current_user


@blp.route("/agencies")
@blp.response(200, page_schema(AgencySchema, "AgencyPage"))
def agencies() -> dict[str, Any]:
    """Every agency of the centre."""
    return {"items": people.list_agencies(), "next": None}
