"""Alerts: conditions an auditor or keeper should act on while they can still be fixed (design §5.7).

Each rule is one set-based query over indexed columns; nothing loads items into
Python to test them one by one. An alert exists while its condition holds and is
gone once the condition is resolved (the item is taken in, the check-out comes
back, the missing item turns up in a later act), so the list is always current.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import exists, func, select

from custody import clock
from custody.errors import InvalidInput
from custody.extensions import db
from custody.models import (
    Case,
    Checkout,
    CheckoutItem,
    CheckoutStatus,
    Item,
    ItemStatus,
    LedgerEntryItem,
    Location,
    Stocktake,
    StocktakeItem,
    StocktakeStatus,
    User,
)
from custody.services import access, checkouts
from custody.services.pagination import Page, check_limit, parse_cursor

HIGH, MEDIUM, LOW = "high", "medium", "low"
SEVERITY_ORDER = {HIGH: 0, MEDIUM: 1, LOW: 2}
# One rule never yields more than this in one listing: an alert list is read by people.
RULE_CAP = 5000


# English detail per rule; the web shows the same facts in the reader's language (custody/web/alerts.py).
DETAILS = {
    "late_intake": "Taken in {hours} h after seizure (deadline {deadline} h)",
    "intake_overdue": "Seized {hours} h ago and not yet taken in (deadline {deadline} h)",
    "checkout_overdue": "{count} item(s) not back",
    "stocktake_missing": "Not found in stocktake {stocktake} of {location}",
}


@dataclass(frozen=True)
class Alert:
    rule: str
    severity: str
    subject_kind: str
    subject_code: str
    since: datetime
    case_no: str | None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def detail(self) -> str:
        return DETAILS[self.rule].format(**self.params)


Rule = Callable[[User, datetime], Iterator[Alert]]


def _deadline() -> timedelta:
    return timedelta(hours=current_app.config["CUSTODY_INTAKE_HOURS"])


def late_intake(user: User, now: datetime) -> Iterator[Alert]:
    """Items taken in later than the deadline after seizure (rule 5), until they leave the centre for good."""
    hours = current_app.config["CUSTODY_INTAKE_HOURS"]
    stmt = (
        select(Item.code, Case.case_no, Item.seized_at, Item.intake_at)
        .join(Case, Case.id == Item.case_id)
        .where(Item.late_intake.is_(True), Item.status != ItemStatus.DISPOSED)
        .order_by(Item.intake_at)
        .limit(RULE_CAP)
        .where(access.item_filter(user))
    )
    for code, case_no, seized_at, intake_at in db.session.execute(stmt):
        taken = intake_at or now
        late_by = int((taken - seized_at).total_seconds() // 3600)
        yield Alert("late_intake", MEDIUM, "item", code, taken, case_no, {"hours": late_by, "deadline": hours})


def intake_overdue(user: User, now: datetime) -> Iterator[Alert]:
    """Items still waiting for intake after the deadline: the late intake is happening now."""
    deadline = _deadline()
    stmt = (
        select(Item.code, Case.case_no, Item.seized_at)
        .join(Case, Case.id == Item.case_id)
        .where(Item.status == ItemStatus.REGISTERED, Item.seized_at < now - deadline)
        .order_by(Item.seized_at)
        .limit(RULE_CAP)
        .where(access.item_filter(user))
    )
    for code, case_no, seized_at in db.session.execute(stmt):
        waiting = int((now - seized_at).total_seconds() // 3600)
        yield Alert(
            "intake_overdue",
            HIGH,
            "item",
            code,
            seized_at + deadline,
            case_no,
            {"hours": waiting, "deadline": int(deadline.total_seconds() // 3600)},
        )


def checkout_overdue(user: User, now: datetime) -> Iterator[Alert]:
    """Released check-outs past their due time with items still out (rule 8)."""
    out = (
        select(func.count(CheckoutItem.id))
        .where(CheckoutItem.checkout_id == Checkout.id, CheckoutItem.active.is_(True))
        .scalar_subquery()
    )
    stmt = (
        select(Checkout.number, Case.case_no, Checkout.due_at, out)
        .join(Case, Case.id == Checkout.case_id)
        .where(
            Checkout.status.in_((CheckoutStatus.RELEASED, CheckoutStatus.PARTIALLY_RETURNED)),
            Checkout.due_at < now,
            checkouts.visible_filter(user),
        )
        .order_by(Checkout.due_at)
        .limit(RULE_CAP)
    )
    for number, case_no, due_at, n in db.session.execute(stmt):
        yield Alert("checkout_overdue", HIGH, "checkout", number, due_at, case_no, {"count": n})


def stocktake_missing(user: User, now: datetime) -> Iterator[Alert]:
    """Items a closed stocktake expected and did not find, until any later entry names them (found, moved, returned)."""
    turned_up = exists().where(
        LedgerEntryItem.item_code == Item.code,
        LedgerEntryItem.seq > Stocktake.close_seq,
    )
    stmt = (
        select(Item.code, Case.case_no, Stocktake.number, Stocktake.closed_at, Location.code)
        .select_from(StocktakeItem)
        .join(Stocktake, Stocktake.id == StocktakeItem.stocktake_id)
        .join(Item, Item.id == StocktakeItem.item_id)
        .join(Case, Case.id == Item.case_id)
        .join(Location, Location.id == Stocktake.location_id)
        .where(
            Stocktake.status == StocktakeStatus.CLOSED,
            StocktakeItem.found.is_(False),
            Item.status != ItemStatus.DISPOSED,
            ~turned_up,
        )
        .order_by(Stocktake.closed_at)
        .limit(RULE_CAP)
        .where(access.item_filter(user))
    )
    for code, case_no, number, closed_at, place in db.session.execute(stmt):
        yield Alert(
            "stocktake_missing", HIGH, "item", code, closed_at or now, case_no, {"stocktake": number, "location": place}
        )


RULES: dict[str, Rule] = {
    "late_intake": late_intake,
    "intake_overdue": intake_overdue,
    "checkout_overdue": checkout_overdue,
    "stocktake_missing": stocktake_missing,
}


def current_alerts(user: User, *, rule: str | None = None, severity: str | None = None) -> list[Alert]:
    """Every alert the user may see now, most severe first, then oldest first."""
    if rule is not None and rule not in RULES:
        raise InvalidInput("Unknown rule", errors={"rule": [f"One of {', '.join(RULES)}"]})
    now = clock.now()
    found = [alert for name, fn in RULES.items() if rule in (None, name) for alert in fn(user, now)]
    if severity is not None:
        found = [a for a in found if a.severity == severity]
    found.sort(key=lambda a: (SEVERITY_ORDER[a.severity], a.since, a.rule, a.subject_code))
    return found


def list_alerts(
    user: User,
    *,
    rule: str | None = None,
    severity: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page[Alert]:
    """A page of current alerts. The cursor is a position: alerts come and go between pages, and that is fine."""
    limit = check_limit(limit)
    start = parse_cursor(cursor) or 0
    found = current_alerts(user, rule=rule, severity=severity)
    page = found[start : start + limit]
    more = start + limit < len(found)
    return Page(page, str(start + limit) if more else None)


def counts(user: User) -> dict[str, int]:
    """Alerts per severity, for the dashboard."""
    result = {HIGH: 0, MEDIUM: 0, LOW: 0}
    for alert in current_alerts(user):
        result[alert.severity] += 1
    return result
