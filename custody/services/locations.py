"""The warehouse's locations: warehouse → zone → shelf → bin."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import CTE, Select, case, func, literal, select
from sqlalchemy.exc import IntegrityError

from custody import codes
from custody.errors import Duplicate, InvalidInput, NotFound
from custody.extensions import db
from custody.ledger import EntryKind, append
from custody.models import Item, Location, LocationKind, Role, User
from custody.models.location import ALLOWED_PARENTS
from custody.services import access
from custody.services.pagination import Page, keyset_page, parse_cursor
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


@dataclass
class Counted:
    """A location with the items placed on it (``item_count``) and on it or anywhere inside it (``total_count``).

    Items count where they are placed (``items.location_id``), whatever their status, as the location
    page lists them. ``children`` is filled only by ``tree()``.
    """

    location: Location
    item_count: int = 0
    total_count: int = 0
    children: list[Counted] = field(default_factory=list)


_LOCATIONS: Any = Location.__table__
_CHUNK = 900  # stays under every database's bound-parameter limit


def _closure(ancestor_ids: Iterable[int] | None) -> CTE:
    """``(ancestor, descendant)`` pairs, every location being its own ancestor: the tree, flattened in SQL.

    A recursive CTE (SQLite and PostgreSQL both have them), so counting a subtree is one query
    whatever its depth, instead of one query per location walked.
    """
    base = select(_LOCATIONS.c.id.label("ancestor"), _LOCATIONS.c.id.label("descendant"))
    if ancestor_ids is not None:
        base = base.where(_LOCATIONS.c.id.in_(list(ancestor_ids)))
    closure = base.cte("closure", recursive=True)
    child = _LOCATIONS.alias("child")
    return closure.union_all(select(closure.c.ancestor, child.c.id).where(child.c.parent_id == closure.c.descendant))


def subtree_ids(location: Location) -> Select[Any]:
    """``SELECT id`` of the location and everything inside it, for ``… IN (subtree_ids(x))`` filters."""
    closure = _closure([location.id])
    return select(closure.c.descendant)


def _counts_query(ancestor_ids: Iterable[int] | None) -> Select[Any]:
    closure = _closure(ancestor_ids)
    items = _LOCATIONS.metadata.tables["items"]
    own = func.sum(case((closure.c.descendant == closure.c.ancestor, 1), else_=0))
    return (
        select(closure.c.ancestor, func.coalesce(own, 0), func.count(items.c.id))
        .select_from(closure.join(items, items.c.location_id == closure.c.descendant))
        .group_by(closure.c.ancestor)
    )


def counts(location_ids: Iterable[int] | None = None) -> dict[int, tuple[int, int]]:
    """``{location id: (item_count, total_count)}`` for these locations (all when ``None``).

    Locations holding nothing, directly or inside, are absent from the result: read it with ``.get(id, (0, 0))``.
    """
    if location_ids is None:
        chunks: list[list[int] | None] = [None]
    else:
        ids = sorted(set(location_ids))
        chunks = [ids[start : start + _CHUNK] for start in range(0, len(ids), _CHUNK)]
    found: dict[int, tuple[int, int]] = {}
    for chunk in chunks:
        if chunk == []:
            continue
        for ancestor, own, total in db.session.execute(_counts_query(chunk)):
            found[ancestor] = (int(own), int(total))
    return found


def counted(location: Location) -> Counted:
    own, total = counts([location.id]).get(location.id, (0, 0))
    return Counted(location, own, total)


def list_locations(*, parent: str | None = None, limit: int | None = None, cursor: str | None = None) -> Page[Counted]:
    """The locations directly inside ``parent`` (the top-level ones without it), each with its counts.

    A parent code that names no location is a filter that matches nothing: an empty page.
    """
    stmt = select(Location)
    if parent:
        code = parent.strip().upper()
        if not access.storable(code):
            return Page([], None)
        stmt = stmt.where(Location.parent_id.in_(select(Location.id).where(Location.code == code)))
    else:
        stmt = stmt.where(Location.parent_id.is_(None))
    page = keyset_page(stmt, Location.id, lambda loc: loc.id, limit, parse_cursor(cursor))
    found = counts(loc.id for loc in page.items)
    return Page([Counted(loc, *found.get(loc.id, (0, 0))) for loc in page.items], page.next)


def tree(*, counted: bool = True) -> list[Counted]:
    """Every location, nested under its parent and sorted by code, with counts (unless not wanted): two queries."""
    places = list(db.session.scalars(select(Location).order_by(Location.code)))
    found = counts() if counted else {}
    nodes = {place.id: Counted(place, *found.get(place.id, (0, 0))) for place in places}
    top: list[Counted] = []
    for place in places:
        node = nodes[place.id]
        parent = nodes.get(place.parent_id) if place.parent_id is not None else None
        (parent.children if parent is not None else top).append(node)
    return top


def flatten(nodes: Iterable[Counted], depth: int = 0) -> list[tuple[Counted, int]]:
    """The tree in reading order with each node's depth: for a ``<select>`` of places."""
    flat: list[tuple[Counted, int]] = []
    for node in nodes:
        flat.append((node, depth))
        flat.extend(flatten(node.children, depth + 1))
    return flat


def ancestors(location: Location) -> list[Location]:
    """The locations containing this one, outermost first (for breadcrumbs): one recursive query."""
    if location.parent_id is None:
        return []
    up = (
        select(_LOCATIONS.c.id, _LOCATIONS.c.parent_id, literal(0).label("depth"))
        .where(_LOCATIONS.c.id == location.parent_id)
        .cte("up", recursive=True)
    )
    outer = _LOCATIONS.alias("outer")
    up = up.union_all(select(outer.c.id, outer.c.parent_id, up.c.depth + 1).where(outer.c.id == up.c.parent_id))
    return list(db.session.scalars(select(Location).join(up, Location.id == up.c.id).order_by(up.c.depth.desc())))


def children(location: Location) -> list[Location]:
    return list(db.session.scalars(select(Location).where(Location.parent_id == location.id).order_by(Location.code)))


def roots() -> list[Location]:
    return list(db.session.scalars(select(Location).where(Location.parent_id.is_(None)).order_by(Location.code)))
