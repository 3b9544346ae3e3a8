"""Agencies and users: set up by administrators or at the command line."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash

from custody.errors import Duplicate, InvalidInput, NotFound
from custody.extensions import db
from custody.ledger import Actor, EntryKind, append
from custody.models import Agency, AgencyKind, Role, SecurityKind, User, UserRole
from custody.services import passwords, security_log
from custody.services.auth import hash_password
from custody.services.uow import transactional

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
AGENCY_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,15}$")


def list_agencies() -> list[Agency]:
    return list(db.session.scalars(select(Agency).order_by(Agency.code)))


def agency_by_code(code: str) -> Agency:
    agency = db.session.scalars(select(Agency).where(Agency.code == code)).one_or_none()
    if agency is None:
        raise NotFound(f"No agency {code}")
    return agency


@transactional
def add_agency(actor: Actor | User, code: str, name: str, kind: str) -> Agency:
    """Raises InvalidInput, Duplicate."""
    errors: dict[str, list[str]] = {}
    if not AGENCY_CODE.match(code):
        errors["code"] = ["Use 1-16 capital letters, digits, '-' or '_'"]
    if not name.strip():
        errors["name"] = ["Required"]
    if kind not in set(AgencyKind):
        errors["kind"] = [f"One of {', '.join(AgencyKind)}"]
    if errors:
        raise InvalidInput("Invalid agency", errors=errors)
    agency = Agency(code=code, name=name.strip(), kind=kind)
    db.session.add(agency)
    try:
        db.session.flush()
    except IntegrityError as exc:
        raise Duplicate(f"Agency {code} exists", errors={"code": ["Already exists"]}) from exc
    append(
        db.session, actor=actor, kind=EntryKind.AGENCY_CREATED, data={"code": code, "name": agency.name, "kind": kind}
    )
    return agency


@transactional
def add_user(
    actor: Actor | User,
    username: str,
    *,
    agency_code: str,
    roles: Iterable[str],
    password: str,
    name: str | None = None,
) -> User:
    """Raises InvalidInput, Duplicate, NotFound (agency)."""
    roles = sorted(set(roles))
    errors: dict[str, list[str]] = {}
    if not USERNAME.match(username):
        errors["username"] = ["Use 2-64 lower-case letters, digits, '.', '-' or '_'"]
    if not roles or any(r not in set(Role) for r in roles):
        errors["role"] = [f"At least one of {', '.join(Role)}"]
    if refused := passwords.problems(password, username):
        errors["password"] = refused
    if errors:
        raise InvalidInput("Invalid user", errors=errors)
    agency = agency_by_code(agency_code)
    user = User(
        username=username,
        name=(name or username).strip(),
        agency=agency,
        password_hash=hash_password(password),
        role_rows=[UserRole(role=r) for r in roles],
    )
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError as exc:
        raise Duplicate(f"User {username} exists", errors={"username": ["Already exists"]}) from exc
    append(
        db.session,
        actor=actor,
        kind=EntryKind.USER_CREATED,
        data={"username": username, "name": user.name, "agency": agency.code, "roles": roles},
    )
    return user


@transactional
def set_password(user: User, password: str, *, must_change: bool = False) -> None:
    """Set by an administrator (or the demo): ``must_change`` makes the user choose their own at next sign-in."""
    passwords.check(password, user.username)
    user.password_hash = hash_password(password)
    user.must_change_password = must_change


@transactional
def reset_password(username: str, password: str, *, must_change: bool) -> None:
    """An administrator at the command line sets someone's password."""
    user = db.session.scalars(select(User).where(User.username == username)).one_or_none()
    if user is None:
        raise NotFound(f"No user {username}")
    set_password(user, password, must_change=must_change)
    security_log.add(SecurityKind.PASSWORD_CHANGED, user=user, detail="set at the command line")


@transactional
def change_own_password(user: User, current: str, new: str) -> None:
    """A user choosing their own password: the current one proves it is them, not a left-open browser."""
    if not check_password_hash(user.password_hash, current):
        raise InvalidInput("Wrong current password", errors={"current_password": ["Wrong password"]})
    if new == current:
        raise InvalidInput("Password refused", errors={"new_password": ["Must differ from the current password"]})
    if refused := passwords.problems(new, user.username):
        raise InvalidInput("Password refused", errors={"new_password": refused})
    user.password_hash = hash_password(new)
    user.must_change_password = False
    security_log.add(SecurityKind.PASSWORD_CHANGED, user=user)
