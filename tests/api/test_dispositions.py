"""Dispositions over HTTP: the contract's paths, fields, status and error codes (API.md "Dispositions").

Every step is driven with the bearer tokens of the people who take it in real life (the police handler
and approver who answer for the items, the centre's keeper who scans them out), and read back through
the API, the ledger included.
"""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from custody import clock
from custody.extensions import db
from custody.services.auth import issue_token
from tests.factories import api_item, image_bytes
from tests.services.test_dispositions import BASIS

BASE = "/api/v1/dispositions"
SUMMARY_KEYS = {
    "number",
    "case_no",
    "agency",
    "kind",
    "status",
    "basis_doc_no",
    "recipient",
    "reason",
    "item_count",
    "requested_by",
    "requested_at",
    "approved_by",
    "approved_at",
    "executed_by",
    "executed_at",
    "cancelled_by",
    "cancelled_at",
    "execution_seq",
    "execution_hash",
    "record_sha256",
}
LINE_KEYS = {"code", "name", "category", "quantity", "unit", "flags", "seal_no", "location", "scanned", "status"}


class World:
    """A police handler and approver, a procuratorate approver, a centre keeper, an auditor, a stranger;
    a police case with 3 items on one shelf."""

    def __init__(self, make: Any, api: Any) -> None:
        self.make, self.api = make, api
        self.police = make.agency("police")
        self.handler_user = make.user("handler", agency=self.police)
        self.approver_user = make.user("approver", agency=self.police)
        self.handler = api(self.handler_user)
        self.approver = api(self.approver_user)
        self.keeper_user = make.keeper()
        self.keeper = api(self.keeper_user)
        self.auditor = api(make.user("auditor", kind="supervision"))
        self.stranger = api(make.user("handler", "approver", kind="police"))
        self.proc = make.agency("procuratorate")
        self.proc_handler = api(make.user("handler", agency=self.proc))
        self.shelf = make.location(self.keeper_user, name="Shelf A")
        self.case = make.case(self.handler_user)
        items = make.stored_items(self.handler_user, self.keeper_user, self.shelf, 3, case=self.case)
        self.codes = [i.code for i in items]

    def request(self, **body: Any) -> Any:
        sent: dict[str, Any] = {"items": self.codes, "kind": "destroy", "basis_doc_no": BASIS}
        sent.update(body)
        return self.handler.post(BASE, json=sent)

    def requested(self, **body: Any) -> str:
        number: str = _ok(self.request(**body), 201)["number"]
        return number

    def approved(self, **body: Any) -> str:
        number = self.requested(**body)
        _ok(self.approver.post(f"{BASE}/{number}/approve"))
        return number

    def executed(self, **body: Any) -> str:
        number = self.approved(**body)
        _ok(self.keeper.post(f"{BASE}/{number}/execute", json={"items": body.get("items", self.codes)}))
        return number

    def entries_after(self, seq: int) -> list[dict[str, Any]]:
        page = self.auditor.get("/api/v1/ledger/entries", query_string={"after": seq, "limit": 1000})
        entries: list[dict[str, Any]] = _ok(page)["items"]
        return entries

    def head(self) -> int:
        seq: int = _ok(self.auditor.get("/api/v1/ledger/head"))["seq"]
        return seq

    def chain_ok(self) -> None:
        verified = _ok(self.auditor.post("/api/v1/ledger/verify"))
        assert verified["ok"] is True and verified["first_bad_seq"] is None, verified


@pytest.fixture
def w(make: Any, api: Any) -> World:
    return World(make, api)


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    problem: dict[str, Any] = response.get_json()
    assert problem["code"] == code, problem
    return problem


# --- the way through ----------------------------------------------------------------------------------------------


