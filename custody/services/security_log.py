"""The security log: every sign-in, failure, lock-out and permission refusal, as a row and a log line.

A row, so that administrators can read it on a page and sign-in throttling can count failures across
every worker process; a structured log line (logger ``custody.security``), so that a centre's log
collector sees the same events without reading the database. Rows are written in a transaction of
their own: a refused request rolls its work back, but its refusal must stay recorded.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from flask import g, has_request_context, request
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from custody.errors import Forbidden
from custody.extensions import db
from custody.models import AgencyKind, Role, SecurityEvent, SecurityKind, User
from custody.services.pagination import Page, keyset_page, parse_cursor
from custody.services.uow import transactional

log = logging.getLogger("custody.security")

WARNINGS = {SecurityKind.SIGNIN_FAILED, SecurityKind.LOCKOUT, SecurityKind.THROTTLED, SecurityKind.FORBIDDEN}


def client_address() -> str | None:
    """The client's address: the peer, or what trusted proxies say (CUSTODY_TRUSTED_PROXIES, ProxyFix)."""
    return request.remote_addr if has_request_context() else None


def add(
    kind: SecurityKind, *, username: str | None = None, user: User | None = None, detail: str | None = None
) -> None:
    """Add an event to the caller's unit of work and log it (sign-in writes it with its own decision)."""
    in_request = has_request_context()
    event = SecurityEvent(
        kind=kind,
        username=(username if username is not None else user.username if user else None),
        user_id=user.id if user else None,
        address=client_address(),
        method=request.method if in_request else None,
        path=request.path[:200] if in_request else None,
        detail=detail[:200] if detail else None,
        request_id=g.get("request_id") if in_request else None,
    )
    if event.username:
        event.username = event.username[:64]
    db.session.add(event)
    level = logging.WARNING if kind in WARNINGS else logging.INFO
    log.log(
        level,
        "%s %s",
        kind.value,
        event.username or "-",
        extra={
            "event": kind.value,
            "username": event.username,
            "address": event.address,
            "path": event.path,
            "detail": event.detail,
        },
    )


@transactional
def record(
    kind: SecurityKind, *, username: str | None = None, user: User | None = None, detail: str | None = None
) -> None:
    """Add an event in a transaction of its own."""
    add(kind, username=username, user=user, detail=detail)


def record_refusal(user: User | None, detail: str) -> None:
    """A 403: the request's own work is already rolled back, so this commits only the event.

    A refusal must still be answered when the log cannot be written (the database is down, say):
    the failure is logged and the 403 goes out."""
    db.session.rollback()
    try:
        record(SecurityKind.FORBIDDEN, user=user if user is not None and user.is_authenticated else None, detail=detail)
    except SQLAlchemyError:
        log.exception("could not write a refusal to the security log")
        db.session.rollback()


@dataclass(frozen=True)
class EventFilter:
    kind: str | None = None
    username: str | None = None
    address: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _scope(viewer: User) -> object | None:
    """Administrators see their own agency's users; the centre's see every event, unknown usernames too."""
    if not viewer.has_role(Role.ADMIN):
        raise Forbidden("Only administrators read the security log")
    if viewer.agency.kind == AgencyKind.CENTRE:
        return None
    return SecurityEvent.user_id.in_(select(User.id).where(User.agency_id == viewer.agency_id))


def events(
    viewer: User, where: EventFilter, *, limit: int | None = None, cursor: str | None = None
) -> Page[SecurityEvent]:
    """Newest first, keyset-paginated by id."""
    stmt = select(SecurityEvent)
    scope = _scope(viewer)
    if scope is not None:
        stmt = stmt.where(scope)  # type: ignore[arg-type]
    if where.kind:
        stmt = stmt.where(SecurityEvent.kind == where.kind)
    if where.username:
        stmt = stmt.where(SecurityEvent.username == where.username)
    if where.address:
        stmt = stmt.where(SecurityEvent.address == where.address)
    if where.since:
        stmt = stmt.where(SecurityEvent.at >= where.since)
    if where.until:
        stmt = stmt.where(SecurityEvent.at < where.until)
    return keyset_page(stmt, SecurityEvent.id, lambda e: e.id, limit, parse_cursor(cursor), newest_first=True)
