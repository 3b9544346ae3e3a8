"""Rules about items: late and overdue intake, items missing in a stocktake, items of closed cases still kept.

Each is one SELECT over indexed columns (the partial indexes they want at scale are
listed in bench/alerts_scale.py); nothing loads items to test them one by one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import exists, func, select

from custody.models import Case, Item, ItemStatus, LedgerEntryItem, Location, Stocktake, StocktakeItem, StocktakeStatus
from custody.services.alerts.base import (
    HIGH,
    MEDIUM,
    Alert,
    AnyRow,
    Rows,
    Rule,
    Viewer,
    cutoff,
    item_scope,
    limit_days,
    scope,
    whole_days,
    whole_hours,
)

KEEPERS_AND_AGENCIES = frozenset({"keeper", "handler", "approver"})


# Display columns are scalar subqueries, not joins: the count(*) around a rule's SELECT then drops them, so
# counting reads only the rule's own (partial, covering) index; PostgreSQL cannot drop an inner join.
# workflows.py does the same for check-outs, handovers and dispositions.
CASE_NO = select(Case.case_no).where(Case.id == Item.case_id).scalar_subquery().label("case_no")


def _deadline_hours() -> int:
    return int(current_app.config["CUSTODY_INTAKE_HOURS"])


def _late_intake(viewer: Viewer, now: datetime) -> Rows:
    """Items taken in later than the deadline after seizure (rule 5), until an auditor acknowledges the late intake
    or the item leaves the centre for good. The predicate is the partial index's (``LATE_INTAKE_OPEN_*``)."""
    return (
        select(Item.code, CASE_NO, Item.seized_at, Item.intake_at)
        .where(
            Item.late_intake,
            Item.status != ItemStatus.DISPOSED,
            Item.late_intake_acknowledged_at.is_(None),
            item_scope(viewer),
        )
        .order_by(Item.intake_at)
    )


def _late_intake_alert(row: AnyRow, now: datetime) -> Alert:
    taken = row.intake_at or now
    params = {"hours": whole_hours(row.seized_at, taken), "deadline": _deadline_hours()}
    return Alert("late_intake", MEDIUM, "item", row.code, taken, row.case_no, params)


def _intake_overdue(viewer: Viewer, now: datetime) -> Rows:
    """Items still waiting for intake after the deadline: the late intake is happening now."""
    return (
        select(Item.code, CASE_NO, Item.seized_at)
        .where(
            Item.status == ItemStatus.REGISTERED,
            Item.seized_at < now - timedelta(hours=_deadline_hours()),
            item_scope(viewer),
        )
        .order_by(Item.seized_at)
    )


def _intake_overdue_alert(row: AnyRow, now: datetime) -> Alert:
    deadline = _deadline_hours()
    params = {"hours": whole_hours(row.seized_at, now), "deadline": deadline}
    since = row.seized_at + timedelta(hours=deadline)
    return Alert("intake_overdue", HIGH, "item", row.code, since, row.case_no, params)


def _stocktake_missing(viewer: Viewer, now: datetime) -> Rows:
    """Items a closed stocktake expected and did not find, until any later entry names them (found, moved, returned,
    counted by a later stocktake, whose closing entry names every item it expected)."""
    turned_up = exists().where(LedgerEntryItem.item_code == Item.code, LedgerEntryItem.seq > Stocktake.close_seq)
    place = select(Location.code).where(Location.id == Stocktake.location_id).scalar_subquery().label("location")
    name = select(Location.name).where(Location.id == Stocktake.location_id).scalar_subquery().label("location_name")
    return (
        select(Item.code, CASE_NO, Stocktake.number, Stocktake.closed_at, place, name)
        .select_from(StocktakeItem)
        .join(Stocktake, Stocktake.id == StocktakeItem.stocktake_id)
        .join(Item, Item.id == StocktakeItem.item_id)
        .where(
            ~StocktakeItem.found,  # NOT found: the predicate of the partial index on the few not found
            Stocktake.status == StocktakeStatus.CLOSED,
            Item.status != ItemStatus.DISPOSED,
            ~turned_up,
            item_scope(viewer),
        )
        .order_by(Stocktake.closed_at)
    )


def _stocktake_missing_alert(row: AnyRow, now: datetime) -> Alert:
    params = {"stocktake": row.number, "location": row.location, "location_name": row.location_name}
    return Alert("stocktake_missing", HIGH, "item", row.code, row.closed_at or now, row.case_no, params)


def _closed_case_items(viewer: Viewer, now: datetime) -> Rows:
    """Cases closed more than N days ago with items not yet disposed of, one row per case with their count.

    Handlers and approvers see the items their agency is custodian of: that agency must request the disposition
    (a partly accepted handover leaves the rejected items with the sender while the case moved on).
    """
    return (
        select(Case.case_no, Case.closed_at, func.count().label("n_items"))
        .join(Item, Item.case_id == Case.id)
        .where(
            Case.closed_at < cutoff(now, "CUSTODY_CLOSED_CASE_DAYS"),
            Item.status != ItemStatus.DISPOSED,
            scope(viewer, agency=lambda user: Item.custodian_id == user.agency_id),
        )
        .group_by(Case.id, Case.case_no, Case.closed_at)
        .order_by(Case.closed_at)
    )


def _closed_case_items_alert(row: AnyRow, now: datetime) -> Alert:
    limit = limit_days("CUSTODY_CLOSED_CASE_DAYS")
    params = {"count": row.n_items, "days": whole_days(row.closed_at, now), "limit": limit}
    since = row.closed_at + timedelta(days=limit)
    return Alert("closed_case_items", MEDIUM, "case", row.case_no, since, row.case_no, params)


RULES = (
    Rule("late_intake", MEDIUM, KEEPERS_AND_AGENCIES, _late_intake, _late_intake_alert),
    Rule("intake_overdue", HIGH, KEEPERS_AND_AGENCIES, _intake_overdue, _intake_overdue_alert),
    Rule("stocktake_missing", HIGH, KEEPERS_AND_AGENCIES, _stocktake_missing, _stocktake_missing_alert),
    Rule(
        "closed_case_items",
        MEDIUM,
        frozenset({"handler", "approver"}),
        _closed_case_items,
        _closed_case_items_alert,
    ),
)
