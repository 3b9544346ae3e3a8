"""Rules about acts left half done: overdue check-outs, handovers stuck at a step, dispositions not executed."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, or_, select, true

from custody.models import (
    Case,
    Checkout,
    CheckoutItem,
    CheckoutStatus,
    Disposition,
    DispositionItem,
    DispositionStatus,
    Handover,
    HandoverStatus,
)
from custody.services import checkouts
from custody.services.alerts.base import (
    HIGH,
    MEDIUM,
    Alert,
    AnyRow,
    Rows,
    Rule,
    Viewer,
    cutoff,
    limit_days,
    scope,
    whole_days,
)

KEEPERS_AND_AGENCIES = frozenset({"keeper", "handler", "approver"})


def _checkout_overdue(viewer: Viewer, now: datetime) -> Rows:
    """Released check-outs past their due time with items still out (rule 8)."""
    out = (
        select(func.count(CheckoutItem.id))
        .where(CheckoutItem.checkout_id == Checkout.id, CheckoutItem.active.is_(True))
        .scalar_subquery()
    )
    case_no = select(Case.case_no).where(Case.id == Checkout.case_id).scalar_subquery().label("case_no")
    return (
        select(Checkout.number, case_no, Checkout.due_at, out.label("n_items"))
        .where(
            Checkout.status.in_((CheckoutStatus.RELEASED, CheckoutStatus.PARTIALLY_RETURNED)),
            Checkout.due_at < now,
            true() if viewer is None else checkouts.visible_filter(viewer),
        )
        .order_by(Checkout.due_at)
    )


def _checkout_overdue_alert(row: AnyRow, now: datetime) -> Alert:
    return Alert("checkout_overdue", HIGH, "checkout", row.number, row.due_at, row.case_no, {"count": row.n_items})


# When the step a handover waits at began: requested → approval, approved → presence check, checked → decision.
_STEP_BEGAN = case(
    (Handover.status == HandoverStatus.REQUESTED, Handover.requested_at),
    (Handover.status == HandoverStatus.APPROVED, Handover.approved_at),
    else_=Handover.checked_at,
)


def _handover_waiting(viewer: Viewer, now: datetime) -> Rows:
    """Open handovers that have waited longer than N days at their current step.

    Written as one condition per open status so that each is a range on the status index, not a scan.
    The centre's keepers see the ones waiting for their presence check; handlers and approvers their agency's
    (as sender or receiver).
    """
    limit = cutoff(now, "CUSTODY_HANDOVER_WAIT_DAYS")
    case_no = select(Case.case_no).where(Case.id == Handover.case_id).scalar_subquery().label("case_no")
    return (
        select(Handover.number, Handover.status, _STEP_BEGAN.label("began"), case_no)
        .where(
            or_(
                and_(Handover.status == HandoverStatus.REQUESTED, Handover.requested_at < limit),
                and_(Handover.status == HandoverStatus.APPROVED, Handover.approved_at < limit),
                and_(Handover.status == HandoverStatus.CHECKED, Handover.checked_at < limit),
            ),
            scope(
                viewer,
                keeper=lambda user: Handover.status == HandoverStatus.APPROVED,
                agency=lambda user: or_(
                    Handover.from_agency_id == user.agency_id, Handover.to_agency_id == user.agency_id
                ),
            ),
        )
        .order_by(_STEP_BEGAN)
    )


def _handover_waiting_alert(row: AnyRow, now: datetime) -> Alert:
    limit = limit_days("CUSTODY_HANDOVER_WAIT_DAYS")
    params = {"step": row.status, "days": whole_days(row.began, now), "limit": limit}
    return Alert(
        "handover_waiting", MEDIUM, "handover", row.number, row.began + timedelta(days=limit), row.case_no, params
    )


# When the step a disposition waits at began: requested → approval, approved → the keeper's execution.
_DISPOSITION_STEP_BEGAN = case(
    (Disposition.status == DispositionStatus.REQUESTED, Disposition.requested_at), else_=Disposition.approved_at
)


def _disposition_waiting(viewer: Viewer, now: datetime) -> Rows:
    """Dispositions waiting longer than N days for approval, or for the keepers' execution once approved.

    The centre's keepers see the ones waiting for them (approved); the agency answering for the items both.
    """
    limit = cutoff(now, "CUSTODY_DISPOSITION_WAIT_DAYS")
    lines = select(func.count(DispositionItem.id)).where(DispositionItem.disposition_id == Disposition.id)
    case_no = select(Case.case_no).where(Case.id == Disposition.case_id).scalar_subquery().label("case_no")
    began = _DISPOSITION_STEP_BEGAN.label("began")
    return (
        select(Disposition.number, Disposition.status, began, case_no, lines.scalar_subquery().label("n_items"))
        .where(
            or_(
                and_(Disposition.status == DispositionStatus.REQUESTED, Disposition.requested_at < limit),
                and_(Disposition.status == DispositionStatus.APPROVED, Disposition.approved_at < limit),
            ),
            scope(
                viewer,
                keeper=lambda user: Disposition.status == DispositionStatus.APPROVED,
                agency=lambda user: Disposition.agency_id == user.agency_id,
            ),
        )
        .order_by(_DISPOSITION_STEP_BEGAN)
    )


def _disposition_waiting_alert(row: AnyRow, now: datetime) -> Alert:
    limit = limit_days("CUSTODY_DISPOSITION_WAIT_DAYS")
    params = {"count": row.n_items, "step": row.status, "days": whole_days(row.began, now), "limit": limit}
    since = row.began + timedelta(days=limit)
    return Alert("disposition_waiting", MEDIUM, "disposition", row.number, since, row.case_no, params)


RULES = (
    Rule("checkout_overdue", HIGH, KEEPERS_AND_AGENCIES, _checkout_overdue, _checkout_overdue_alert),
    Rule("handover_waiting", MEDIUM, KEEPERS_AND_AGENCIES, _handover_waiting, _handover_waiting_alert),
    Rule("disposition_waiting", MEDIUM, KEEPERS_AND_AGENCIES, _disposition_waiting, _disposition_waiting_alert),
)
