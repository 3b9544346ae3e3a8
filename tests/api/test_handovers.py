"""Handovers over HTTP: the contract's paths, fields, status and error codes (API.md "Handovers").

"Case moves, item stays": every test drives the flow with bearer tokens of the people who do it in
real life (a handler and an approver of each agency, a keeper of the centre) and reads the results
back through the API, the ledger included, as another agency's system would.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from custody import clock
from custody.api.schemas.common import utc_z
from custody.extensions import db
from custody.models import Item, ItemStatus, LedgerEntry
from custody.services import checkouts, handovers

BASE = "/api/v1/handovers"
LINE_KEYS = {"code", "name", "moves", "state", "reason", "presence", "location"}
SUMMARY_KEYS = {
    "number",
    "case_no",
    "from_agency",
    "to_agency",
    "kind",
    "status",
    "note",
    "reason",
    "requested_by",
    "requested_at",
    "approved_by",
    "approved_at",
    "checked_by",
    "checked_at",
    "decided_by",
    "decided_at",
    "decision_seq",
    "receipt_sha256",
    "checkout",
}
HANDOVER_KEYS = SUMMARY_KEYS | {"items"}
Step = tuple[Any, str, dict[str, Any]]


class Side:
    """A case-holding agency with a handler and an approver, each with an API client."""

    def __init__(self, make: Any, api: Any, kind: str) -> None:
        self.agency = make.agency(kind)
        self.code = self.agency.code
        self.handler_user = make.user("handler", agency=self.agency)
        self.approver_user = make.user("approver", agency=self.agency)
        self.handler = api(self.handler_user)
        self.approver = api(self.approver_user)


class World:
    """Police, a procuratorate and a court; a centre keeper and an auditor; a police case with 3 stored items."""

    def __init__(self, make: Any, api: Any) -> None:
        self.make, self.api = make, api
        self.police = Side(make, api, "police")
        self.proc = Side(make, api, "procuratorate")
        self.court = Side(make, api, "court")
        self.keeper_user = make.keeper()
        self.keeper = api(self.keeper_user)
        self.auditor = api(make.user("auditor", kind="supervision"))
        self.shelf = make.location(self.keeper_user, name="Shelf A")
        self.case = make.case(self.police.handler_user)
        self.case_no = self.case.case_no
        items = make.stored_items(self.police.handler_user, self.keeper_user, self.shelf, 3, case=self.case)
        self.codes = [i.code for i in items]

    def request(self, **body: Any) -> Any:
        """POST /handovers by the police handler: the case to the procuratorate unless ``body`` says otherwise."""
        sent = {"case_no": self.case_no, "to_agency": self.proc.code}
        sent.update(body)
        return self.police.handler.post(BASE, json=sent)

    def requested(self, **body: Any) -> dict[str, Any]:
        return _ok(self.request(**body), 201)

    def approved(self, **body: Any) -> str:
        number: str = self.requested(**body)["number"]
        _ok(self.police.approver.post(f"{BASE}/{number}/approve"))
        return number

    def checked(self, **body: Any) -> str:
        number = self.approved(**body)
        _ok(self.keeper.post(f"{BASE}/{number}/presence-check", json={"present": body.get("items", self.codes)}))
        return number

    def entries_after(self, seq: int) -> list[dict[str, Any]]:
        page = self.auditor.get("/api/v1/ledger/entries", query_string={"after": seq, "limit": 1000})
        entries: list[dict[str, Any]] = _ok(page)["items"]
        return entries

    def chain_ok(self) -> None:
        verified = _ok(self.auditor.post("/api/v1/ledger/verify"))
        assert verified["ok"] is True and verified["first_bad_seq"] is None, verified

    def item(self, code: str, client: Any = None) -> dict[str, Any]:
        item: dict[str, Any] = _ok((client or self.keeper).get(f"/api/v1/items/{code}"))
        return item

    def custodians(self) -> dict[str, str]:
        return {code: self.item(code)["custodian"] for code in self.codes}


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


def _head() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.max(LedgerEntry.seq))) or 0


def _status_of(w: World, number: str) -> str:
    status: str = _ok(w.keeper.get(f"{BASE}/{number}"))["status"]
    return status


def _lines(body: dict[str, Any], *fields: str) -> dict[str, Any]:
    """code → the line's ``fields`` (one field: its value; several: a tuple)."""
    pick: Callable[[dict[str, Any]], Any] = (
        (lambda line: line[fields[0]]) if len(fields) == 1 else (lambda line: tuple(line[f] for f in fields))
    )
    return {line["code"]: pick(line) for line in body["items"]}


# --- the request: shape, defaults, kinds ----------------------------------------------------------


