"""Reading dispositions: who may see which, what waits for whom, the lines as the pages and the API show them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, or_, select, true
from sqlalchemy.orm import joinedload

from custody.errors import NotFound
from custody.extensions import db
from custody.models import (
    OPEN_DISPOSITION,
    Case,
    CheckoutItem,
    Disposition,
    DispositionItem,
    DispositionKind,
    DispositionStatus,
    HandoverItem,
    Item,
    ItemStatus,
    Role,
    User,
)
from custody.services import access
from custody.services.pagination import Page, keyset_page, parse_cursor

KINDS = tuple(DispositionKind)
# Returned to its owner or handed to another body: the record must say to whom.
NEEDS_RECIPIENT = frozenset({DispositionKind.RETURN_TO_OWNER, DispositionKind.TRANSFER_OUT})
MAX_ITEMS = 10_000


def visible_filter(user: User) -> ColumnElement[bool]:
    """The requesting agency, agencies that may see the case, auditors and the centre's keepers (who execute)."""
    if access.is_auditor(user) or access.is_centre_keeper(user):
        return true()
    return or_(
        Disposition.agency_id == user.agency_id,
        Disposition.case_id.in_(select(Case.id).where(access.case_filter(user))),
    )


def query() -> Select[Disposition]:
    return select(Disposition).options(
        joinedload(Disposition.requested_by),
        joinedload(Disposition.approved_by),
        joinedload(Disposition.executed_by),
        joinedload(Disposition.cancelled_by),
    )


def normal_number(number: str) -> str:
    return (number or "").strip().upper()


def load(user: User, number: str) -> Disposition:
    """The disposition as the database has it now. Raises NotFound (also for one the user may not see)."""
    number = normal_number(number)
    if not access.storable(number):
        raise NotFound("No such disposition")
    found = db.session.scalars(
        query().where(Disposition.number == number, visible_filter(user)).execution_options(populate_existing=True)
    ).one_or_none()
    if found is None:
        raise NotFound(f"No disposition {number}")
    return found


def get_disposition(user: User, number: str) -> Disposition:
    """Raises NotFound unless the user may see it."""
    return load(user, number)


def may_see(user: User | None, disposition: Disposition) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    stmt = select(Disposition.id).where(Disposition.id == disposition.id, visible_filter(user))
    return db.session.scalar(stmt) is not None


def find_executed(number: str) -> Disposition | None:
    """An executed disposition by number, for anyone holding its record (the public verification page)."""
    number = normal_number(number)
    if not access.storable(number):
        return None
    return db.session.scalars(
        select(Disposition)
        .where(Disposition.number == number, Disposition.status == DispositionStatus.EXECUTED)
        .execution_options(populate_existing=True)
    ).one_or_none()


def find_any(number: str) -> Disposition | None:
    """A disposition by number whatever its status (the public verification page says it exists, without a record)."""
    number = normal_number(number)
    if not access.storable(number):
        return None
    return db.session.scalars(select(Disposition).where(Disposition.number == number)).one_or_none()


def line_rows(disposition_id: int) -> list[dict[str, Any]]:
    """The lines as plain rows (code, name, category, quantity, unit, flags, seal_no, location, scanned, status)."""
    rows = db.session.execute(
        select(
            Item.code,
            Item.name,
            Item.category,
            Item.quantity,
            Item.unit,
            Item.flags_text,
            Item.seal_no,
            Item.status,
            DispositionItem.location,
        )
        .join(Item, Item.id == DispositionItem.item_id)
        .where(DispositionItem.disposition_id == disposition_id)
        .order_by(DispositionItem.id)
    )
    return [
        {
            "code": r.code,
            "name": r.name,
            "category": r.category,
            "quantity": str(r.quantity),
            "unit": r.unit,
            "flags": [f for f in r.flags_text.split(",") if f],
            "seal_no": r.seal_no,
            "location": r.location,
            "scanned": r.location is not None,
            "status": r.status,
        }
        for r in rows
    ]


def line_codes(disposition_id: int) -> list[str]:
    stmt = select(Item.code).join(DispositionItem, DispositionItem.item_id == Item.id)
    return list(db.session.scalars(stmt.where(DispositionItem.disposition_id == disposition_id).order_by(Item.code)))


def item_count(disposition_id: int) -> int:
    stmt = select(func.count(DispositionItem.id)).where(DispositionItem.disposition_id == disposition_id)
    return db.session.scalar(stmt) or 0