def test_request_approve_execute_answer_the_contract(w: World) -> None:
    body = _ok(w.request(kind="return_to_owner", recipient="Li Si", items=[c.lower() for c in w.codes]), 201)
    assert set(body) == SUMMARY_KEYS | {"items"} and all(set(line) == LINE_KEYS for line in body["items"])
    assert body["number"].startswith("D") and body["status"] == "requested"
    assert (body["case_no"], body["agency"], body["kind"]) == (w.case.case_no, w.police.code, "return_to_owner")
    assert (body["basis_doc_no"], body["recipient"], body["reason"]) == (BASIS, "Li Si", None)
    assert body["requested_by"] == w.handler_user.username and body["requested_at"].endswith("Z")
    assert body["item_count"] == 3 and [line["code"] for line in body["items"]] == w.codes
    assert {(line["scanned"], line["location"], line["status"]) for line in body["items"]} == {
        (False, None, "in_storage")
    }
    number = body["number"]
    approved = _ok(w.approver.post(f"{BASE}/{number}/approve"))
    assert approved["status"] == "approved" and approved["approved_by"] == w.approver_user.username
    scan = _ok(w.keeper.post(f"{BASE}/{number}/scans", json={"code": f"http://custody.test/s/{w.codes[0]}"}))
    assert scan == {"code": w.codes[0], "result": "scanned", "scanned": 1, "total": 3}
    done = _ok(w.keeper.post(f"{BASE}/{number}/execute", json={"items": w.codes[1:]}))
    assert done["status"] == "executed" and done["executed_by"] == w.keeper_user.username
    assert done["execution_seq"] == w.head() and len(done["execution_hash"]) == 64
    assert {(line["scanned"], line["location"], line["status"]) for line in done["items"]} == {
        (True, w.shelf.code, "disposed")
    }
    for code in w.codes:
        item = _ok(w.handler.get(f"/api/v1/items/{code}"))
        assert item["status"] == "disposed" and item["location"] is None
    assert _ok(w.auditor.get(f"{BASE}/{number}")) == done
    w.chain_ok()


def test_each_step_is_a_ledger_entry_listing_the_items(w: World) -> None:
    before = w.head()
    number = w.executed(kind="confiscate")
    entries = w.entries_after(before)
    assert [e["kind"] for e in entries] == ["disposition.requested", "disposition.approved", "disposition.executed"]
    for entry in entries:
        assert sorted(entry["items"]) == sorted(w.codes) and entry["case_no"] == w.case.case_no
        assert entry["data"]["number"] == number and entry["data"]["kind"] == "confiscate"
        assert entry["data"]["basis_doc_no"] == BASIS
    history = _ok(w.auditor.get(f"/api/v1/items/{w.codes[0]}/history"))["entries"]
    assert history[-1]["kind"] == "disposition.executed"
    w.chain_ok()


def test_execute_without_a_body_uses_the_scans(w: World) -> None:
    number = w.approved()
    problem = _problem(w.keeper.post(f"{BASE}/{number}/execute"), 422, "invalid_input")
    assert problem["errors"] == {"items": [f"Not scanned: {', '.join(sorted(w.codes))}"]}
    for code in w.codes:
        _ok(w.keeper.post(f"{BASE}/{number}/scans", json={"code": code}))
    again = _ok(w.keeper.post(f"{BASE}/{number}/scans", json={"code": w.codes[0]}))
    assert again["result"] == "duplicate" and again["scanned"] == 3
    assert _ok(w.keeper.post(f"{BASE}/{number}/execute"))["status"] == "executed"


def test_cancel_and_list(w: World) -> None:
    first = w.requested(items=[w.codes[0]])
    second = w.approved(items=[w.codes[1]])
    cancelled = _ok(w.handler.post(f"{BASE}/{first}/cancel", json={"reason": "Appeal"}))
    assert cancelled["status"] == "cancelled" and cancelled["cancelled_by"] == w.handler_user.username
    _problem(w.approver.post(f"{BASE}/{first}/cancel"), 409, "invalid_state")
    listed = _ok(w.handler.get(BASE))
    assert [d["number"] for d in listed["items"]] == [first, second] and listed["next"] is None
    assert set(listed["items"][0]) == SUMMARY_KEYS
    assert [d["number"] for d in _ok(w.auditor.get(BASE, query_string={"status": "approved"}))["items"]] == [second]
    by_case = _ok(w.keeper.get(BASE, query_string={"case_no": w.case.case_no, "limit": 1}))
    assert [d["number"] for d in by_case["items"]] == [first] and by_case["next"]
    assert _ok(w.stranger.get(BASE))["items"] == []
    _problem(w.handler.get(BASE, query_string={"status": "lost"}), 422, "invalid_input")