def test_request_answers_the_contract_shape(w: World) -> None:
    c0, c1, _ = w.codes
    body = w.requested(items=[c0, c1], moves_with_case=[c1.lower()], note="Bring the phone along")
    assert set(body) == HANDOVER_KEYS and all(set(line) == LINE_KEYS for line in body["items"])
    assert body["number"].startswith("H") and body["case_no"] == w.case_no
    assert (body["from_agency"], body["to_agency"]) == (w.police.code, w.proc.code)
    assert (body["kind"], body["status"]) == ("prosecution_review", "requested")
    assert body["note"] == "Bring the phone along" and body["requested_by"] == w.police.handler_user.username
    assert body["requested_at"].endswith("Z") and body["reason"] is None
    assert body["approved_at"] is None and body["checked_at"] is None and body["decided_at"] is None
    assert body["decision_seq"] is None and body["checkout"] is None and body["receipt_sha256"] is None
    assert list(_lines(body, "moves").items()) == [(c0, False), (c1, True)]
    assert set(_lines(body, "state", "reason", "presence", "location").values()) == {("pending", None, None, None)}
    assert _ok(w.police.handler.get(f"{BASE}/{body['number']}")) == body
    assert _ok(w.proc.handler.get(f"{BASE}/{body['number'].lower()}")) == body  # the receiver sees it already


def test_items_default_to_every_item_of_the_case_that_is_not_disposed(w: World) -> None:
    # No disposition service exists yet: the status is set as an executed disposition leaves it.
    db.session.execute(update(Item).where(Item.code == w.codes[2]).values(status=ItemStatus.DISPOSED))
    db.session.commit()
    (fresh,) = w.make.items(w.police.handler_user, w.case, 1)  # registered, not yet on a shelf
    body = w.requested()
    assert list(_lines(body, "moves").items()) == [(w.codes[0], False), (w.codes[1], False), (fresh.code, False)]
    _ok(w.police.handler.post(f"{BASE}/{body['number']}/cancel"))
    disposed = _problem(w.request(items=[w.codes[2]]), 409, "items_unavailable")
    assert w.codes[2] in disposed["detail"] and "disposed" in disposed["detail"]


def test_each_pair_of_agencies_makes_its_kind_and_the_stage_follows(w: World) -> None:
    police2 = Side(w.make, w.api, "police")
    proc2 = Side(w.make, w.api, "procuratorate")
    court2 = Side(w.make, w.api, "court")
    steps = [
        (w.police, w.proc, "prosecution_review", "prosecution_review"),
        (w.proc, w.police, "supplementary_investigation", "investigation"),
        (w.police, police2, "transfer", "investigation"),
        (police2, w.proc, "prosecution_review", "prosecution_review"),
        (w.proc, proc2, "transfer", "prosecution_review"),  # a change of jurisdiction keeps the stage it had
        (proc2, w.court, "indictment", "trial"),
        (w.court, court2, "appeal", "trial"),
    ]
    for sender, receiver, kind, stage in steps:
        body = _ok(sender.handler.post(BASE, json={"case_no": w.case_no, "to_agency": receiver.code}), 201)
        assert (body["from_agency"], body["to_agency"], body["kind"]) == (sender.code, receiver.code, kind)
        assert list(_lines(body, "state")) == w.codes  # every item, now in the sender's custody
        number = body["number"]
        _ok(sender.approver.post(f"{BASE}/{number}/approve"))
        _ok(w.keeper.post(f"{BASE}/{number}/presence-check", json={"present": w.codes}))
        assert _ok(receiver.approver.post(f"{BASE}/{number}/accept"))["status"] == "accepted"
        case = _ok(receiver.handler.get(f"/api/v1/cases/{w.case_no}"))
        assert (case["agency"], case["stage"]) == (receiver.code, stage), kind
        assert set(w.custodians().values()) == {receiver.code}
    holders = [a.code for a in (w.police, w.proc, w.police, police2, w.proc, proc2, w.court, court2)]
    assert _ok(court2.handler.get(f"/api/v1/cases/{w.case_no}"))["holders"] == holders
    w.chain_ok()


# --- every transition ---------------------------------------------------------------------------


