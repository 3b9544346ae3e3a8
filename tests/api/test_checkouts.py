"""Check-outs over HTTP: the contract's paths, fields, status and error codes (API.md "Check-outs")."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from flask import Flask
from sqlalchemy import func, select

from custody import clock
from custody.api.schemas.common import utc_z
from custody.extensions import db
from custody.models import LedgerEntry
from custody.services.auth import issue_token
from tests.api.test_schemathesis import _isolated

LINE_KEYS = {"code", "name", "state", "returned_at", "seal_intact", "return_note"}
CHECKOUT_KEYS = {
    "number",
    "status",
    "case_no",
    "agency",
    "purpose",
    "due_at",
    "overdue",
    "taken_by",
    "note",
    "items",
    "requested_by",
    "requested_at",
    "approved_by",
    "approved_at",
    "released_by",
    "released_at",
    "closed_at",
}


@pytest.fixture
def w(make: Any, api: Any) -> dict[str, Any]:
    """A police handler, approver and carrier, a centre keeper, 3 stored items; an API client for each."""
    police = make.agency("police")
    handler = make.user("handler", agency=police)
    approver = make.user("approver", agency=police)
    carrier = make.user("handler", agency=police)
    keeper = make.keeper()
    shelf = make.location(keeper)
    case = make.case(handler)
    items = make.stored_items(handler, keeper, shelf, 3, case=case)
    return {
        "handler": api(handler),
        "approver": api(approver),
        "keeper": api(keeper),
        "carrier": carrier,
        "case": case,
        "codes": [i.code for i in items],
        "make": make,
        "api": api,
        "police": police,
    }


def _body(w: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    body = {
        "items": w["codes"],
        "purpose": "court_exhibit",
        "due_at": utc_z(clock.now() + timedelta(days=1)),
        "taken_by": w["carrier"].username,
        "note": "Trial on Monday",
    }
    body.update(overrides)
    return body


def _head() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.max(LedgerEntry.seq))) or 0


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["code"] == code, problem
    return problem


def test_full_flow(w: dict[str, Any]) -> None:
    created = w["handler"].post("/api/v1/checkouts", json=_body(w))
    assert created.status_code == 201, created.get_json()
    checkout = created.get_json()
    number = checkout["number"]
    assert set(checkout) == CHECKOUT_KEYS and set(checkout["items"][0]) == LINE_KEYS
    assert checkout["status"] == "requested" and checkout["case_no"] == w["case"].case_no
    assert checkout["agency"] == w["police"].code and checkout["purpose"] == "court_exhibit"
    assert checkout["taken_by"] == w["carrier"].username and checkout["note"] == "Trial on Monday"
    assert checkout["due_at"].endswith("Z") and checkout["requested_at"].endswith("Z")
    assert [i["code"] for i in checkout["items"]] == w["codes"]
    assert {i["state"] for i in checkout["items"]} == {"requested"} and checkout["overdue"] is False

    approved = w["approver"].post(f"/api/v1/checkouts/{number}/approve").get_json()
    assert approved["status"] == "approved" and approved["approved_at"].endswith("Z")
    released = w["keeper"].post(f"/api/v1/checkouts/{number}/release", json={"items": w["codes"]})
    assert released.status_code == 200 and released.get_json()["status"] == "released"
    assert {i["state"] for i in released.get_json()["items"]} == {"out"}
    item = w["handler"].get(f"/api/v1/items/{w['codes'][0]}").get_json()
    assert item["status"] == "checked_out"

    partial = (
        w["keeper"]
        .post(
            f"/api/v1/checkouts/{number}/return", json={"items": [w["codes"][0]], "seal_intact": False, "note": "torn"}
        )
        .get_json()
    )
    assert partial["status"] == "partially_returned"
    back = partial["items"][0]
    assert back["state"] == "returned" and back["seal_intact"] is False and back["return_note"] == "torn"
    assert back["returned_at"].endswith("Z")
    done = w["keeper"].post(f"/api/v1/checkouts/{number}/return", json={"seal_intact": True}).get_json()
    assert done["status"] == "returned" and done["closed_at"].endswith("Z")
    assert w["handler"].get(f"/api/v1/items/{w['codes'][1]}").get_json()["status"] == "in_storage"

    got = w["handler"].get(f"/api/v1/checkouts/{number}").get_json()
    assert got == done
    history = w["handler"].get(f"/api/v1/items/{w['codes'][0]}/history").get_json()["entries"]
    kinds = [e["kind"] for e in history if e["kind"].startswith("checkout.")]
    assert kinds == ["checkout.requested", "checkout.approved", "checkout.released", "checkout.returned"]
    auditor = w["api"](w["make"].user("auditor", kind="supervision"))
    verified = auditor.post("/api/v1/ledger/verify").get_json()
    assert verified["ok"] is True and verified["first_bad_seq"] is None


def test_release_without_approval_is_409_and_changes_nothing(w: dict[str, Any]) -> None:
    number = w["handler"].post("/api/v1/checkouts", json=_body(w)).get_json()["number"]
    start = _head()
    _problem(w["keeper"].post(f"/api/v1/checkouts/{number}/release"), 409, "invalid_state")
    assert _head() == start
    assert w["keeper"].get(f"/api/v1/checkouts/{number}").get_json()["status"] == "requested"
    assert w["handler"].get(f"/api/v1/items/{w['codes'][0]}").get_json()["status"] == "in_storage"


def test_release_with_the_wrong_scans_is_422_naming_them(w: dict[str, Any]) -> None:
    number = w["handler"].post("/api/v1/checkouts", json=_body(w, items=w["codes"][:2])).get_json()["number"]
    w["approver"].post(f"/api/v1/checkouts/{number}/approve")
    wrong = w["keeper"].post(f"/api/v1/checkouts/{number}/release", json={"items": [w["codes"][0], w["codes"][2]]})
    problem = _problem(wrong, 422, "invalid_input")
    assert any(w["codes"][1] in m for m in problem["errors"]["items"])
    assert any(w["codes"][2] in m for m in problem["errors"]["items"])


def test_return_of_an_item_that_is_not_out_is_409(w: dict[str, Any]) -> None:
    number = w["handler"].post("/api/v1/checkouts", json=_body(w, items=w["codes"][:1])).get_json()["number"]
    w["approver"].post(f"/api/v1/checkouts/{number}/approve")
    w["keeper"].post(f"/api/v1/checkouts/{number}/release")
    body = {"items": [w["codes"][1]], "seal_intact": True}
    _problem(w["keeper"].post(f"/api/v1/checkouts/{number}/return", json=body), 409, "invalid_state")
    _problem(w["keeper"].post(f"/api/v1/checkouts/{number}/return", json={}), 422, "invalid_input")  # seal_intact


def test_approve_by_another_agency(w: dict[str, Any]) -> None:
    number = w["handler"].post("/api/v1/checkouts", json=_body(w)).get_json()["number"]
    sees = w["api"](w["make"].user("approver", "auditor", kind="court"))
    _problem(sees.post(f"/api/v1/checkouts/{number}/approve"), 403, "wrong_agency")
    blind = w["api"](w["make"].user("approver"))
    _problem(blind.post(f"/api/v1/checkouts/{number}/approve"), 404, "not_found")
    _problem(blind.get(f"/api/v1/checkouts/{number}"), 404, "not_found")


def test_request_refusals(w: dict[str, Any]) -> None:
    _problem(w["keeper"].post("/api/v1/checkouts", json=_body(w)), 403, "forbidden")
    past = _problem(
        w["handler"].post("/api/v1/checkouts", json=_body(w, due_at=utc_z(clock.now() - timedelta(hours=1)))),
        422,
        "invalid_input",
    )
    assert set(past["errors"]) == {"due_at"}
    reserved = _problem(
        w["handler"].post("/api/v1/checkouts", json=_body(w, purpose="moves_with_case")), 422, "invalid_input"
    )
    assert set(reserved["errors"]) == {"purpose"}
    stranger = _problem(w["handler"].post("/api/v1/checkouts", json=_body(w, taken_by="nobody")), 422, "invalid_input")
    assert set(stranger["errors"]) == {"taken_by"}
    first = w["handler"].post("/api/v1/checkouts", json=_body(w, items=w["codes"][1:2])).get_json()["number"]
    busy = _problem(w["handler"].post("/api/v1/checkouts", json=_body(w)), 409, "items_unavailable")
    assert w["codes"][1] in busy["detail"] and first in busy["detail"] and w["codes"][0] not in busy["detail"]
    other = w["api"](w["make"].user("handler"))
    _problem(other.post("/api/v1/checkouts", json=_body(w)), 404, "not_found")


def test_cancel_and_lists(w: dict[str, Any]) -> None:
    first = w["handler"].post("/api/v1/checkouts", json=_body(w, items=w["codes"][:1])).get_json()["number"]
    second = w["handler"].post("/api/v1/checkouts", json=_body(w, items=w["codes"][1:])).get_json()["number"]
    _problem(w["keeper"].post(f"/api/v1/checkouts/{first}/cancel"), 403, "forbidden")
    cancelled = w["approver"].post(f"/api/v1/checkouts/{first}/cancel").get_json()
    assert cancelled["status"] == "cancelled" and cancelled["items"][0]["state"] == "cancelled"
    _problem(w["approver"].post(f"/api/v1/checkouts/{first}/approve"), 409, "invalid_state")
    page = w["handler"].get("/api/v1/checkouts", query_string={"limit": 1}).get_json()
    assert [c["number"] for c in page["items"]] == [first] and page["next"]
    rest = w["handler"].get("/api/v1/checkouts", query_string={"limit": 1, "cursor": page["next"]}).get_json()
    assert [c["number"] for c in rest["items"]] == [second] and rest["next"] is None
    requested = w["keeper"].get("/api/v1/checkouts", query_string={"status": "requested"}).get_json()
    assert [c["number"] for c in requested["items"]] == [second]
    by_case = w["handler"].get("/api/v1/checkouts", query_string={"case_no": "NOPE"}).get_json()
    assert by_case["items"] == []
    assert w["keeper"].get("/api/v1/checkouts", query_string={"overdue": "true"}).get_json()["items"] == []
    w["approver"].post(f"/api/v1/checkouts/{second}/approve")
    w["keeper"].post(f"/api/v1/checkouts/{second}/release")
    real = clock.now()
    clock.set_clock(lambda: real + timedelta(days=2))
    overdue = w["keeper"].get("/api/v1/checkouts", query_string={"overdue": "true"}).get_json()["items"]
    assert [c["number"] for c in overdue] == [second] and overdue[0]["overdue"] is True


def test_responses_match_the_openapi_document(app: Flask, w: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """Real check-outs in every state answer as the served document says (nullable times, enums, problems)."""
    monkeypatch.setattr(app, "wsgi_app", _isolated(app.wsgi_app))
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    handler_token, _ = issue_token(w["make"].user("handler", "approver", "keeper", agency=w["police"]))
    auth = {"Authorization": f"Bearer {handler_token}"}
    db.session.rollback()

    def call(method: str, path: str, status: int, body: Any = None, **path_parameters: str) -> Any:
        kwargs: dict[str, Any] = {"path_parameters": path_parameters}
        if body is not None:
            kwargs["body"] = body
        response = schema[path][method].Case(**kwargs).call_and_validate(headers=auth)
        assert response.status_code == status, response.text
        return response.json()

    number = call("POST", "/api/v1/checkouts", 201, _body(w))["number"]
    call("GET", "/api/v1/checkouts/{number}", 200, number=number)
    call("POST", "/api/v1/checkouts/{number}/release", 409, number=number)
    call("POST", "/api/v1/checkouts/{number}/approve", 200, number=number)
    call("POST", "/api/v1/checkouts/{number}/release", 200, {"items": w["codes"]}, number=number)
    call(
        "POST", "/api/v1/checkouts/{number}/return", 200, {"items": w["codes"][:1], "seal_intact": True}, number=number
    )
    call("POST", "/api/v1/checkouts/{number}/return", 200, {"seal_intact": False, "note": None}, number=number)
    call("POST", "/api/v1/checkouts/{number}/cancel", 409, number=number)
    call("POST", "/api/v1/checkouts", 422, _body(w, items=[]))
    call("GET", "/api/v1/checkouts", 200)


def test_scanning_a_check_out_number_finds_it_for_those_who_may_see_it(make, api, client, login):
    from custody import clock
    from custody.services import checkouts

    handler, keeper = make.user("handler"), make.keeper()
    shelf = make.location(keeper)
    item = make.stored_items(handler, keeper, shelf, 1)[0]
    out = checkouts.request_checkout(
        handler, [item.code], "appraisal", clock.now() + timedelta(days=1), handler.username
    )
    found = api(keeper).get(f"/api/v1/scan?code=http://x/s/{out.number}").get_json()
    assert (found["kind"], found["code"], found["object"]["number"]) == ("checkout", out.number, out.number)
    assert api(make.user("handler")).get(f"/api/v1/scan?code={out.number}").status_code == 404
    login(keeper)
    assert client.get(f"/s/{out.number}").headers["Location"].endswith(f"/checkouts/{out.number}")