# --- errors -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"basis_doc_no": ""}, "basis_doc_no"),
        ({"basis_doc_no": None}, "basis_doc_no"),
        ({"kind": "melt"}, "kind"),
        ({"kind": "return_to_owner"}, "recipient"),
        ({"kind": "transfer_out", "recipient": "  "}, "recipient"),
        ({"kind": "early_sale", "reason": "rots"}, "items"),
        ({"items": []}, "items"),
    ],
)
def test_bad_requests_are_422_naming_the_field(w: World, body: dict[str, Any], field: str) -> None:
    before = w.head()
    problem = _problem(w.request(**body), 422, "invalid_input")
    assert field in problem["errors"], problem
    assert w.head() == before


def test_early_sale_of_perishable_items_with_a_reason(w: World) -> None:
    fruit = w.make.stored_items(w.handler_user, w.keeper_user, w.shelf, 1, case=w.case, flags=["perishable"])[0]
    problem = _problem(w.request(kind="early_sale", items=[fruit.code]), 422, "invalid_input")
    assert set(problem["errors"]) == {"reason"}
    body = _ok(w.request(kind="early_sale", items=[fruit.code], reason="It rots"), 201)
    assert body["reason"] == "It rots" and body["items"][0]["flags"] == ["perishable"]


def test_early_sale_of_a_depreciating_item(w: World) -> None:
    """Design §5.6: perishable *or depreciating* items may be sold early; the flag is registered like any other."""
    row = {**api_item(), "category": "vehicle", "flags": ["depreciating"]}
    created = _ok(w.handler.post(f"/api/v1/cases/{w.case.case_no}/items", json={"items": [row]}), 201)["items"][0]
    assert created["flags"] == ["depreciating"]
    car = w.make.stored_items(w.handler_user, w.keeper_user, w.shelf, 1, case=w.case, flags=["depreciating"])[0]
    body = _ok(w.request(kind="early_sale", items=[car.code], reason="Loses value every month"), 201)
    assert body["kind"] == "early_sale"


def test_unavailable_items_are_409_naming_each(w: World) -> None:
    w.requested(items=[w.codes[0]])
    registered = w.make.items(w.handler_user, w.case, 1)[0].code
    problem = _problem(w.request(items=[w.codes[0], registered, w.codes[1]]), 409, "items_unavailable")
    assert w.codes[0] in problem["detail"] and registered in problem["detail"]
    assert w.codes[1] not in problem["detail"]