def test_the_whole_way_accepted(w: World) -> None:
    number = w.requested()["number"]
    approved = _ok(w.police.approver.post(f"{BASE}/{number}/approve"))
    assert approved["status"] == "approved" and approved["approved_by"] == w.police.approver_user.username
    assert approved["approved_at"].endswith("Z")
    checked = _ok(w.keeper.post(f"{BASE}/{number}/presence-check", json={"present": w.codes}))
    assert checked["status"] == "checked" and checked["checked_by"] == w.keeper_user.username
    assert set(_lines(checked, "presence", "location").values()) == {("present", w.shelf.code)}
    accepted = _ok(w.proc.handler.post(f"{BASE}/{number}/accept", json={}))
    assert accepted["status"] == "accepted" and accepted["decided_by"] == w.proc.handler_user.username
    assert accepted["decided_at"].endswith("Z") and accepted["decision_seq"] is not None
    assert set(_lines(accepted, "state", "reason").values()) == {("accepted", None)}
    assert accepted["checkout"] is None  # nothing was marked to move with the case
    case = _ok(w.proc.handler.get(f"/api/v1/cases/{w.case_no}"))
    assert (case["agency"], case["stage"]) == (w.proc.code, "prosecution_review")
    assert case["holders"] == [w.police.code, w.proc.code]
    for code in w.codes:
        item = w.item(code, w.proc.handler)
        assert item["custodian"] == w.proc.code
        assert (item["status"], item["location"]) == ("in_storage", w.shelf.code)  # the item stays on its shelf
    w.chain_ok()


def test_accept_refusing_some_items_is_partially_accepted(w: World) -> None:
    c0, c1, c2 = w.codes
    number = w.checked()
    refused = [{"code": c2.lower(), "reason": "Not evidence of this charge"}]
    done = _ok(w.proc.approver.post(f"{BASE}/{number}/accept", json={"reject": refused}))
    assert done["status"] == "partially_accepted"
    assert _lines(done, "state", "reason") == {
        c0: ("accepted", None),
        c1: ("accepted", None),
        c2: ("rejected", "Not evidence of this charge"),
    }
    assert w.custodians() == {c0: w.proc.code, c1: w.proc.code, c2: w.police.code}
    case = _ok(w.proc.handler.get(f"/api/v1/cases/{w.case_no}"))
    assert (case["agency"], case["holders"]) == (w.proc.code, [w.police.code, w.proc.code])
    assert case["stage"] == "prosecution_review"
    w.chain_ok()


@pytest.mark.parametrize("at", ["approved", "checked"])
def test_reject_moves_nothing(w: World, at: str) -> None:
    number = w.approved() if at == "approved" else w.checked()
    start = _head()
    _problem(w.proc.handler.post(f"{BASE}/{number}/reject", json={}), 422, "invalid_input")
    blank = _problem(w.proc.handler.post(f"{BASE}/{number}/reject", json={"reason": "  "}), 422, "invalid_input")
    assert set(blank["errors"]) == {"reason"} and _head() == start
    done = _ok(w.proc.handler.post(f"{BASE}/{number}/reject", json={"reason": "Files incomplete"}))
    assert done["status"] == "rejected" and done["reason"] == "Files incomplete"
    assert done["decided_by"] == w.proc.handler_user.username and done["decision_seq"] is not None
    assert set(_lines(done, "state", "reason").values()) == {("rejected", "Files incomplete")}
    assert set(w.custodians().values()) == {w.police.code}
    case = _ok(w.police.handler.get(f"/api/v1/cases/{w.case_no}"))
    assert (case["agency"], case["stage"], case["holders"]) == (w.police.code, "investigation", [w.police.code])
    _problem(w.proc.handler.get(f"/api/v1/cases/{w.case_no}"), 404, "not_found")  # it never held the case
    assert w.requested()["status"] == "requested"  # the case and its items are free for the next handover
    w.chain_ok()


@pytest.mark.parametrize("at", ["requested", "approved", "checked"])
def test_cancel_by_the_sender_before_the_decision(w: World, at: str) -> None:
    number = {"requested": lambda: w.requested()["number"], "approved": w.approved, "checked": w.checked}[at]()
    who = w.police.approver if at == "approved" else w.police.handler
    done = _ok(who.post(f"{BASE}/{number}/cancel", json={"reason": "Wrong court"}))
    assert done["status"] == "cancelled" and done["reason"] == "Wrong court"
    assert done["decided_by"] == (w.police.approver_user if at == "approved" else w.police.handler_user).username
    assert set(w.custodians().values()) == {w.police.code}
    assert _ok(w.police.handler.get(f"/api/v1/cases/{w.case_no}"))["agency"] == w.police.code
    again = w.requested()  # its items are free again
    assert list(_lines(again, "state")) == w.codes
    assert _ok(w.police.handler.post(f"{BASE}/{again['number']}/cancel"))["reason"] is None  # no body: no reason
    w.chain_ok()