def progress(disposition: Disposition) -> tuple[int, int]:
    """(items scanned out, items in the disposition): a line is scanned once it holds the shelf it left from."""
    scanned, total = db.session.execute(
        select(func.count(DispositionItem.location), func.count(DispositionItem.id)).where(
            DispositionItem.disposition_id == disposition.id
        )
    ).one()
    return scanned, total


def list_dispositions(
    user: User,
    *,
    status: str | Sequence[str] | None = None,
    case_no: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page[Disposition]:
    """Dispositions the user may see, oldest first."""
    stmt = query().where(visible_filter(user))
    if status:
        stmt = stmt.where(Disposition.status.in_([status] if isinstance(status, str) else list(status)))
    if case_no:
        stmt = stmt.where(Disposition.case_id.in_(select(Case.id).where(Case.case_no == case_no)))
    return keyset_page(stmt, Disposition.id, lambda d: d.id, limit, parse_cursor(cursor))


def case_dispositions(case: Case) -> list[Disposition]:
    """Every disposition of a case, newest first (the case page lists them)."""
    return list(db.session.scalars(query().where(Disposition.case_id == case.id).order_by(Disposition.id.desc())))


def open_disposition_of(item: Item) -> Disposition | None:
    return db.session.scalars(
        select(Disposition)
        .join(DispositionItem, DispositionItem.disposition_id == Disposition.id)
        .where(DispositionItem.item_id == item.id, DispositionItem.active)
    ).first()


@dataclass(frozen=True)
class Pending:
    """What waits for the user: requests to approve (approvers), approved ones to execute (centre keepers)."""

    to_approve: list[Disposition]
    to_execute: list[Disposition]

    @property
    def total(self) -> int:
        return len(self.to_approve) + len(self.to_execute)


def _pending_filters(user: User) -> dict[str, ColumnElement[bool]]:
    filters: dict[str, ColumnElement[bool]] = {}
    if user.has_role(Role.APPROVER):
        filters["to_approve"] = (Disposition.agency_id == user.agency_id) & (
            Disposition.status == DispositionStatus.REQUESTED
        )
    if access.is_centre_keeper(user):
        filters["to_execute"] = Disposition.status == DispositionStatus.APPROVED
    return filters


def pending_for(user: User, limit: int = 200) -> Pending:
    """Oldest first, at most ``limit`` of each."""
    found: dict[str, list[Disposition]] = {"to_approve": [], "to_execute": []}
    for name, where in _pending_filters(user).items():
        found[name] = list(db.session.scalars(query().where(where).order_by(Disposition.id).limit(limit)))
    return Pending(**found)


def pending_counts(user: User) -> tuple[int, int]:
    """(to approve, to execute) in one query; zero for lists that are not the user's business."""
    filters = _pending_filters(user)
    if not filters:
        return 0, 0
    columns = [func.count().filter(where).label(name) for name, where in filters.items()]
    stmt = select(*columns).select_from(Disposition).where(Disposition.status.in_(OPEN_DISPOSITION))
    row = db.session.execute(stmt).one()._asdict()
    return row.get("to_approve", 0), row.get("to_execute", 0)


def steps_for(user: User, disposition: Disposition) -> set[str]:
    """The steps a page may offer this user now; the acts check again, this only decides what to show."""
    steps: set[str] = set()
    ours = user.agency_id == disposition.agency_id
    status = disposition.status
    if status == DispositionStatus.REQUESTED and ours and user.has_role(Role.APPROVER):
        steps.add("approve")
    if status in OPEN_DISPOSITION and ours and user.has_role(Role.HANDLER, Role.APPROVER):
        steps.add("cancel")
    if status == DispositionStatus.APPROVED and access.is_centre_keeper(user):
        steps.add("execute")
    if status == DispositionStatus.EXECUTED:
        steps.add("record")
    return steps


def busy_filter() -> ColumnElement[bool]:
    """Items in an open check-out, open handover or open disposition, as a test on ``Item``."""
    return or_(
        exists().where(CheckoutItem.item_id == Item.id, CheckoutItem.active),
        exists().where(HandoverItem.item_id == Item.id, HandoverItem.active),
        exists().where(DispositionItem.item_id == Item.id, DispositionItem.active),
    )


def candidates(user: User, case: Case) -> list[Item]:
    """Items of the case the user's agency answers for that could be disposed of now (the request form's list)."""
    if not user.has_role(Role.HANDLER):
        return []
    stmt = select(Item).where(
        Item.case_id == case.id,
        Item.custodian_id == user.agency_id,
        Item.status == ItemStatus.IN_STORAGE,
        ~busy_filter(),
    )
    return list(db.session.scalars(stmt.order_by(Item.id)))


def may_request(user: User, case: Case) -> bool:
    return bool(candidates(user, case))
