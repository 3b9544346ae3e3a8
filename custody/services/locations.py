"""The warehouse's locations: warehouse → zone → shelf → bin."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from custody import codes
from custody.errors import Duplicate, InvalidInput, NotFound
from custody.extensions import db
from custody.ledger import EntryKind, append
from custody.models import Item, Location, LocationKind, Role, User
from custody.models.location import ALLOWED_PARENTS
from custody.services import access
from custody.services.uow import transactional

# A centre may keep its own shelf codes ("A-01-03"); they must not look like another kind's code.
CUSTOM_CODE = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,39}$")


def _check_custom_code(code: str) -> str | None:
    if not CUSTOM_CODE.match(code):
        return "Use up to 40 capital letters, digits, '.', '-' or '_'"
    try:
        parsed = codes.parse(code)
    except (codes.MalformedCode, codes.BadCheckCharacter):
        return None
    if parsed.kind is not codes.CodeKind.LOCATION:
        return f"Looks like a {parsed.kind} code; choose another"
    return None


@transactional
def create_location(
    actor: User, *, name: str, kind: str, code: str | None = None, parent: str | None = None
) -> Location:
    """Raises Forbidden, InvalidInput, NotFound (parent), Duplicate."""
    access.require_role(actor, Role.ADMIN, Role.KEEPER)
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name or len(name) > 200:
        errors["name"] = ["Required, at most 200 characters"]
    if kind not in set(LocationKind):
        errors["kind"] = [f"One of {', '.join(LocationKind)}"]
    if code is not None:
        code = code.strip().upper()
        problem = _check_custom_code(code)
        if problem:
            errors["code"] = [problem]
    parent_row = None
    if parent:
        parent_row = db.session.scalars(select(Location).where(Location.code == parent.strip().upper())).one_or_none()
        if parent_row is None:
            errors["parent"] = [f"No location {parent}"]
    if not errors and (parent_row.kind if parent_row else None) not in ALLOWED_PARENTS[kind]:
        allowed = [k or "none" for k in ALLOWED_PARENTS[kind]]
        errors["parent"] = [f"A {kind} goes in: {', '.join(allowed)}"]
    if errors:
        raise InvalidInput("Invalid location", errors=errors)
    location = Location(code=code or codes.new_code(codes.CodeKind.LOCATION), name=name, kind=kind, parent=parent_row)
    db.session.add(location)
    try:
        db.session.flush()
    except IntegrityError as exc:
        raise Duplicate(f"Location {code} exists", errors={"code": ["Already exists"]}) from exc
    append(
        db.session,
        actor=actor,
        kind=EntryKind.LOCATION_CREATED,
        data={"code": location.code, "name": name, "kind": kind, "parent": parent_row.code if parent_row else None},
    )
    return location


def find(code: str) -> Location | None:
    """The location with this code; any text that cannot be a location code finds nothing."""
    code = code.strip().upper()
    if not CUSTOM_CODE.match(code):
        return None
    return db.session.scalars(select(Location).where(Location.code == code)).one_or_none()


def get_location(code: str) -> Location:
    location = find(code)
    if location is None:
        raise NotFound(f"No location {code}")
    return location


def item_count(location: Location) -> int:
    """Items on this location itself (not its children)."""
    return db.session.scalar(select(func.count()).select_from(Item).where(Item.location_id == location.id)) or 0


def children(location: Location) -> list[Location]:
    return list(db.session.scalars(select(Location).where(Location.parent_id == location.id).order_by(Location.code)))


def roots() -> list[Location]:
    return list(db.session.scalars(select(Location).where(Location.parent_id.is_(None)).order_by(Location.code)))