def test_steps_out_of_order_are_409_and_change_nothing(w: World) -> None:
    def refused(number: str, *steps: Step) -> None:
        start, status = _head(), _status_of(w, number)
        for client, step, body in steps:
            _problem(client.post(f"{BASE}/{number}/{step}", json=body), 409, "invalid_state")
        assert _head() == start and _status_of(w, number) == status

    approve: Step = (w.police.approver, "approve", {})
    scan: Step = (w.keeper, "scans", {"code": w.codes[0]})
    check: Step = (w.keeper, "presence-check", {"present": w.codes})
    accept: Step = (w.proc.handler, "accept", {})
    reject: Step = (w.proc.handler, "reject", {"reason": "Files incomplete"})
    cancel: Step = (w.police.handler, "cancel", {})
    every = (approve, scan, check, accept, reject, cancel)

    number = w.requested()["number"]  # rejected at approval, once checked
    refused(number, scan, check, accept, reject)
    _ok(w.police.approver.post(f"{BASE}/{number}/approve"))
    refused(number, approve, accept)
    _ok(w.keeper.post(f"{BASE}/{number}/presence-check", json={"present": w.codes}))
    refused(number, approve, scan, check)
    _ok(w.proc.handler.post(f"{BASE}/{number}/reject", json={"reason": "Files incomplete"}))
    refused(number, *every)

    number = w.requested()["number"]
    _ok(w.police.handler.post(f"{BASE}/{number}/cancel"))
    refused(number, *every)

    number = w.checked()
    _ok(w.proc.handler.post(f"{BASE}/{number}/accept"))
    refused(number, *every)


def test_presence_check_by_scanning_and_marking_missing(w: World, make: Any) -> None:
    c0, c1, c2 = w.codes
    number = w.approved()
    scanned = _ok(w.keeper.post(f"{BASE}/{number}/scans", json={"code": f"http://custody.test/s/{c0}"}))
    assert scanned == {"code": c0, "result": "present", "checked": 1, "total": 3}
    again = _ok(w.keeper.post(f"{BASE}/{number}/scans", json={"code": c0.lower()}))
    assert again == {"code": c0, "result": "duplicate", "checked": 1, "total": 3}
    (stranger,) = make.stored_items(w.police.handler_user, w.keeper_user, w.shelf, 1)
    wrong = _problem(w.keeper.post(f"{BASE}/{number}/scans", json={"code": stranger.code}), 422, "invalid_input")
    assert set(wrong["errors"]) == {"code"} and stranger.code in wrong["detail"]

    start = _head()
    path = f"{BASE}/{number}/presence-check"
    unaccounted = _problem(w.keeper.post(path, json={"present": [], "missing": [c1]}), 422, "invalid_input")
    assert c2 in " ".join(unaccounted["errors"]["present"]) and c0 not in " ".join(unaccounted["errors"]["present"])
    both = _problem(w.keeper.post(path, json={"present": [c1, c2], "missing": [c1]}), 422, "invalid_input")
    assert c1 in " ".join(both["errors"]["missing"])
    alien = _problem(w.keeper.post(path, json={"present": [c1, c2, stranger.code]}), 422, "invalid_input")
    assert stranger.code in " ".join(alien["errors"]["present"])
    _problem(w.keeper.post(path, json={"missing": [c1, c2]}), 422, "invalid_input")  # present is required
    assert _head() == start and _status_of(w, number) == "approved"

    checked = _ok(w.keeper.post(path, json={"present": [c2], "missing": [c1]}))
    assert checked["status"] == "checked"
    assert _lines(checked, "presence", "location") == {
        c0: ("present", w.shelf.code),
        c1: ("missing", None),
        c2: ("present", w.shelf.code),
    }
    (entry,) = w.entries_after(start)
    assert entry["kind"] == "handover.checked" and entry["data"]["missing"] == [c1]

    done = _ok(w.proc.handler.post(f"{BASE}/{number}/accept"))  # no body: the missing item is refused for us
    assert done["status"] == "partially_accepted"
    assert _lines(done, "state", "reason") == {
        c0: ("accepted", None),
        c1: ("rejected", "missing at the presence check"),
        c2: ("accepted", None),
    }
    assert handovers.MISSING_REASON == "missing at the presence check"
    assert w.custodians() == {c0: w.proc.code, c1: w.police.code, c2: w.proc.code}


def test_a_missing_item_may_be_refused_in_the_receivers_own_words(w: World) -> None:
    c0, c1, c2 = w.codes
    number = w.approved()
    _ok(w.keeper.post(f"{BASE}/{number}/presence-check", json={"present": [c0, c2], "missing": [c1]}))
    done = _ok(w.proc.handler.post(f"{BASE}/{number}/accept", json={"reject": [{"code": c1, "reason": "Lost"}]}))
    assert _lines(done, "state", "reason")[c1] == ("rejected", "Lost")


