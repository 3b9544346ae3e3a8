"""The alerts page and the dashboard's alert panel: each alert links to its subject, each role sees its own counts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from custody import clock
from custody.services import closing, dispositions
from tests.worlds import HandoverWorld

EN = {"Accept-Language": "en"}
START = datetime.now(UTC)


@pytest.fixture
def world(make: Any) -> HandoverWorld:
    """A handover waiting for approval, a closed case with items, an approved disposition: 8 days on, all alerted."""
    clock.set_clock(lambda: START)
    w = HandoverWorld(make)
    w.handover = w.requested()  # type: ignore[attr-defined]
    w.closed = make.case(w.handler)  # type: ignore[attr-defined]
    kept = make.stored_items(w.handler, w.keeper, w.shelf, 2, case=w.closed)  # type: ignore[attr-defined]
    d = dispositions.request_disposition(w.handler, [kept[0].code], "confiscate", "JUDG-1")
    dispositions.approve_disposition(w.approver, d.number)
    w.disposition = d.number  # type: ignore[attr-defined]
    closing.close_case(w.handler, w.closed.case_no, "judgment_executed")  # type: ignore[attr-defined]
    clock.set_clock(lambda: START + timedelta(days=40))
    return w


def _page(client: Any, path: str = "/alerts") -> str:
    response = client.get(path, headers=EN)
    assert response.status_code == 200
    return str(response.get_data(as_text=True))


def _panel_counts(page: str) -> dict[str, int]:
    return {rule: int(n) for rule, n in re.findall(r'data-rule="([a-z_]+)">(\d+)</span>', page)}


def test_each_alert_links_to_its_subject(world: Any, login: Any, client: Any) -> None:
    login(world.auditor)
    page = _page(client)
    assert f'href="/handovers/{world.handover}"' in page and "Waiting 40 days for approval" in page
    assert f'href="/cases/{world.closed.case_no}"' in page and "2 items not disposed of 40 days after" in page
    assert f'href="/dispositions/{world.disposition}"' in page
    assert "1 item waiting 40 days for the keeper&#39;s execution" in page
    assert 'href="/audit/verify"' in page and "Not verified for 40 days" in page
    total = int(re.search(r'id="alerts-total">(\d+)<', page).group(1))  # type: ignore[union-attr]
    assert total == page.count('<tr class="severity-')


def test_the_page_filters_by_rule_and_severity(world: Any, login: Any, client: Any) -> None:
    login(world.auditor)
    page = _page(client, "/alerts?rule=handover_waiting")
    assert page.count('data-rule="handover_waiting"') == 1 and 'data-rule="closed_case_items"' not in page
    low = _page(client, "/alerts?severity=low")
    assert 'data-rule="ledger_not_verified"' in low and 'data-rule="handover_waiting"' not in low
    assert "<tr" in _page(client, "/alerts?rule=nope&severity=urgent")  # unknown filters are ignored, not a 500


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("keeper", {"disposition_waiting": 1}),  # not the handover: it waits for approval, not a presence check
        ("handler", {"handover_waiting": 1, "closed_case_items": 1, "disposition_waiting": 1}),
        ("prosecutor", {"handover_waiting": 1}),  # the receiving party; the closed case is not its
        ("judge", {}),
    ],
)
def test_dashboard_panel_counts_per_role(world: Any, login: Any, client: Any, who: str, expected: Any) -> None:
    login(getattr(world, who))
    page = _page(client, "/")
    assert _panel_counts(page) == expected
    assert ('id="alerts-panel"' in page) == bool(expected)


def test_the_auditor_sees_the_ledger_rules_on_the_panel(world: Any, login: Any, client: Any) -> None:
    login(world.auditor)
    page = _page(client, "/")
    assert _panel_counts(page) == {
        "handover_waiting": 1,
        "closed_case_items": 1,
        "disposition_waiting": 1,
        "ledger_not_verified": 1,
    }
    assert "1 low" in page and "/alerts?rule=ledger_not_verified" in page


def test_no_alerts_says_so(make: Any, login: Any, client: Any) -> None:
    login(make.user("handler"))
    assert "No alerts. Everything is in order." in _page(client)
