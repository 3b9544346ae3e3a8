"""Rules about the ledger itself: the latest verification failed, or nobody has verified it for too long.

Both read ledger_checks (one row per full verification: the command line, the API, the auditors' button,
the schedule), never the chain: an alert list must not take as long as a verification.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from custody.models import LedgerCheck, LedgerEntry
from custody.services.alerts.base import HIGH, LOW, Alert, AnyRow, Rows, Rule, Viewer, cutoff, limit_days, whole_days

AUDITORS_AND_ADMINS = frozenset({"auditor", "admin"})


def _verification_failed(viewer: Viewer, now: datetime) -> Rows:
    """The latest check, when it found a bad entry; a later good check resolves the alert."""
    latest = select(func.max(LedgerCheck.id)).scalar_subquery()
    return select(LedgerCheck.at, LedgerCheck.first_bad_seq, LedgerCheck.reason, LedgerCheck.checked).where(
        LedgerCheck.id == latest, ~LedgerCheck.ok
    )


def _verification_failed_alert(row: AnyRow, now: datetime) -> Alert:
    seq = row.first_bad_seq
    params = {"seq": seq, "reason": row.reason or "", "checked": row.checked}
    return Alert("ledger_verification_failed", HIGH, "ledger", str(seq), row.at, None, params)


def _not_verified(viewer: Viewer, now: datetime) -> Rows:
    """No check for N days: counted from the latest check, or from the first entry when there was never one."""
    latest = select(LedgerCheck).order_by(LedgerCheck.id.desc()).limit(1).subquery()
    first_entry = select(LedgerEntry.at).order_by(LedgerEntry.seq).limit(1).scalar_subquery()
    last_at = select(latest.c.at).scalar_subquery()
    began = func.coalesce(last_at, first_entry)
    head = select(latest.c.head_seq).scalar_subquery()
    return select(began.label("began"), head.label("head")).where(began < cutoff(now, "CUSTODY_VERIFY_DAYS"))


def _not_verified_alert(row: AnyRow, now: datetime) -> Alert:
    limit = limit_days("CUSTODY_VERIFY_DAYS")
    head = row.head or 0
    params = {"days": whole_days(row.began, now), "limit": limit, "head": head}
    return Alert("ledger_not_verified", LOW, "ledger", str(head), row.began + timedelta(days=limit), None, params)


RULES = (
    Rule("ledger_verification_failed", HIGH, AUDITORS_AND_ADMINS, _verification_failed, _verification_failed_alert),
    Rule("ledger_not_verified", LOW, AUDITORS_AND_ADMINS, _not_verified, _not_verified_alert),
)