# --- the rules ------------------------------------------------------------------------------------


def test_one_open_handover_per_case(w: World) -> None:
    first = w.requested(items=w.codes[:1])["number"]
    start = _head()
    for body in ({}, {"items": w.codes[1:]}, {"to_agency": w.court.code}):
        problem = _problem(w.request(**body), 409, "handover_open")
        assert first in problem["detail"]
    assert _head() == start


def test_items_in_a_check_out_are_unavailable_naming_them(w: World) -> None:
    c0, c1, c2 = w.codes
    police = w.police.handler_user
    due = clock.now() + timedelta(days=1)
    out = checkouts.request_checkout(police, [c0], "appraisal", due, police.username).number
    checkouts.approve_checkout(w.police.approver_user, out)
    checkouts.release_checkout(w.keeper_user, out, [c0])
    waiting = checkouts.request_checkout(police, [c1], "identification", due, police.username).number
    start = _head()
    refused = _problem(w.request(), 409, "items_unavailable")
    assert c0 in refused["detail"] and "checked out" in refused["detail"]
    assert c1 in refused["detail"] and waiting in refused["detail"]
    assert c2 not in refused["detail"]
    assert _problem(w.request(items=[c0, c2]), 409, "items_unavailable")["detail"].count(c0) == 1
    assert _head() == start
    body = w.requested(items=[c2])
    assert list(_lines(body, "state")) == [c2]


def test_a_check_out_of_an_item_in_an_open_handover_is_refused(w: World) -> None:
    number = w.requested(items=w.codes[:1])["number"]
    body = {
        "items": w.codes[:2],
        "purpose": "appraisal",
        "due_at": utc_z(clock.now() + timedelta(days=1)),
        "taken_by": w.police.handler_user.username,
    }
    refused = _problem(w.police.handler.post("/api/v1/checkouts", json=body), 409, "items_unavailable")
    assert w.codes[0] in refused["detail"] and number in refused["detail"] and w.codes[1] not in refused["detail"]
    body["items"] = w.codes[1:2]
    assert _ok(w.police.handler.post("/api/v1/checkouts", json=body), 201)["status"] == "requested"


def test_refused_requests_name_the_field(w: World, make: Any) -> None:
    (other,) = make.stored_items(w.police.handler_user, w.keeper_user, w.shelf, 1)  # another police case
    supervision = make.agency("supervision")
    start = _head()
    stranger = _problem(w.request(items=[w.codes[0], other.code]), 422, "invalid_input")
    assert set(stranger["errors"]) == {"items"} and other.code in stranger["errors"]["items"][0]
    for to_agency in ("NOPE", w.police.code, w.keeper_user.agency.code, supervision.code, ""):
        problem = _problem(w.request(to_agency=to_agency), 422, "invalid_input")
        assert set(problem["errors"]) == {"to_agency"}, (to_agency, problem)
    strays = _problem(w.request(items=w.codes[:1], moves_with_case=[w.codes[1]]), 422, "invalid_input")
    assert set(strays["errors"]) == {"moves_with_case"} and w.codes[1] in strays["errors"]["moves_with_case"][0]
    _problem(w.request(case_no=None), 422, "invalid_input")
    _problem(w.request(items="not a list"), 422, "invalid_input")
    assert _head() == start
    assert w.requested(to_agency=w.proc.code.lower())["to_agency"] == w.proc.code