def test_who_may_do_what(w: World) -> None:
    _problem(w.keeper.post(BASE, json={"items": w.codes, "kind": "destroy", "basis_doc_no": BASIS}), 403, "forbidden")
    _problem(w.stranger.post(BASE, json={"items": w.codes, "kind": "destroy", "basis_doc_no": BASIS}), 404, "not_found")
    number = w.requested()
    _problem(w.stranger.get(f"{BASE}/{number}"), 404, "not_found")
    _problem(w.proc_handler.get(f"{BASE}/{number}"), 404, "not_found")
    _problem(w.stranger.post(f"{BASE}/{number}/approve"), 404, "not_found")
    _problem(w.handler.post(f"{BASE}/{number}/approve"), 403, "forbidden")
    _problem(w.keeper.post(f"{BASE}/{number}/approve"), 403, "forbidden")
    _problem(w.keeper.post(f"{BASE}/{number}/execute", json={"items": w.codes}), 409, "invalid_state")
    _ok(w.approver.post(f"{BASE}/{number}/approve"))
    _problem(w.approver.post(f"{BASE}/{number}/approve"), 409, "invalid_state")
    _problem(w.handler.post(f"{BASE}/{number}/execute", json={"items": w.codes}), 403, "forbidden")
    _problem(w.handler.post(f"{BASE}/{number}/scans", json={"code": w.codes[0]}), 403, "forbidden")
    _problem(w.keeper.post(f"{BASE}/{number}/cancel"), 403, "forbidden")
    _problem(w.keeper.post(f"{BASE}/{number}/scans", json={"code": "I0000000000"}), 422, "invalid_input")
    _problem(w.keeper.post(f"{BASE}/DNOSUCH/approve"), 404, "not_found")
    anonymous = w.keeper.client.get(f"{BASE}/{number}")
    _problem(anonymous, 401, "unauthorized")


def test_the_custodian_answers_for_its_items_while_the_case_has_moved_on(w: World, make: Any, api: Any) -> None:
    """A rejected handover item stays with the police while the procuratorate holds the case: each agency
    disposes of what it answers for, and the other gets 403 wrong_agency though it sees the disposition."""
    from custody.services import handovers

    proc_handler = make.user("handler", agency=w.proc)
    proc_approver = api(make.user("approver", agency=w.proc))
    handover = handovers.request_handover(w.handler_user, w.case.case_no, w.proc.code)
    handovers.approve_handover(w.approver_user, handover.number)
    handovers.check_presence(w.keeper_user, handover.number, w.codes)
    handovers.accept_handover(proc_handler, handover.number, [{"code": w.codes[2], "reason": "Not evidence"}])
    terms = {"kind": "confiscate", "basis_doc_no": BASIS}
    problem = _problem(w.proc_handler.post(BASE, json={"items": w.codes, **terms}), 403, "wrong_agency")
    assert w.codes[2] in problem["detail"] and w.codes[0] not in problem["detail"]
    _problem(w.request(items=[w.codes[0]]), 403, "wrong_agency")
    number = w.requested(items=[w.codes[2]])
    assert _ok(proc_approver.get(f"{BASE}/{number}"))["agency"] == w.police.code  # it sees the case's dispositions
    _problem(proc_approver.post(f"{BASE}/{number}/approve"), 403, "wrong_agency")
    _problem(w.proc_handler.post(f"{BASE}/{number}/cancel"), 403, "wrong_agency")
    theirs = _ok(w.proc_handler.post(BASE, json={"items": w.codes[:2], **terms}), 201)
    assert theirs["agency"] == w.proc.code
    _problem(w.approver.post(f"{BASE}/{theirs['number']}/approve"), 403, "wrong_agency")
    assert _ok(proc_approver.post(f"{BASE}/{theirs['number']}/approve"))["status"] == "approved"


# --- a disposed item: every later act answers 409 -----------------------------------------------------------------


