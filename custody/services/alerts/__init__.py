"""Alerts: conditions an auditor, keeper or handler should act on while they can still be fixed (design §5.7).

Each rule is one set-based query over indexed columns; nothing loads items into
Python to test them one by one. An alert exists while its condition holds and is
gone once the condition is resolved (the item is taken in, the check-out comes
back, the handover moves on, the items are disposed of, a later verification
passes), so the list is always current. The one exception is a late intake: it
is a fact of the past that no later act undoes, so it stays until an auditor has
reviewed and acknowledged it (``acknowledging.py``, a ledger entry with the note).

Who sees what: auditors (and the command line) every rule and every row; the
centre's keepers the warehouse's rules (intake, stocktakes, check-outs,
presence checks, executing dispositions); handlers and approvers their agency's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from custody import clock
from custody.errors import InvalidInput
from custody.extensions import db
from custody.services.alerts import items, ledger, workflows
from custody.services.alerts.acknowledging import acknowledge_late_intake
from custody.services.alerts.base import (
    DETAILS,
    HIGH,
    LOW,
    MEDIUM,
    RULE_CAP,
    SEVERITY_ORDER,
    STEPS,
    Alert,
    Rule,
    Viewer,
    applies,
)
from custody.services.pagination import Page, check_limit, parse_cursor

_ORDER = (
    "late_intake",
    "intake_overdue",
    "checkout_overdue",
    "stocktake_missing",
    "handover_waiting",
    "closed_case_items",
    "disposition_waiting",
    "ledger_verification_failed",
    "ledger_not_verified",
)
_ALL = {rule.name: rule for rule in (*items.RULES, *workflows.RULES, *ledger.RULES)}
RULES: dict[str, Rule] = {name: _ALL[name] for name in _ORDER}
SEVERITIES = (HIGH, MEDIUM, LOW)


def rules_for(viewer: Viewer, *, rule: str | None = None, severity: str | None = None) -> list[Rule]:
    """The rules that concern this viewer (by role), narrowed to ``rule`` and ``severity`` when given."""
    if rule is not None and rule not in RULES:
        raise InvalidInput("Unknown rule", errors={"rule": [f"One of {', '.join(RULES)}"]})
    if severity is not None and severity not in SEVERITY_ORDER:
        raise InvalidInput("Unknown severity", errors={"severity": [f"One of {', '.join(SEVERITIES)}"]})
    return [
        r for r in RULES.values() if rule in (None, r.name) and severity in (None, r.severity) and applies(r, viewer)
    ]


def current_alerts(viewer: Viewer, *, rule: str | None = None, severity: str | None = None) -> list[Alert]:
    """Every alert the viewer may see now (at most RULE_CAP per rule), most severe first, then oldest first.

    ``viewer`` None is the whole centre (the command line). Raises InvalidInput for an unknown rule or severity.
    """
    now = clock.now()
    found = [
        r.alert(row, now)
        for r in rules_for(viewer, rule=rule, severity=severity)
        for row in db.session.execute(r.listing(viewer, now))
    ]
    found.sort(key=lambda a: (SEVERITY_ORDER[a.severity], a.since, a.rule, a.subject_code))
    return found


def list_alerts(
    viewer: Viewer,
    *,
    rule: str | None = None,
    severity: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page[Alert]:
    """A page of current alerts. The cursor is a position: alerts come and go between pages, and that is fine."""
    limit = check_limit(limit)
    start = parse_cursor(cursor) or 0
    found = current_alerts(viewer, rule=rule, severity=severity)
    page = found[start : start + limit]
    more = start + limit < len(found)
    return Page(page, str(start + limit) if more else None)


@dataclass(frozen=True)
class Counts:
    """How many alerts a viewer has, per severity and per rule (exact: counting is not capped)."""

    by_rule: dict[str, int] = field(default_factory=dict)

    def of(self, severity: str) -> int:
        return sum(n for name, n in self.by_rule.items() if RULES[name].severity == severity)

    @property
    def high(self) -> int:
        return self.of(HIGH)

    @property
    def medium(self) -> int:
        return self.of(MEDIUM)

    @property
    def low(self) -> int:
        return self.of(LOW)

    @property
    def total(self) -> int:
        return sum(self.by_rule.values())

    def __getitem__(self, severity: str) -> int:
        return self.of(severity)


def counts(viewer: Viewer) -> Counts:
    """Alerts per rule for the dashboard panel and the command line's exit code: one count(*) per rule."""
    now = clock.now()
    by_rule = {r.name: int(db.session.scalar(r.counting(viewer, now)) or 0) for r in rules_for(viewer)}
    return Counts({name: n for name, n in by_rule.items() if n})


__all__ = [
    "DETAILS",
    "HIGH",
    "LOW",
    "MEDIUM",
    "RULES",
    "RULE_CAP",
    "SEVERITIES",
    "SEVERITY_ORDER",
    "STEPS",
    "Alert",
    "Counts",
    "Rule",
    "Viewer",
    "acknowledge_late_intake",
    "counts",
    "current_alerts",
    "list_alerts",
    "rules_for",
]
