"""Alert rules: each alert appears while its condition holds and is gone once it is resolved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from custody import clock
from custody.services import warehouse


def _alerts(client, **query):
    response = client.get("/api/v1/alerts", query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_late_intake_is_marked_and_alerted(make, api):
    handler, keeper = make.user("handler"), make.keeper()
    shelf = make.location(keeper)
    case = make.case(handler)
    late, prompt = (
        make.items(handler, case, 1, seized_at=clock.now() - timedelta(hours=30))[0],
        make.items(handler, case, 1)[0],
    )
    warehouse.intake(keeper, late.code, location=shelf.code, seal_intact=True)
    warehouse.intake(keeper, prompt.code, location=shelf.code, seal_intact=True)

    body = _alerts(api(keeper), rule="late_intake")
    assert [(a["rule"], a["subject"]) for a in body["items"]] == [("late_intake", {"kind": "item", "code": late.code})]
    alert = body["items"][0]
    assert alert["severity"] == "medium" and alert["since"].endswith("Z") and "30 h" in alert["detail"]
    assert body["next"] is None
    item = api(keeper).get(f"/api/v1/items/{late.code}").get_json()
    assert item["late_intake"] is True
    assert api(keeper).get(f"/api/v1/items/{prompt.code}").get_json()["late_intake"] is False


def test_waiting_too_long_for_intake_is_alerted_until_taken_in(make, api):
    handler, keeper = make.user("handler"), make.keeper()
    shelf = make.location(keeper)
    item = make.items(handler, make.case(handler), 1, seized_at=clock.now() - timedelta(hours=25))[0]
    first = _alerts(api(handler), rule="intake_overdue")["items"]
    assert [(a["subject"]["code"], a["severity"]) for a in first] == [(item.code, "high")]

    warehouse.intake(keeper, item.code, location=shelf.code, seal_intact=True)
    assert _alerts(api(handler), rule="intake_overdue")["items"] == []
    assert [a["rule"] for a in _alerts(api(handler))["items"]] == ["late_intake"]


def test_the_deadline_moves_with_the_clock(make, api):
    handler = make.user("handler")
    item = make.items(handler, make.case(handler), 1, seized_at=clock.now() - timedelta(hours=1))[0]
    assert _alerts(api(handler))["items"] == []
    clock.set_clock(lambda: datetime.now(UTC) + timedelta(hours=24))
    assert [a["subject"]["code"] for a in _alerts(api(handler))["items"]] == [item.code]


def test_alerts_are_scoped_to_what_the_user_may_see(make, api):
    handler, stranger = make.user("handler"), make.user("handler")
    make.items(handler, make.case(handler), 2, seized_at=clock.now() - timedelta(hours=48))
    assert len(_alerts(api(handler))["items"]) == 2
    assert _alerts(api(stranger))["items"] == []
    auditor = make.user("auditor", kind="supervision")
    assert len(_alerts(api(auditor))["items"]) == 2


def test_alert_list_pages_and_filters(make, api, client):
    handler = make.user("handler")
    make.items(handler, make.case(handler), 3, seized_at=clock.now() - timedelta(hours=48))
    first = _alerts(api(handler), limit=2)
    assert len(first["items"]) == 2 and first["next"]
    rest = _alerts(api(handler), limit=2, cursor=first["next"])
    assert len(rest["items"]) == 1 and rest["next"] is None
    assert _alerts(api(handler), severity="medium")["items"] == []
    bad = api(handler).get("/api/v1/alerts?rule=nope")
    assert bad.status_code == 422 and bad.get_json()["code"] == "invalid_input"
    assert client.get("/api/v1/alerts").status_code == 401


def test_alerts_page_and_dashboard_panel(make, login, client):
    handler = make.user("handler")
    item = make.items(handler, make.case(handler), 1, seized_at=clock.now() - timedelta(hours=48))[0]
    login(handler)
    page = client.get("/alerts", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert item.code in page and "not yet taken in" in page
    assert "/alerts" in client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_overdue_check_out_is_alerted_until_everything_is_back(make, api):
    from custody.services import checkouts

    agency = make.agency()
    handler, approver = make.user("handler", agency=agency), make.user("approver", agency=agency)
    keeper = make.keeper()
    shelf = make.location(keeper)
    stored = make.stored_items(handler, keeper, shelf, 2)
    codes = [i.code for i in stored]
    out = checkouts.request_checkout(handler, codes, "appraisal", clock.now() + timedelta(hours=2), handler.username)
    checkouts.approve_checkout(approver, out.number)
    checkouts.release_checkout(keeper, out.number)
    assert _alerts(api(keeper), rule="checkout_overdue")["items"] == []

    clock.set_clock(lambda: datetime.now(UTC) + timedelta(hours=3))
    (alert,) = _alerts(api(handler), rule="checkout_overdue")["items"]
    assert alert["subject"] == {"kind": "checkout", "code": out.number} and alert["severity"] == "high"
    assert "2 item(s)" in alert["detail"]
    assert _alerts(api(make.user("handler")), rule="checkout_overdue")["items"] == []

    checkouts.return_items(keeper, out.number, [codes[0]], seal_intact=True)
    (still,) = _alerts(api(keeper), rule="checkout_overdue")["items"]
    assert "1 item(s)" in still["detail"]
    checkouts.return_items(keeper, out.number, [codes[1]], seal_intact=False, note="seal torn")
    assert _alerts(api(keeper), rule="checkout_overdue")["items"] == []


def test_items_missing_in_a_stocktake_are_alerted_until_they_turn_up(make, api):
    from custody.services import stocktakes

    handler, keeper = make.user("handler"), make.keeper()
    shelf, other = make.location(keeper), make.location(keeper)
    found, lost = make.stored_items(handler, keeper, shelf, 2)
    count = stocktakes.open_stocktake(keeper, shelf.code)
    stocktakes.record_scan(keeper, count.number, found.code)
    assert _alerts(api(keeper), rule="stocktake_missing")["items"] == []  # open: nothing is missing yet
    stocktakes.close_stocktake(keeper, count.number)

    (alert,) = _alerts(api(handler), rule="stocktake_missing")["items"]
    assert alert["subject"] == {"kind": "item", "code": lost.code} and alert["severity"] == "high"
    assert count.number in alert["detail"]
    assert _alerts(api(make.user("handler")), rule="stocktake_missing")["items"] == []

    warehouse.move(keeper, lost.code, location=other.code)  # it turned up: any later act resolves the alert
    assert _alerts(api(keeper), rule="stocktake_missing")["items"] == []


def test_new_rules_come_through_the_api_with_their_subjects(make, api):
    from custody.services import closing
    from tests.worlds import HandoverWorld

    world = HandoverWorld(make)
    number = world.requested()
    closed = make.case(world.handler)
    make.stored_items(world.handler, world.keeper, world.shelf, 1, case=closed)
    closing.close_case(world.handler, closed.case_no, "withdrawn")
    clock.set_clock(lambda: datetime.now(UTC) + timedelta(days=31))

    body = _alerts(api(world.auditor))
    subjects = {a["rule"]: (a["subject"], a["severity"], a["case_no"]) for a in body["items"]}
    assert subjects == {
        "handover_waiting": ({"kind": "handover", "code": number}, "medium", world.case.case_no),
        "closed_case_items": ({"kind": "case", "code": closed.case_no}, "medium", closed.case_no),
        "ledger_not_verified": ({"kind": "ledger", "code": "0"}, "low", None),
    }
    assert [a["rule"] for a in body["items"]][-1] == "ledger_not_verified"  # least severe last
    waiting = _alerts(api(world.handler), rule="handover_waiting")["items"][0]
    assert waiting["detail"] == "Waiting 31 days for approval (limit 3 days)"
    assert [a["rule"] for a in _alerts(api(world.auditor), severity="low")["items"]] == ["ledger_not_verified"]
    assert _alerts(api(world.keeper))["items"] == []  # nothing of the keeper's: approval and closing are not

    spec = api(world.auditor).get("/api/v1/openapi.json").get_json()
    rules = spec["components"]["schemas"]["Alert"]["properties"]["rule"]["enum"]
    assert {"handover_waiting", "closed_case_items", "disposition_waiting", "ledger_verification_failed"} <= set(rules)
