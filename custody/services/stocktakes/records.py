"""Reading stocktakes: summaries with their counts, the report, the latest scans (keepers and auditors)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, case, func, select

from custody.errors import NotFound
from custody.extensions import db
from custody.models import Case, Item, Location, Role, ScanResult, Stocktake, StocktakeItem, StocktakeScan, User
from custody.services import access
from custody.services.pagination import Page, bound, check_limit, parse_cursor

FOUND, MISSING, UNEXPECTED = "found", "missing", "unexpected"
REPORT_ORDER = {MISSING: 0, UNEXPECTED: 1, FOUND: 2}


@dataclass(frozen=True)
class Summary:
    """A stocktake with its counts; ``missing`` and ``unexpected`` (codes) only when asked for."""

    number: str
    status: str
    location: str
    location_name: str
    expected: int
    found: int
    scanned: int
    opened_at: datetime
    opened_by: str
    closed_at: datetime | None
    closed_by: str | None
    close_seq: int | None
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)

    @property
    def unexpected_count(self) -> int:
        return self.scanned - self.found


@dataclass(frozen=True)
class Scanned:
    """What one scan was, and what the records say of the item (where it should be, its status)."""

    result: str
    code: str
    item: str
    recorded_location: str | None
    item_status: str


@dataclass(frozen=True)
class ReportRow:
    code: str
    name: str
    case_no: str
    location: str | None
    location_name: str | None
    result: str
    scanned_at: datetime | None


@dataclass(frozen=True)
class Report:
    summary: Summary
    rows: list[ReportRow]


def require_keeper(user: User) -> None:
    access.require_role(user, Role.KEEPER)


def require_reader(user: User) -> None:
    access.require_role(user, Role.KEEPER, Role.AUDITOR)


def number_of(text: str) -> str:
    """A stocktake number as typed or scanned, normalised. Raises NotFound for text no number can be."""
    normal = (text or "").strip().upper()
    if not access.storable(normal):
        raise NotFound("No such stocktake")
    return normal


def scope(user: User) -> ColumnElement[bool] | None:
    """The stocktakes ``user`` may see: those opened by their agency's keepers; the centre's keepers and the
    auditors see every count (None: no restriction). Another agency's count names items of cases that
    agency never held, so for anyone else it does not exist (NotFound), as a case would not."""
    if access.is_auditor(user) or access.is_centre_keeper(user):
        return None
    return Stocktake.opened_by_id.in_(select(User.id).where(User.agency_id == user.agency_id))


def find_stocktake(user: User, number: str) -> Stocktake:
    """Raises NotFound (no such stocktake, or one ``user`` may not see)."""
    normal = number_of(number)
    stmt = select(Stocktake).where(Stocktake.number == normal)
    visible = scope(user)
    if visible is not None:
        stmt = stmt.where(visible)
    found = db.session.scalars(stmt).one_or_none()
    if found is None:
        raise NotFound(f"No stocktake {normal[:40]}")
    return found


def unexpected_codes(stocktake_id: int) -> list[str]:
    return sorted(
        db.session.scalars(
            select(Item.code)
            .join(StocktakeScan, StocktakeScan.item_id == Item.id)
            .where(StocktakeScan.stocktake_id == stocktake_id, StocktakeScan.result == ScanResult.UNEXPECTED)
        )
    )


def counts(ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """Stocktake id → (expected items scanned, scans)."""
    if not ids:
        return {}
    rows = db.session.execute(
        select(
            StocktakeScan.stocktake_id,
            func.sum(case((StocktakeScan.result == ScanResult.EXPECTED, 1), else_=0)),
            func.count(),
        )
        .where(StocktakeScan.stocktake_id.in_(ids))
        .group_by(StocktakeScan.stocktake_id)
    )
    return {sid: (int(found or 0), int(scanned)) for sid, found, scanned in rows}


def usernames(ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = db.session.execute(select(User.id, User.username).where(User.id.in_(wanted)))
    return {row.id: row.username for row in rows}


def summaries(stocktakes: Sequence[Stocktake], *, with_lists: bool = False) -> list[Summary]:
    tallies = counts([s.id for s in stocktakes])
    names = usernames([s.opened_by_id for s in stocktakes] + [s.closed_by_id for s in stocktakes])
    out = []
    for s in stocktakes:
        found, scanned = tallies.get(s.id, (0, 0))
        missing: list[str] = []
        unexpected: list[str] = []
        if with_lists:
            missing = sorted(
                db.session.scalars(
                    select(Item.code)
                    .join(StocktakeItem, StocktakeItem.item_id == Item.id)
                    .where(StocktakeItem.stocktake_id == s.id, StocktakeItem.found.is_(False))
                )
            )
            unexpected = unexpected_codes(s.id)
        out.append(
            Summary(
                number=s.number,
                status=str(s.status),
                location=s.location.code,
                location_name=s.location.name,
                expected=s.expected,
                found=found,
                scanned=scanned,
                opened_at=s.opened_at,
                opened_by=names.get(s.opened_by_id, ""),
                closed_at=s.closed_at,
                closed_by=names.get(s.closed_by_id) if s.closed_by_id else None,
                close_seq=s.close_seq,
                missing=missing,
                unexpected=unexpected,
            )
        )
    return out


def get_stocktake(user: User, number: str) -> Summary:
    """One stocktake with its missing (for an open one: not found yet) and unexpected codes.

    Raises Forbidden (neither keeper nor auditor), NotFound.
    """
    require_reader(user)
    return summaries([find_stocktake(user, number)], with_lists=True)[0]


def list_stocktakes(
    user: User,
    *,
    status: str | None = None,
    location: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    newest_first: bool = False,
) -> Page[Summary]:
    """Stocktakes in the order they were opened (``newest_first`` for pages). Raises Forbidden, InvalidInput."""
    require_reader(user)
    limit = check_limit(limit)
    after = parse_cursor(cursor)
    stmt = select(Stocktake)
    visible = scope(user)
    if visible is not None:
        stmt = stmt.where(visible)
    if status:
        stmt = stmt.where(Stocktake.status == status)
    if location:
        stmt = stmt.where(Stocktake.location_id.in_(select(Location.id).where(Location.code == location.upper())))
    if after is not None:
        stmt = stmt.where(Stocktake.id < bound(after) if newest_first else Stocktake.id > bound(after))
    order = Stocktake.id.desc() if newest_first else Stocktake.id
    rows = list(db.session.scalars(stmt.order_by(order).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(summaries(rows), str(rows[-1].id) if more and rows else None)


def report(user: User, number: str) -> Report:
    """Every expected item (found or missing) and every unexpected one, with names, cases and recorded places.

    Missing first, then unexpected, then found; by code within each. Raises Forbidden, NotFound.
    """
    require_reader(user)
    stocktake = find_stocktake(user, number)
    columns = (Item.code, Item.name, Case.case_no, Location.code, Location.name)
    expected = db.session.execute(
        select(*columns, StocktakeItem.found, StocktakeScan.scanned_at)
        .select_from(StocktakeItem)
        .join(Item, Item.id == StocktakeItem.item_id)
        .join(Case, Case.id == Item.case_id)
        .outerjoin(Location, Location.id == Item.location_id)
        .outerjoin(
            StocktakeScan,
            (StocktakeScan.stocktake_id == StocktakeItem.stocktake_id) & (StocktakeScan.item_id == Item.id),
        )
        .where(StocktakeItem.stocktake_id == stocktake.id)
    )
    unexpected = db.session.execute(
        select(*columns, StocktakeScan.scanned_at)
        .select_from(StocktakeScan)
        .join(Item, Item.id == StocktakeScan.item_id)
        .join(Case, Case.id == Item.case_id)
        .outerjoin(Location, Location.id == Item.location_id)
        .where(StocktakeScan.stocktake_id == stocktake.id, StocktakeScan.result == ScanResult.UNEXPECTED)
    )
    rows = [
        ReportRow(code, name, case_no, loc, loc_name, FOUND if was_found else MISSING, at)
        for code, name, case_no, loc, loc_name, was_found, at in expected
    ]
    rows += [
        ReportRow(code, name, case_no, loc, name_, UNEXPECTED, at) for code, name, case_no, loc, name_, at in unexpected
    ]
    rows.sort(key=lambda r: (REPORT_ORDER[r.result], r.code))
    return Report(summaries([stocktake])[0], rows)


def recent_scans(user: User, number: str, limit: int = 50) -> list[tuple[str, str, str, datetime]]:
    """The latest scans of a stocktake, newest first: (code, item name, result, when). Raises Forbidden, NotFound."""
    require_reader(user)
    stocktake = find_stocktake(user, number)
    rows = db.session.execute(
        select(Item.code, Item.name, StocktakeScan.result, StocktakeScan.scanned_at)
        .join(Item, Item.id == StocktakeScan.item_id)
        .where(StocktakeScan.stocktake_id == stocktake.id)
        .order_by(StocktakeScan.id.desc())
        .limit(limit)
    )
    return list(rows)
