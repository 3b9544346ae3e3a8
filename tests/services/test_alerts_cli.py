"""``flask custody alerts``, as cron runs it: one line per alert, exit 1 when any high-severity alert exists."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from custody import clock
from custody.services import warehouse


def test_no_alerts_exits_zero_and_says_so(runner: Any) -> None:
    result = runner.invoke(args=["custody", "alerts"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "" and "0 high, 0 medium, 0 low" in result.stderr


def test_medium_alerts_are_printed_and_exit_zero(runner: Any, make: Any) -> None:
    handler, keeper = make.user("handler"), make.keeper()
    late = make.items(handler, make.case(handler), 1, seized_at=clock.now() - timedelta(hours=30))[0]
    warehouse.intake(keeper, late.code, location=make.location(keeper).code, seal_intact=True)
    result = runner.invoke(args=["custody", "alerts"])
    assert result.exit_code == 0, result.output
    (line,) = result.stdout.splitlines()
    severity, rule, subject, since, detail = line.split("\t")
    assert (severity, rule, subject) == ("medium", "late_intake", f"item:{late.code}")
    assert since.endswith("Z") and datetime.fromisoformat(since) <= datetime.now(UTC)
    assert detail.startswith("Taken in 30 h after seizure")
    assert "0 high, 1 medium, 0 low" in result.stderr


def test_a_high_alert_exits_one_and_json_is_one_object_per_line(runner: Any, make: Any) -> None:
    handler = make.user("handler")
    case = make.case(handler)
    waiting = make.items(handler, case, 2, seized_at=clock.now() - timedelta(hours=48))
    result = runner.invoke(args=["custody", "alerts", "--json"])
    assert result.exit_code == 1, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(r["subject"]["code"] for r in records) == sorted(i.code for i in waiting)
    assert {(r["rule"], r["severity"], r["subject"]["kind"], r["case_no"]) for r in records} == {
        ("intake_overdue", "high", "item", case.case_no)
    }
    assert all(r["since"].endswith("Z") and "not yet taken in" in r["detail"] for r in records)

    only_medium = runner.invoke(args=["custody", "alerts", "--severity", "medium"])
    assert only_medium.stdout == ""
    assert only_medium.exit_code == 1  # the exit code is about the centre, not the filtered listing

    clock.set_clock(lambda: datetime.now(UTC) + timedelta(days=8))  # the ledger, never verified, now adds a low one
    low = runner.invoke(args=["custody", "alerts", "--rule", "ledger_not_verified"])
    assert low.stdout.startswith("low\tledger_not_verified\tledger:0\t") and low.exit_code == 1


def test_an_unknown_rule_is_a_usage_error(runner: Any) -> None:
    result = runner.invoke(args=["custody", "alerts", "--rule", "nope"])
    assert result.exit_code == 2 and "rule" in result.output