def _upload(client: Any, code: str, data: bytes) -> Any:
    boundary, body = encode_multipart(
        MultiDict({"file": FileStorage(io.BytesIO(data), filename="p.jpg", content_type="image/jpeg")})
    )
    return client.post(
        f"/api/v1/items/{code}/photos", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def test_a_disposed_item_is_read_only_forever(w: World) -> None:
    w.executed(items=[w.codes[0]])
    gone = w.codes[0]
    other = _ok(w.keeper.post("/api/v1/locations", json={"name": "Store B", "kind": "warehouse"}), 201)["code"]
    before = w.head()
    _problem(
        w.keeper.post(f"/api/v1/items/{gone}/intake", json={"location": w.shelf.code, "seal_intact": True}),
        409,
        "invalid_state",
    )
    _problem(w.keeper.post(f"/api/v1/items/{gone}/move", json={"location": other}), 409, "invalid_state")
    due = (clock.now() + timedelta(days=2)).isoformat()
    checkout = {"items": [gone], "purpose": "appraisal", "due_at": due, "taken_by": w.handler_user.username}
    problem = _problem(w.handler.post("/api/v1/checkouts", json=checkout), 409, "items_unavailable")
    assert gone in problem["detail"]
    handover = {"case_no": w.case.case_no, "to_agency": w.proc.code, "items": [gone]}
    problem = _problem(w.handler.post("/api/v1/handovers", json=handover), 409, "items_unavailable")
    assert gone in problem["detail"]
    problem = _problem(w.request(items=[gone]), 409, "items_unavailable")
    assert gone in problem["detail"]
    _problem(_upload(w.handler, gone, image_bytes("JPEG")), 409, "invalid_state")
    assert w.head() == before
    # A fresh label for an item that left the centre could end up on something else.
    labels = w.handler.post("/api/v1/labels", json={"items": [gone, w.codes[1]], "layout": "a4-3x8"})
    assert gone in _problem(labels, 409, "invalid_state")["detail"]
    kept = w.handler.post("/api/v1/labels", json={"items": [w.codes[1]], "layout": "a4-3x8"})
    assert kept.status_code == 200 and kept.mimetype == "application/pdf"
    w.chain_ok()


# --- the record -------------------------------------------------------------------------------------------------


def test_the_record_pdf_once_executed(w: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from custody.documents import disposition_record

    monkeypatch.setattr(disposition_record, "render", lambda record: f"%PDF-1.4 {record.number}".encode())
    number = w.approved()
    _problem(w.handler.get(f"{BASE}/{number}/record.pdf"), 409, "invalid_state")
    _ok(w.keeper.post(f"{BASE}/{number}/execute", json={"items": w.codes}))
    _problem(w.stranger.get(f"{BASE}/{number}/record.pdf"), 404, "not_found")
    before = w.head()
    response = w.handler.get(f"{BASE}/{number}/record.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.get_data() == f"%PDF-1.4 {number}".encode()
    assert f"disposition-{number}.pdf" in response.headers["Content-Disposition"]
    (entry,) = w.entries_after(before)
    assert entry["kind"] == "disposition.record_issued" and entry["data"]["number"] == number
    assert _ok(w.auditor.get(f"{BASE}/{number}"))["record_sha256"] == entry["data"]["sha256"]
    assert w.auditor.get(f"{BASE}/{number}/record.pdf").get_data() == response.get_data()
    assert w.head() == entry["seq"]


def test_the_openapi_document_describes_every_disposition_path(client: Any) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in (
        BASE,
        f"{BASE}/{{number}}",
        f"{BASE}/{{number}}/approve",
        f"{BASE}/{{number}}/scans",
        f"{BASE}/{{number}}/execute",
        f"{BASE}/{{number}}/cancel",
        f"{BASE}/{{number}}/record.pdf",
    ):
        assert path in paths, path


# --- two keepers at once over HTTP: one 200, one 409 ---------------------------------------------------------------


def test_two_keepers_executing_at_once_one_gets_409(app: Any, w: World, make: Any) -> None:
    from tests.services.test_concurrency import _run_together

    tokens = [issue_token(w.keeper_user)[0], issue_token(make.user("keeper", agency=w.keeper_user.agency))[0]]
    number = w.approved()
    db.session.rollback()

    def work(i: int) -> Any:
        response = app.test_client().post(
            f"{BASE}/{number}/execute", json={"items": w.codes}, headers={"Authorization": f"Bearer {tokens[i]}"}
        )
        return response.status_code, response.get_json()

    results = _run_together(app, work, 2)
    db.session.rollback()
    assert sorted(status for status, _ in results) == [200, 409], results
    (lost,) = [body for status, body in results if status == 409]
    assert lost["code"] == "invalid_state"
    executed = [e for e in w.entries_after(0) if e["kind"] == "disposition.executed"]
    assert len(executed) == 1
    w.chain_ok()
