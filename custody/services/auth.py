"""Passwords and API tokens. Only hashes are stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload
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


# Every API request asks for its user, so this is one query, built once. The token row, the user, the
# agency (User.agency is joined) and the roles come back together, where loading the token, then its user,
# then the roles took three; and a statement object keeps its cache key, which SQLAlchemy would otherwise
# rebuild for every call. Together about half the cost of the bearer-token check (bench/scan_load.py).
_LIVE_TOKEN_USER = (
    select(User)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(
        ApiToken.token_hash == bindparam("digest"),
        ApiToken.revoked_at.is_(None),
        ApiToken.expires_at > bindparam("now", type_=ApiToken.expires_at.type),
        User.active.is_(True),
    )
    .options(joinedload(User.role_rows))
)


def user_for_token(token: str) -> User | None:
    """The active user of an unrevoked, unexpired token; None otherwise."""
    params = {"digest": token_digest(token), "now": clock.now()}
    return db.session.scalars(_LIVE_TOKEN_USER, params).unique().one_or_none()