def test_who_may_do_each_step(w: World, make: Any) -> None:
    court_keeper = w.api(make.user("keeper", agency=w.court.agency))  # a keeper who never held the case

    def refused(number: str, step: str, body: dict[str, Any], *who: tuple[Any, int, str]) -> None:
        start, status = _head(), _status_of(w, number)
        for client, code, error in who:
            _problem(client.post(f"{BASE}/{number}/{step}", json=body), code, error)
        assert _head() == start and _status_of(w, number) == status

    forbidden, wrong, unseen = (403, "forbidden"), (403, "wrong_agency"), (404, "not_found")
    body = {"case_no": w.case_no, "to_agency": w.proc.code}
    for client, (code, error) in (
        (w.keeper, forbidden),
        (w.police.approver, forbidden),
        (w.proc.handler, unseen),
        (w.court.handler, unseen),
    ):
        _problem(client.post(BASE, json=body), code, error)

    number = w.requested()["number"]
    refused(
        number,
        "approve",
        {},
        (w.police.handler, *forbidden),
        (w.keeper, *forbidden),
        (w.proc.approver, *wrong),
        (w.court.approver, *unseen),
    )
    refused(number, "cancel", {}, (w.keeper, *forbidden), (w.proc.handler, *wrong), (w.court.handler, *unseen))
    _problem(w.court.handler.get(f"{BASE}/{number}"), *unseen)
    _problem(w.police.handler.get(f"{BASE}/H00000000X"), *unseen)
    _problem(w.police.approver.post(f"{BASE}/H00000000X/approve"), *unseen)

    _ok(w.police.approver.post(f"{BASE}/{number}/approve"))
    for step, step_body in (("presence-check", {"present": w.codes}), ("scans", {"code": w.codes[0]})):
        refused(
            number,
            step,
            step_body,
            (w.police.approver, *forbidden),
            (w.proc.handler, *forbidden),
            (court_keeper, *unseen),
        )

    _ok(w.keeper.post(f"{BASE}/{number}/presence-check", json={"present": w.codes}))
    for step, step_body in (("accept", {}), ("reject", {"reason": "No"})):
        refused(
            number,
            step,
            step_body,
            (w.keeper, *forbidden),
            (w.police.handler, *wrong),
            (w.police.approver, *wrong),
            (w.court.handler, *unseen),
            (w.court.approver, *unseen),
        )

    _ok(w.proc.handler.post(f"{BASE}/{number}/accept"))
    again = _problem(w.police.handler.post(BASE, json={"case_no": w.case_no, "to_agency": w.court.code}), *wrong)
    assert w.proc.code in again["detail"]  # it held the case before, so it sees it: not a 404


def test_accept_with_bad_rejections_is_422_and_changes_nothing(w: World, make: Any) -> None:
    number = w.checked()
    (stranger,) = make.stored_items(w.police.handler_user, w.keeper_user, w.shelf, 1)
    start = _head()
    path = f"{BASE}/{number}/accept"
    _problem(w.proc.handler.post(path, json={"reject": [{"code": w.codes[0]}]}), 422, "invalid_input")
    _problem(w.proc.handler.post(path, json={"reject": [{"code": w.codes[0], "reason": ""}]}), 422, "invalid_input")
    spaces = {"reject": [{"code": w.codes[0], "reason": "   "}]}
    blank = _problem(w.proc.handler.post(path, json=spaces), 422, "invalid_input")
    assert blank["errors"] == {"reject": {"0": {"reason": ["Give the reason for rejecting this item"]}}}
    rows = [{"code": w.codes[0], "reason": "a"}, {"code": stranger.code, "reason": "b"}]
    alien = _problem(w.proc.handler.post(path, json={"reject": rows}), 422, "invalid_input")
    assert list(alien["errors"]["reject"]) == ["1"] and stranger.code in alien["errors"]["reject"]["1"]["code"][0]
    twice = [{"code": w.codes[0], "reason": "a"}, {"code": w.codes[0].lower(), "reason": "b"}]
    listed_twice = _problem(w.proc.handler.post(path, json={"reject": twice}), 422, "invalid_input")
    assert listed_twice["errors"] == {"reject": {"1": {"code": [f"{w.codes[0]} is listed twice"]}}}
    assert _head() == start and _status_of(w, number) == "checked"
    assert set(w.custodians().values()) == {w.police.code}


def test_unauthenticated_is_401(w: World, client: FlaskClient) -> None:
    number = w.requested()["number"]
    bad = {"Authorization": "Bearer not-a-token"}
    for headers in ({}, bad):
        for method, path in (
            ("POST", BASE),
            ("GET", BASE),
            ("GET", f"{BASE}/{number}"),
            ("POST", f"{BASE}/{number}/approve"),
            ("POST", f"{BASE}/{number}/cancel"),
        ):
            response = client.open(path, method=method, json={}, headers=headers)
            _problem(response, 401, "unauthorized")
    assert _status_of(w, number) == "requested"


# --- the ledger and the check-out of the items that move ------------------------------------------


