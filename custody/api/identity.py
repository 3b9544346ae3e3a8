"""Who am I, which agencies exist, and API tokens."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from custody.api.schemas.common import UTCDateTime, page_schema
from custody.api.schemas.people import AgencySchema, MeSchema, TokenRequestSchema, TokenSchema
from custody.errors import Unauthorized
from custody.login import bearer_token
from custody.services import auth, people, signin, tokens

blp = Blueprint("identity", __name__, description="Identity, agencies and tokens")


@blp.route("/auth/tokens", methods=["POST"])
@blp.arguments(TokenRequestSchema)
@blp.response(201, TokenSchema)
@blp.alt_response(429, response="TOO_MANY_REQUESTS", description="Too many failed sign-ins: wait Retry-After seconds")
@blp.doc(security=[])
def create_token(credentials: dict[str, str]) -> dict[str, Any]:
    """Exchange a username and password for a bearer token.

    Failures are counted per account and per address: past a few, the next attempt must wait (429
    ``too_many_attempts`` with Retry-After, the password unchecked), longer after each failure."""
    user = signin.sign_in(credentials["username"], credentials["password"])
    token, row = auth.issue_token(user)
    return {"token": token, "expires_at": row.expires_at}


class TokenInfoSchema(Schema):
    """A token as its owner sees it in a listing: never the secret."""

    id = fields.Integer()
    prefix = fields.String(metadata={"description": "The first characters of the token, to recognise it"})
    created_at = UTCDateTime()
    expires_at = UTCDateTime()
    expired = fields.Boolean()
    current = fields.Boolean(metadata={"description": "The token this request was sent with"})


def _signed_in() -> Any:
    """/auth/tokens is public for POST (signing in), so its other methods check the caller here."""
    if not current_user.is_authenticated:
        raise Unauthorized("Sign in, or send Authorization: Bearer <token>")
    return current_user


@blp.route("/auth/tokens", methods=["GET"])
@blp.response(200, TokenInfoSchema(many=True))
def list_tokens() -> list[tokens.TokenView]:
    """The signed-in user's unrevoked tokens, newest first (expired ones included, marked)."""
    return tokens.own_tokens(_signed_in(), bearer_token())


@blp.route("/auth/tokens/<int:token_id>", methods=["DELETE"])
@blp.response(204)
def revoke_token(token_id: int) -> None:
    """Revoke a token: one's own, or as an administrator one of a user of one's agency (any, at the centre).

    It answers 401 from the next request on. 404 for tokens the caller may not manage.
    """
    tokens.revoke(_signed_in(), token_id)


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
