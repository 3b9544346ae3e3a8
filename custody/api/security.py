"""Changing one's own password, and the security log for administrators.

``POST /auth/password`` is also how an API client whose account still has the demo's printed password
gets going (every other endpoint answers 403 ``password_change_required`` until then, outside demo mode).
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_login import current_user, login_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from custody.api.schemas.common import PageQuerySchema, Text, UTCDateTime, page_schema
from custody.errors import Unauthorized
from custody.models import SecurityKind
from custody.services import people, security_log
from custody.services.security_log import EventFilter

blp = Blueprint("security", __name__, description="Passwords and the security log")


class PasswordChangeSchema(Schema):
    current_password = Text(required=True, load_only=True)
    new_password = Text(required=True, load_only=True)


class SecurityEventSchema(Schema):
    id = fields.Integer()
    at = UTCDateTime()
    kind = fields.String(metadata={"enum": [k.value for k in SecurityKind]})
    username = fields.String(allow_none=True, metadata={"description": "As typed; also for unknown users"})
    address = fields.String(allow_none=True, metadata={"description": "The client's address"})
    method = fields.String(allow_none=True)
    path = fields.String(allow_none=True)
    detail = fields.String(allow_none=True)
    request_id = fields.String(allow_none=True)


class SecurityEventQuerySchema(PageQuerySchema):
    kind = fields.String(validate=validate.OneOf([k.value for k in SecurityKind]))
    username = Text()
    address = Text()
    since = UTCDateTime()
    until = UTCDateTime()


@blp.route("/auth/password", methods=["POST"])
@blp.arguments(PasswordChangeSchema)
@blp.response(204)
def change_password(body: dict[str, str]) -> None:
    """Choose a new password (the current one is needed). Rules: length, not the username, not a common one.

    Every browser session signed in with the old password ends (API tokens stay valid: revoke them apart)."""
    if not current_user.is_authenticated:
        raise Unauthorized()
    people.change_own_password(current_user, body["current_password"], body["new_password"])
    if not request.headers.get("Authorization"):
        login_user(current_user._get_current_object())  # a browser's session goes on; its others have ended


@blp.route("/security/events")
@blp.arguments(SecurityEventQuerySchema, location="query")
@blp.response(200, page_schema(SecurityEventSchema, "SecurityEventPage"))
def events(query: dict[str, Any]) -> dict[str, Any]:
    """Sign-ins, failures, lock-outs and refusals, newest first (administrators: their agency's users; the
    centre's administrators: everything)."""
    where = EventFilter(
        kind=query.get("kind"),
        username=query.get("username"),
        address=query.get("address"),
        since=query.get("since"),
        until=query.get("until"),
    )
    page = security_log.events(current_user, where, limit=query.get("limit"), cursor=query.get("cursor"))
    return {"items": page.items, "next": page.next}
