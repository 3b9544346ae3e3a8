"""Passwords and API tokens. Only hashes are stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from custody import clock
from custody.errors import Unauthorized
from custody.extensions import db
from custody.models import ApiToken, User
from custody.services.uow import transactional

TOKEN_PREFIX = "cst_"  # noqa: S105 - a marker that makes leaked tokens easy to spot, not a secret
# Checked when the username is unknown, so a missing user costs the same time as a wrong password.
_DUMMY_HASH = generate_password_hash("not a password", method="pbkdf2:sha256:1000")


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config.get("CUSTODY_PASSWORD_METHOD", "scrypt"))


def authenticate(username: str, password: str) -> User:
    """The active user with these credentials. Raises Unauthorized."""
    user = db.session.scalars(select(User).where(User.username == username)).one_or_none()
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        raise Unauthorized("Wrong username or password")
    if not check_password_hash(user.password_hash, password) or not user.active:
        raise Unauthorized("Wrong username or password")
    return user


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transactional
def issue_token(user: User, days: int | None = None) -> tuple[str, ApiToken]:
    """A new bearer token for ``user``: the plain text is returned once and never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    days = days if days is not None else current_app.config["CUSTODY_TOKEN_DAYS"]
    row = ApiToken(
        user_id=user.id,
        token_hash=token_digest(token),
        prefix=token[:12],
        expires_at=clock.now() + timedelta(days=days),
    )
    db.session.add(row)
    db.session.flush()
    return token, row


def user_for_token(token: str) -> User | None:
    row = db.session.scalars(select(ApiToken).where(ApiToken.token_hash == token_digest(token))).one_or_none()
    if row is None or row.revoked_at is not None or row.expires_at <= clock.now() or not row.user.active:
        return None
    return row.user
