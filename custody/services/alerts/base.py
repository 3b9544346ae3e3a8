"""What every alert rule shares: the alert, its severities, the thresholds, and who sees it.

A rule is one SELECT (rows oldest first) plus a function that turns a row into an
:class:`Alert`. The same SELECT, wrapped in ``count(*)``, gives the dashboard's
figures, so what the panel counts is exactly what the page lists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, Row, Select, false, func, or_, select, true

from custody.models import Role, User
from custody.services import access

HIGH, MEDIUM, LOW = "high", "medium", "low"
SEVERITY_ORDER = {HIGH: 0, MEDIUM: 1, LOW: 2}
# One rule never yields more than this in one listing: an alert list is read by people (the counts stay exact).
RULE_CAP = 5000

# A rule's SELECT and its rows, whatever their columns.
Rows = Select[*tuple[Any, ...]]
AnyRow = Row[*tuple[Any, ...]]

# None is the whole centre, seen by nobody in particular: the command line and the schedule.
Viewer = User | None

# English detail per rule (the API's and the command line's); the web says the same in the reader's language.
DETAILS = {
    "late_intake": "Taken in {hours} h after seizure (deadline {deadline} h)",
    "intake_overdue": "Seized {hours} h ago and not yet taken in (deadline {deadline} h)",
    "checkout_overdue": "{count} item(s) not back",
    "stocktake_missing": "Not found in stocktake {stocktake} of {location}",
    "handover_waiting": "Waiting {days} days for {step} (limit {limit} days)",
    "closed_case_items": "{count} item(s) not disposed of {days} days after the case was closed (limit {limit} days)",
    "disposition_waiting": "{count} item(s) waiting {days} days for {step} (limit {limit} days)",
    "ledger_verification_failed": "Verification found entry {seq} bad ({reason}); {checked} entries checked before it",
    "ledger_not_verified": "Not verified for {days} days (limit {limit} days); last verified up to entry {head}",
}
# What a handover waits for at each open status, named in the detail.
STEPS = {"requested": "approval", "approved": "the presence check", "checked": "the receiving agency's decision"}
# What a disposition waits for at each open status.
DISPOSITION_STEPS = {"requested": "approval", "approved": "the keeper's execution"}


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
        params = dict(self.params)
        if "step" in params:
            steps = DISPOSITION_STEPS if self.subject_kind == "disposition" else STEPS
            params["step"] = steps.get(params["step"], params["step"])
        return DETAILS[self.rule].format(**params)


@dataclass(frozen=True)
class Rule:
    """``statement`` selects the rule's rows for a viewer at ``now``, oldest first; ``alert`` reads one row."""

    name: str
    severity: str
    audience: frozenset[str]  # roles that see the rule; auditors (and the command line) see every rule
    statement: Callable[[Viewer, datetime], Rows]
    alert: Callable[[AnyRow, datetime], Alert]

    def listing(self, viewer: Viewer, now: datetime) -> Rows:
        return self.statement(viewer, now).limit(RULE_CAP)

    def counting(self, viewer: Viewer, now: datetime) -> Rows:
        return select(func.count()).select_from(self.statement(viewer, now).order_by(None).subquery())


def sees_everything(viewer: Viewer) -> bool:
    return viewer is None or access.is_auditor(viewer)


def applies(rule: Rule, viewer: Viewer) -> bool:
    """Keepers get the warehouse's rules, handlers and approvers their agency's, auditors everything."""
    return sees_everything(viewer) or bool(viewer and viewer.has_role(*rule.audience))


def scope(
    viewer: Viewer,
    *,
    keeper: Callable[[User], ColumnElement[bool]] | None = None,
    agency: Callable[[User], ColumnElement[bool]] | None = None,
) -> ColumnElement[bool]:
    """The rows a viewer sees: ``keeper(user)`` for the centre's keepers, ``agency(user)`` for handlers and approvers.

    A user with both kinds of role sees both; a role given no condition sees none of the rule's rows.
    """
    if viewer is None or access.is_auditor(viewer):
        return true()
    parts = []
    if keeper is not None and access.is_centre_keeper(viewer):
        parts.append(keeper(viewer))
    if agency is not None and viewer.has_role(Role.HANDLER, Role.APPROVER):
        parts.append(agency(viewer))
    if not parts:
        return false()
    return or_(*parts) if len(parts) > 1 else parts[0]


def item_scope(viewer: Viewer) -> ColumnElement[bool]:
    """Items the viewer may see at all (the centre's keepers see every item in the centre)."""
    return true() if viewer is None else access.item_filter(viewer)


def limit_days(setting: str) -> int:
    return int(current_app.config[setting])


def cutoff(now: datetime, setting: str) -> datetime:
    return now - timedelta(days=limit_days(setting))


def whole_days(since: datetime, now: datetime) -> int:
    return max(0, int((now - since).total_seconds() // 86400))


def whole_hours(since: datetime, now: datetime) -> int:
    return int((now - since).total_seconds() // 3600)