@pytest.mark.parametrize("end", ["accept", "reject", "cancel"])
def test_every_step_appends_one_entry_listing_the_items(w: World, end: str) -> None:
    c0, c1, c2 = w.codes
    start = _head()
    number = w.requested(moves_with_case=[c0, c2], note="n")["number"]
    _ok(w.police.approver.post(f"{BASE}/{number}/approve"))
    _ok(w.keeper.post(f"{BASE}/{number}/scans", json={"code": c0}))  # a scan is a working note, not an act
    _ok(w.keeper.post(f"{BASE}/{number}/presence-check", json={"present": [c1, c2]}))
    if end == "accept":
        body = {"reject": [{"code": c2, "reason": "Not ours"}]}
        done = _ok(w.proc.handler.post(f"{BASE}/{number}/accept", json=body))
    elif end == "reject":
        done = _ok(w.proc.approver.post(f"{BASE}/{number}/reject", json={"reason": "Files incomplete"}))
    else:
        done = _ok(w.police.handler.post(f"{BASE}/{number}/cancel", json={"reason": "Changed our mind"}))
    entries = w.entries_after(start)
    ended = {"accept": "handover.accepted", "reject": "handover.rejected", "cancel": "handover.cancelled"}[end]
    steps = ["handover.requested", "handover.approved", "handover.checked", ended]
    tail = ["checkout.requested"] if end == "accept" else []
    assert [e["kind"] for e in entries] == steps + tail
    for entry in entries[:4]:
        assert entry["case_no"] == w.case_no and entry["items"] == sorted(w.codes)
        assert entry["data"]["number"] == number
    requested, approved, checked, decided = entries[:4]
    assert requested["actor"] == w.police.handler_user.username and requested["agency"] == w.police.code
    assert requested["data"]["to"] == w.proc.code and requested["data"]["kind"] == "prosecution_review"
    assert requested["data"]["moves_with_case"] == sorted([c0, c2])
    assert approved["actor"] == w.police.approver_user.username
    assert checked["actor"] == w.keeper_user.username and checked["data"]["missing"] == []
    if end == "accept":
        assert decided["actor"] == w.proc.handler_user.username and decided["agency"] == w.proc.code
        assert decided["data"]["rejected"] == [{"code": c2, "reason": "Not ours"}]
        assert decided["data"]["moves_with_case"] == [c0]  # the refused item stays, though it was to move
        assert (decided["data"]["accepted"], decided["data"]["stage"]) == (2, "prosecution_review")
        for entry in entries[4:]:
            assert entry["items"] == [c0] and entry["data"]["number"] == done["checkout"]
    if end != "cancel":
        assert decided["seq"] == done["decision_seq"]
    w.chain_ok()


def test_items_moving_with_the_case_leave_by_an_approved_check_out(w: World) -> None:
    c0, c1, c2 = w.codes
    number = w.checked(moves_with_case=[c0, c1])
    done = _ok(w.proc.handler.post(f"{BASE}/{number}/accept", json={"reject": [{"code": c1, "reason": "Not ours"}]}))
    assert _lines(done, "moves") == {c0: True, c1: True, c2: False}
    out = done["checkout"]
    checkout = _ok(w.proc.handler.get(f"/api/v1/checkouts/{out}"))
    assert (checkout["purpose"], checkout["status"], checkout["due_at"]) == ("moves_with_case", "approved", None)
    assert checkout["agency"] == w.proc.code and checkout["case_no"] == w.case_no
    assert [line["code"] for line in checkout["items"]] == [c0]  # the refused item does not move
    assert _ok(w.keeper.get(f"/api/v1/checkouts/{out}")) == checkout

    released = _ok(w.keeper.post(f"/api/v1/checkouts/{out}/release", json={"items": [c0]}))
    assert released["status"] == "released" and w.item(c0)["status"] == "checked_out"
    assert w.item(c0)["custodian"] == w.proc.code
    returned = _ok(w.keeper.post(f"/api/v1/checkouts/{out}/return", json={"seal_intact": True}))
    assert returned["status"] == "returned"
    assert (w.item(c0)["status"], w.item(c0)["location"]) == ("in_storage", w.shelf.code)
    w.chain_ok()


# --- who sees what, and lists ---------------------------------------------------------------------


def test_after_acceptance_the_receiver_and_the_sender_see_the_case_a_third_agency_does_not(w: World) -> None:
    number = w.checked()
    _problem(w.proc.handler.get(f"/api/v1/cases/{w.case_no}"), 404, "not_found")  # not before it holds it
    _ok(w.proc.handler.post(f"{BASE}/{number}/accept"))
    for client in (w.proc.handler, w.proc.approver, w.police.handler, w.police.approver):
        assert _ok(client.get(f"/api/v1/cases/{w.case_no}"))["agency"] == w.proc.code
        assert _ok(client.get(f"{BASE}/{number}"))["status"] == "accepted"
        for code in w.codes:
            assert w.item(code, client)["custodian"] == w.proc.code
    for client in (w.court.handler, w.court.approver):
        _problem(client.get(f"/api/v1/cases/{w.case_no}"), 404, "not_found")
        _problem(client.get(f"/api/v1/items/{w.codes[0]}"), 404, "not_found")
        _problem(client.get(f"{BASE}/{number}"), 404, "not_found")
        assert _ok(client.get(BASE))["items"] == []


