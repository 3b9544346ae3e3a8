"""The alert rules of issue 6 (design §5.7): each appears when its condition holds and is gone once resolved,
and each is seen by the roles that must act on it (keepers, the agency's handlers and approvers, auditors)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from custody import clock
from custody.extensions import db
from custody.services import alerts, closing, dispositions, handovers, ledger_view
from tests.worlds import HandoverWorld

START = datetime.now(UTC)


def at_day(days: float) -> None:
    """Move the clock to ``days`` after the test began (forward only: the ledger's times must not go back)."""
    clock.set_clock(lambda: START + timedelta(days=days, seconds=1))


@pytest.fixture
def world(make: Any) -> HandoverWorld:
    at_day(0)
    return HandoverWorld(make)


def found(user: Any, rule: str) -> list[tuple[str, str]]:
    """(subject kind:code, severity) of the user's current alerts of one rule."""
    return [(f"{a.subject_kind}:{a.subject_code}", a.severity) for a in alerts.current_alerts(user, rule=rule)]


def params(user: Any, rule: str) -> list[dict[str, Any]]:
    return [a.params for a in alerts.current_alerts(user, rule=rule)]


def test_thresholds_come_from_configuration(app: Any) -> None:
    for name, default in (
        ("CUSTODY_HANDOVER_WAIT_DAYS", 3),
        ("CUSTODY_CLOSED_CASE_DAYS", 30),
        ("CUSTODY_DISPOSITION_WAIT_DAYS", 7),
        ("CUSTODY_VERIFY_DAYS", 7),
    ):
        assert app.config[name] == default


# --- handover_waiting -------------------------------------------------------------------------------------------


def test_a_handover_waiting_too_long_at_each_step_is_alerted_until_it_moves_on(world: HandoverWorld) -> None:
    number = world.requested()
    subject = f"handover:{number}"
    at_day(2.9)
    assert found(world.handler, "handover_waiting") == []
    at_day(3.1)
    assert found(world.handler, "handover_waiting") == [(subject, "medium")]
    assert params(world.prosecutor, "handover_waiting") == [{"step": "requested", "days": 3, "limit": 3}]
    (alert,) = alerts.current_alerts(world.auditor, rule="handover_waiting")
    assert alert.case_no == world.case.case_no and "approval" in alert.detail
    assert alert.since == handovers.get_handover(world.auditor, number).requested_at + timedelta(days=3)
    assert found(world.keeper, "handover_waiting") == []  # approval is not the keeper's step
    assert found(world.make.user("handler"), "handover_waiting") == []

    handovers.approve_handover(world.approver, number)  # the next step begins now
    assert found(world.handler, "handover_waiting") == []
    at_day(6.5)
    assert found(world.keeper, "handover_waiting") == [(subject, "medium")]  # the presence check is the keeper's
    assert params(world.handler, "handover_waiting")[0]["step"] == "approved"

    handovers.check_presence(world.keeper, number, world.codes)
    assert found(world.auditor, "handover_waiting") == []
    at_day(10)
    assert params(world.prosecutor, "handover_waiting")[0]["step"] == "checked"
    assert found(world.keeper, "handover_waiting") == []

    handovers.accept_handover(world.prosecutor, number, [])
    assert found(world.auditor, "handover_waiting") == []


def test_a_cancelled_handover_is_no_longer_waiting(world: HandoverWorld) -> None:
    number = world.requested()
    at_day(4)
    assert found(world.approver, "handover_waiting") == [(f"handover:{number}", "medium")]
    handovers.cancel_handover(world.handler, number)
    assert found(world.approver, "handover_waiting") == []


# --- closed_case_items ------------------------------------------------------------------------------------------


def _dispose(world: HandoverWorld, codes: list[str]) -> str:
    d = dispositions.request_disposition(world.handler, codes, "confiscate", "JUDG-2026-1")
    dispositions.approve_disposition(world.approver, d.number)
    return d.number


def test_items_of_a_closed_case_are_alerted_until_all_are_disposed_of(world: HandoverWorld) -> None:
    closing.close_case(world.handler, world.case.case_no, "judgment_executed")
    at_day(29.9)
    assert found(world.handler, "closed_case_items") == []
    at_day(30.5)
    subject = f"case:{world.case.case_no}"
    assert found(world.handler, "closed_case_items") == [(subject, "medium")]
    assert params(world.approver, "closed_case_items") == [{"count": 3, "days": 30, "limit": 30}]
    assert found(world.auditor, "closed_case_items") == [(subject, "medium")]
    assert found(world.keeper, "closed_case_items") == []  # requesting the disposition is the agency's task
    assert found(world.prosecutor, "closed_case_items") == []

    number = _dispose(world, world.codes[:2])
    assert params(world.handler, "closed_case_items")[0]["count"] == 3  # approved is not yet disposed of
    dispositions.execute_disposition(world.keeper, number, world.codes[:2])
    assert params(world.handler, "closed_case_items")[0]["count"] == 1
    last = _dispose(world, world.codes[2:])
    dispositions.execute_disposition(world.keeper, last, world.codes[2:])
    assert found(world.auditor, "closed_case_items") == []


def test_items_left_with_the_sender_alert_the_sender_not_the_new_holder(world: HandoverWorld) -> None:
    """A partly accepted handover leaves the rejected item in the sender's custody: the sender must dispose of it."""
    number = world.checked()
    handovers.accept_handover(world.prosecutor, number, [{"code": world.codes[0], "reason": "not evidence"}])
    closing.close_case(world.prosecutor, world.case.case_no, "not_prosecuted")
    at_day(31)
    assert params(world.handler, "closed_case_items")[0]["count"] == 1
    assert params(world.prosecutor, "closed_case_items")[0]["count"] == 2
    assert params(world.auditor, "closed_case_items")[0]["count"] == 3


def test_an_open_case_raises_no_closed_case_alert(world: HandoverWorld) -> None:
    at_day(400)
    assert found(world.auditor, "closed_case_items") == []


# --- disposition_waiting ----------------------------------------------------------------------------------------


def test_an_approved_disposition_not_executed_is_alerted_until_executed(world: HandoverWorld) -> None:
    requested = dispositions.request_disposition(world.handler, world.codes[2:], "destroy", "DEC-9")
    number = _dispose(world, world.codes[:2])
    at_day(6.9)
    assert found(world.keeper, "disposition_waiting") == []
    at_day(7.5)
    subject, asked = f"disposition:{number}", f"disposition:{requested.number}"
    assert found(world.keeper, "disposition_waiting") == [(subject, "medium")]  # the keepers' step: execution only
    assert params(world.keeper, "disposition_waiting") == [{"count": 2, "step": "approved", "days": 7, "limit": 7}]
    for user in (world.handler, world.approver, world.auditor):  # the agency also waits for its own approval
        assert sorted(found(user, "disposition_waiting")) == sorted([(subject, "medium"), (asked, "medium")])
    waiting = {a.subject_code: a.detail for a in alerts.current_alerts(world.approver, rule="disposition_waiting")}
    assert waiting[requested.number] == "1 item(s) waiting 7 days for approval (limit 7 days)"
    assert waiting[number] == "2 item(s) waiting 7 days for the keeper's execution (limit 7 days)"
    assert found(world.prosecutor, "disposition_waiting") == []

    dispositions.execute_disposition(world.keeper, number, world.codes[:2])
    dispositions.approve_disposition(world.approver, requested.number)  # its next step begins: the clock restarts
    assert found(world.auditor, "disposition_waiting") == []


def test_a_cancelled_disposition_is_not_waiting(world: HandoverWorld) -> None:
    number = _dispose(world, world.codes)
    at_day(8)
    assert len(found(world.handler, "disposition_waiting")) == 1
    dispositions.cancel_disposition(world.approver, number)
    assert found(world.handler, "disposition_waiting") == []


# --- ledger rules -----------------------------------------------------------------------------------------------


def _set_body(seq: int, body: str) -> None:
    """Change an entry behind the application's back, as a tamperer with database access would."""
    db.session.execute(text("UPDATE ledger_entries SET body = :body WHERE seq = :seq"), {"body": body, "seq": seq})
    db.session.commit()


def test_a_failed_verification_is_a_high_alert_until_a_later_one_passes(world: HandoverWorld, make: Any) -> None:
    admin = make.user("admin")
    assert ledger_view.verify(world.auditor).ok
    assert found(world.auditor, "ledger_verification_failed") == []

    original = db.session.scalar(text("SELECT body FROM ledger_entries WHERE seq = 5"))
    _set_body(5, original.replace('"', "'", 1))
    result = ledger_view.verify(world.auditor)
    assert not result.ok and result.first_bad_seq == 5
    assert found(world.auditor, "ledger_verification_failed") == [(f"ledger:{result.first_bad_seq}", "high")]
    assert found(admin, "ledger_verification_failed") == [(f"ledger:{result.first_bad_seq}", "high")]
    (alert,) = alerts.current_alerts(world.auditor, rule="ledger_verification_failed")
    assert alert.case_no is None and result.reason in alert.detail
    for user in (world.handler, world.keeper, world.approver):
        assert found(user, "ledger_verification_failed") == []
    assert alerts.counts(world.auditor).high == 1

    _set_body(5, original)
    assert ledger_view.verify(None).ok
    assert found(world.auditor, "ledger_verification_failed") == []


def test_a_ledger_not_verified_for_days_is_a_low_alert(world: HandoverWorld) -> None:
    at_day(6.9)
    assert found(world.auditor, "ledger_not_verified") == []
    at_day(7.5)
    assert found(world.auditor, "ledger_not_verified") == [("ledger:0", "low")]  # never verified: counted from entry 1
    assert found(world.handler, "ledger_not_verified") == []

    head = ledger_view.verify(world.auditor).head_seq
    assert found(world.auditor, "ledger_not_verified") == []
    at_day(15)
    assert found(world.auditor, "ledger_not_verified") == [(f"ledger:{head}", "low")]
    assert params(world.auditor, "ledger_not_verified") == [{"days": 7, "limit": 7, "head": head}]


# --- who sees which rules, and the counts -----------------------------------------------------------------------


def test_each_role_sees_its_own_rules(world: HandoverWorld, make: Any) -> None:
    def names(user: Any) -> set[str]:
        return {r.name for r in alerts.rules_for(user)}

    warehouse = {"late_intake", "intake_overdue", "checkout_overdue", "stocktake_missing"}
    assert names(world.keeper) == warehouse | {"handover_waiting", "disposition_waiting"}
    agency = warehouse | {"handover_waiting", "closed_case_items", "disposition_waiting"}
    assert names(world.handler) == names(world.approver) == agency
    assert names(world.auditor) == names(None) == set(alerts.RULES)
    assert names(make.user("admin")) == {"ledger_verification_failed", "ledger_not_verified"}


def test_counts_are_exact_and_match_the_list(world: HandoverWorld, make: Any) -> None:
    make.items(world.handler, world.case, 3, seized_at=clock.now() - timedelta(hours=30))  # 3 high: intake overdue
    world.requested()
    closing_case = make.case(world.handler)
    make.stored_items(world.handler, world.keeper, world.shelf, 2, case=closing_case)
    closing.close_case(world.handler, closing_case.case_no, "withdrawn")
    at_day(31)  # + handover waiting, closed case items; the ledger never verified (low)
    for user in (world.auditor, world.handler, world.keeper, None):
        listed = alerts.current_alerts(user)
        counted = alerts.counts(user)
        assert counted.total == len(listed)
        assert {r: sum(1 for a in listed if a.rule == r) for r in counted.by_rule} == counted.by_rule
        assert counted.high == counted["high"] == sum(1 for a in listed if a.severity == "high")
    assert alerts.counts(world.auditor).by_rule == {
        "intake_overdue": 3,
        "handover_waiting": 1,
        "closed_case_items": 1,
        "ledger_not_verified": 1,
    }
    assert alerts.counts(world.keeper).by_rule == {"intake_overdue": 3}
    severities = [a.severity for a in alerts.current_alerts(world.auditor)]
    assert severities == sorted(severities, key=alerts.SEVERITY_ORDER.__getitem__)


def test_a_handler_with_no_alerts_has_an_empty_panel(make: Any) -> None:
    handler = make.user("handler")
    assert alerts.counts(handler).total == 0 and alerts.current_alerts(handler) == []
