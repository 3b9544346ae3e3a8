"""Listing and revoking API tokens, by their owner, by an administrator, or at the command line.

A revoked token keeps its row with ``revoked_at`` set rather than being deleted: the row says who held
which token prefix until when, which a security review needs after a leak, and ``auth.user_for_token``
already refuses any row with ``revoked_at``, so revocation takes effect on the very next request.

Who may see and revoke whose tokens: the owner; an administrator of the owner's agency; and an
administrator of the centre, which runs the system for every agency. Anyone else gets NotFound, the
same answer as for a token that does not exist, so token ids of other people cannot be probed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from custody import clock
from custody.errors import NotFound
from custody.extensions import db
from custody.models import AgencyKind, ApiToken, Role, User
from custody.services.auth import token_digest
from custody.services.uow import transactional


@dataclass(frozen=True)
class TokenView:
    """What a listing shows of a token: never its secret, nor its hash."""

    id: int
    prefix: str
    created_at: datetime
    expires_at: datetime
    expired: bool
    current: bool


def may_manage(actor: User, owner: User) -> bool:
    """Whether ``actor`` may see and revoke ``owner``'s tokens."""
    if actor.id == owner.id:
        return True
    if not actor.has_role(Role.ADMIN):
        return False
    return actor.agency_id == owner.agency_id or actor.agency.kind == AgencyKind.CENTRE


def _views(user: User, current_token: str | None) -> list[TokenView]:
    digest = token_digest(current_token) if current_token else None
    now = clock.now()
    rows = db.session.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    return [
        TokenView(
            id=row.id,
            prefix=row.prefix,
            created_at=row.created_at,
            expires_at=row.expires_at,
            expired=row.expires_at <= now,
            current=digest is not None and row.token_hash == digest,
        )
        for row in rows
    ]


def own_tokens(user: User, current_token: str | None = None) -> list[TokenView]:
    """The user's unrevoked tokens, newest first; ``current`` marks the one this request came with."""
    return _views(user, current_token)


def user_by_username(username: str) -> User:
    user = db.session.scalars(select(User).where(User.username == username)).one_or_none()
    if user is None:
        raise NotFound(f"No user {username}")
    return user


def tokens_of(actor: User, username: str, current_token: str | None = None) -> list[TokenView]:
    """``username``'s unrevoked tokens, for the owner or an administrator. Raises NotFound."""
    owner = user_by_username(username) if username != actor.username else actor
    if not may_manage(actor, owner):
        raise NotFound(f"No user {username}")
    return _views(owner, current_token)


def tokens_for_cli(username: str) -> list[TokenView]:
    """At the command line (the operator is trusted): every unrevoked token of ``username``."""
    return _views(user_by_username(username), None)


MAX_ID = 2**31 - 1  # ids beyond a 32-bit integer cannot exist; PostgreSQL would refuse to bind them


def _live_token(token_id: int) -> ApiToken:
    row = db.session.get(ApiToken, token_id) if 0 < token_id <= MAX_ID else None
    if row is None or row.revoked_at is not None:
        raise NotFound(f"No token {token_id}")
    return row


@transactional
def revoke(actor: User, token_id: int) -> ApiToken:
    """Revoke a token the actor may manage; it answers 401 from the next request on. Raises NotFound."""
    row = _live_token(token_id)
    if not may_manage(actor, row.user):
        raise NotFound(f"No token {token_id}")
    row.revoked_at = clock.now()
    return row


@transactional
def revoke_any(token_id: int) -> ApiToken:
    """Revoke any token, at the command line. Raises NotFound."""
    row = _live_token(token_id)
    row.revoked_at = clock.now()
    return row
