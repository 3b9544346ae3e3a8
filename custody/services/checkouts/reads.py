"""Reading check-outs: who may see which, what state each item is in, what is out and overdue."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Select, select, true
from sqlalchemy.orm import joinedload, selectinload

from custody import clock, codes
from custody.errors import NotFound
from custody.extensions import db
from custody.models import Agency, Case, Checkout, CheckoutItem, CheckoutStatus, Item, User
from custody.services import access
from custody.services.pagination import Page, keyset_page, parse_cursor

OUT = (CheckoutStatus.RELEASED, CheckoutStatus.PARTIALLY_RETURNED)


def visible_filter(user: User) -> ColumnElement[bool]:
    """Check-outs of cases the user may see; centre keepers (who hand the items out) and auditors see all."""
    if access.is_auditor(user) or access.is_centre_keeper(user):
        return true()
    return Checkout.case_id.in_(select(Case.id).where(access.case_filter(user)))


def query() -> Select[Checkout]:
    return select(Checkout).options(
        selectinload(Checkout.lines).joinedload(CheckoutItem.item),
        joinedload(Checkout.requested_by),
        joinedload(Checkout.approved_by),
        joinedload(Checkout.released_by),
    )


def load(user: User, number: str) -> Checkout:
    """The check-out as the database has it now. Raises NotFound (also for one the user may not see)."""
    number = (number or "").strip().upper()
    if not access.storable(number):
        raise NotFound("No such check-out")
    found = db.session.scalars(
        query().where(Checkout.number == number, visible_filter(user)).execution_options(populate_existing=True)
    ).one_or_none()
    if found is None:
        raise NotFound(f"No check-out {number}")
    return found


def get_checkout(user: User, number: str) -> Checkout:
    """Raises NotFound unless the user may see the check-out's case, or is a centre keeper or auditor."""
    return load(user, number)


def line_state(checkout: Checkout, line: CheckoutItem) -> str:
    """``requested`` (not yet handed out), ``out``, ``returned`` or ``cancelled``."""
    if line.active:
        return "out" if checkout.status in OUT else "requested"
    return "returned" if line.returned_at is not None else "cancelled"


def out_lines(checkout: Checkout) -> list[CheckoutItem]:
    return [line for line in checkout.lines if line.active and checkout.status in OUT]


def is_overdue(checkout: Checkout, now: datetime | None = None) -> bool:
    """Released (or partly returned) with items still out past the due time (design §4 rule 8)."""
    return (
        checkout.status in OUT
        and checkout.due_at is not None
        and checkout.due_at < (now or clock.now())
        and any(line.active for line in checkout.lines)
    )


def normal_codes(raw: Iterable[str]) -> list[str]:
    """Scanned or typed codes (bare or label URLs), upper-cased, in order, each once."""
    seen: dict[str, None] = {}
    for text in raw:
        code = codes.extract(text or "").upper()
        if code:
            seen.setdefault(code, None)
    return list(seen)


def taker(actor: User, username: str) -> User | None:
    """The active user of the actor's agency with this username, who will carry the items."""
    username = (username or "").strip()
    if not access.storable(username):
        return None
    return db.session.scalars(
        select(User).where(User.username == username, User.agency_id == actor.agency_id, User.active)
    ).one_or_none()


def takers(actor: User) -> list[User]:
    """The people of the actor's agency who may carry items out (the ``taken_by`` choices)."""
    return list(
        db.session.scalars(select(User).where(User.agency_id == actor.agency_id, User.active).order_by(User.name))
    )


def _overdue_clause(now: datetime, overdue: bool) -> ColumnElement[bool]:
    # Spelt out both ways: NOT (… AND due_at < now) would be NULL, not true, for a check-out with no due time.
    if overdue:
        return Checkout.status.in_(OUT) & (Checkout.due_at < now)
    return Checkout.status.not_in(OUT) | Checkout.due_at.is_(None) | (Checkout.due_at >= now)


def list_checkouts(
    user: User,
    *,
    status: str | Sequence[str] | None = None,
    overdue: bool | None = None,
    case_no: str | None = None,
    agency: str | None = None,
    requested_by: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page[Checkout]:
    """Check-outs the user may see, oldest first. ``overdue=True``: released, items still out, past due."""
    stmt = query().where(visible_filter(user))
    if status:
        stmt = stmt.where(Checkout.status.in_([status] if isinstance(status, str) else list(status)))
    if overdue is not None:
        stmt = stmt.where(_overdue_clause(clock.now(), overdue))
    if case_no:
        stmt = stmt.where(Checkout.case_id.in_(select(Case.id).where(Case.case_no == case_no)))
    if agency:
        stmt = stmt.where(Checkout.agency_id.in_(select(Agency.id).where(Agency.code == agency)))
    if requested_by:
        stmt = stmt.where(Checkout.requested_by_id.in_(select(User.id).where(User.username == requested_by)))
    return keyset_page(stmt, Checkout.id, lambda c: c.id, limit, parse_cursor(cursor))


def out_by_due(user: User, limit: int = 200) -> list[Checkout]:
    """What is out now, soonest (or longest overdue) first: the keepers' and handlers' worklist."""
    stmt = query().where(visible_filter(user), Checkout.status.in_(OUT))
    return list(db.session.scalars(stmt.order_by(Checkout.due_at.is_(None), Checkout.due_at, Checkout.id).limit(limit)))


def open_checkout_of(item: Item) -> Checkout | None:
    """The open check-out the item is in, if any (one at most: the partial unique index)."""
    return db.session.scalars(
        select(Checkout).join(CheckoutItem).where(CheckoutItem.item_id == item.id, CheckoutItem.active)
    ).first()