def test_lists_filter_by_direction_status_and_case(w: World, make: Any) -> None:
    to_proc = w.requested()["number"]
    other = make.case(w.police.handler_user)
    make.stored_items(w.police.handler_user, w.keeper_user, w.shelf, 1, case=other)
    to_court = _ok(w.police.handler.post(BASE, json={"case_no": other.case_no, "to_agency": w.court.code}), 201)
    _ok(w.police.approver.post(f"{BASE}/{to_court['number']}/approve"))
    theirs = make.case(w.proc.handler_user)
    make.stored_items(w.proc.handler_user, w.keeper_user, w.shelf, 1, case=theirs)
    to_police = _ok(w.proc.handler.post(BASE, json={"case_no": theirs.case_no, "to_agency": w.police.code}), 201)

    def numbers(client: Any, **query: Any) -> list[str]:
        page = _ok(client.get(BASE, query_string=query))
        assert set(page) == {"items", "next"} and page["next"] is None
        assert all(set(h) == SUMMARY_KEYS for h in page["items"])
        return [h["number"] for h in page["items"]]

    police, proc, court = w.police.handler, w.proc.handler, w.court.approver
    everything = [to_proc, to_court["number"], to_police["number"]]
    assert numbers(police) == everything
    assert numbers(w.keeper) == everything and numbers(w.auditor) == everything
    assert numbers(police, direction="outgoing") == [to_proc, to_court["number"]]
    assert numbers(police, direction="outgoing", status="approved") == [to_court["number"]]
    assert numbers(police, direction="outgoing", status="requested") == [to_proc]
    assert numbers(police, direction="incoming") == [to_police["number"]]
    assert numbers(police, case_no=other.case_no) == [to_court["number"]]
    assert numbers(proc, direction="incoming") == [to_proc]
    assert numbers(proc, direction="outgoing") == [to_police["number"]]
    assert numbers(proc) == [to_proc, to_police["number"]]
    assert numbers(court, direction="incoming") == [to_court["number"]]
    assert numbers(court, direction="incoming", status="requested") == []
    assert numbers(court, direction="outgoing") == []

    first = _ok(police.get(BASE, query_string={"limit": 2}))
    assert [h["number"] for h in first["items"]] == everything[:2] and first["next"]
    rest = _ok(police.get(BASE, query_string={"limit": 2, "cursor": first["next"]}))
    assert [h["number"] for h in rest["items"]] == everything[2:] and rest["next"] is None
    _problem(police.get(BASE, query_string={"direction": "sideways"}), 422, "invalid_input")
    _problem(police.get(BASE, query_string={"status": "lost"}), 422, "invalid_input")


def test_an_item_never_taken_in_cannot_be_found_present(w: World, make: Any) -> None:
    """The presence check is the centre's word that the item is on its shelf: a registered item is not."""
    (waiting,) = make.items(w.police.handler_user, w.case, 1)
    number = w.approved()
    start = _head()
    scan = _problem(w.keeper.post(f"{BASE}/{number}/scans", json={"code": waiting.code}), 409, "items_unavailable")
    assert waiting.code in scan["detail"]
    listed = w.keeper.post(f"{BASE}/{number}/presence-check", json={"present": [*w.codes, waiting.code]})
    assert waiting.code in _problem(listed, 409, "items_unavailable")["detail"]
    assert _head() == start and _status_of(w, number) == "approved"
    done = w.keeper.post(f"{BASE}/{number}/presence-check", json={"present": w.codes, "missing": [waiting.code]})
    lines = {line["code"]: line for line in _ok(done)["items"]}
    assert lines[waiting.code]["state"] == "pending" and _status_of(w, number) == "checked"


def test_an_empty_item_list_is_refused_not_a_handover_of_nothing(w: World) -> None:
    start = _head()
    problem = _problem(w.request(items=[]), 422, "invalid_input")
    assert "items" in problem["errors"]
    assert _head() == start


def test_the_receipt_entry_lists_the_items_so_each_history_names_the_receipt(w: World) -> None:
    number = w.checked()
    _ok(w.proc.handler.post(f"{BASE}/{number}/accept"))
    start = _head()
    pdf = w.proc.handler.get(f"{BASE}/{number}/receipt.pdf")
    assert pdf.status_code == 200
    (entry,) = w.entries_after(start)
    assert entry["kind"] == "handover.receipt_issued" and entry["items"] == sorted(w.codes)
    history = _ok(w.proc.handler.get(f"/api/v1/items/{w.codes[0]}/history"))["entries"]
    assert history[-1]["data"]["sha256"] == hashlib.sha256(pdf.data).hexdigest()
    w.chain_ok()
