"""A late intake stays marked on the item; its alert ends when an auditor acknowledges the review.

Without this the ``late_intake`` alert could only end with the item's disposition, and at a real centre's
scale it buried every alert that still needs action (docs/benchmarks.md §6: 28,717 of 31,485).
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest

from custody import clock
from custody.extensions import db
from custody.models import Item, LedgerEntry
from custody.services import warehouse
from tests.conftest import csrf_token_of

NOTE = "Seized on a Friday night; the van came on Monday. Explained by the station."


class World:
    def __init__(self, make: Any, api: Any) -> None:
        self.handler, self.keeper = make.user("handler"), make.keeper()
        self.auditor = make.user("auditor", kind="supervision")
        shelf = make.location(self.keeper)
        case = make.case(self.handler)
        self.late = make.items(self.handler, case, 1, seized_at=clock.now() - timedelta(hours=30))[0]
        self.prompt = make.items(self.handler, case, 1)[0]
        for item in (self.late, self.prompt):
            warehouse.intake(self.keeper, item.code, location=shelf.code, seal_intact=True)
        self.api = api

    def acknowledge(self, user: Any, code: str, body: Any) -> Any:
        return self.api(user).post(f"/api/v1/items/{code}/late-intake/acknowledge", json=body)

    def late_alerts(self, user: Any) -> list[str]:
        body = self.api(user).get("/api/v1/alerts", query_string={"rule": "late_intake"}).get_json()
        return [a["subject"]["code"] for a in body["items"]]


@pytest.fixture
def w(make: Any, api: Any) -> World:
    return World(make, api)


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_json()
    assert response.content_type == "application/problem+json"
    body: dict[str, Any] = response.get_json()
    assert body["code"] == code
    return body


def test_an_auditor_acknowledges_and_the_alert_ends_for_everyone(w: World) -> None:
    for viewer in (w.auditor, w.keeper, w.handler):
        assert w.late_alerts(viewer) == [w.late.code]
    head = w.api(w.auditor).get("/api/v1/ledger/head").get_json()["seq"]

    response = w.acknowledge(w.auditor, w.late.code, {"note": NOTE})

    assert response.status_code == 200, response.get_json()
    item = response.get_json()
    assert item["code"] == w.late.code and item["late_intake"] is True  # the mark stays
    for viewer in (w.auditor, w.keeper, w.handler):
        assert w.late_alerts(viewer) == []
    (entry,) = w.api(w.auditor).get("/api/v1/ledger/entries", query_string={"after": head}).get_json()["items"]
    assert entry["kind"] == "item.late_intake_acknowledged"
    assert entry["items"] == [w.late.code] and entry["actor"] == w.auditor.username
    assert entry["data"]["note"] == NOTE and entry["data"]["intake_at"].endswith("Z")
    history = w.api(w.handler).get(f"/api/v1/items/{w.late.code}/history").get_json()["entries"]
    assert history[-1]["kind"] == "item.late_intake_acknowledged"  # the holding agency reads who reviewed it
    verified = w.api(w.auditor).post("/api/v1/ledger/verify").get_json()
    assert verified["ok"] is True


@pytest.mark.parametrize("role", ["handler", "approver", "keeper", "admin"])
def test_only_auditors_acknowledge(w: World, make: Any, role: str) -> None:
    known = {"keeper": w.keeper, "handler": w.handler}
    user = known.get(role) or make.user(role, agency=w.handler.agency)
    _problem(w.acknowledge(user, w.late.code, {"note": NOTE}), 403, "forbidden")
    assert w.late_alerts(w.auditor) == [w.late.code]


def test_wrong_states_and_bad_input_change_nothing(w: World, make: Any, client: Any) -> None:
    head = w.api(w.auditor).get("/api/v1/ledger/head").get_json()
    body = _problem(w.acknowledge(w.auditor, w.late.code, {}), 422, "invalid_input")
    assert "note" in body["errors"]
    assert "note" in _problem(w.acknowledge(w.auditor, w.late.code, {"note": "  "}), 422, "invalid_input")["errors"]
    too_long = w.acknowledge(w.auditor, w.late.code, {"note": "x" * 2001})
    assert "note" in _problem(too_long, 422, "invalid_input")["errors"]
    _problem(w.acknowledge(w.auditor, w.prompt.code, {"note": NOTE}), 409, "invalid_state")  # not late
    _problem(w.acknowledge(w.auditor, "NOPE-1234", {"note": NOTE}), 404, "not_found")
    assert w.api(w.auditor).get("/api/v1/ledger/head").get_json() == head
    assert client.post(f"/api/v1/items/{w.late.code}/late-intake/acknowledge", json={"note": NOTE}).status_code == 401

    assert w.acknowledge(w.auditor, w.late.code, {"note": NOTE}).status_code == 200
    again = _problem(w.acknowledge(w.auditor, w.late.code, {"note": NOTE}), 409, "invalid_state")
    assert "already acknowledged" in again["detail"]


def test_a_disposed_item_cannot_be_acknowledged(w: World, make: Any) -> None:
    db.session.execute(Item.__table__.update().where(Item.id == w.late.id).values(status="disposed"))
    db.session.commit()
    _problem(w.acknowledge(w.auditor, w.late.code, {"note": NOTE}), 409, "invalid_state")


@pytest.mark.postgresql
def test_two_auditors_at_once_record_one_acknowledgement(app: Any, w: World, make: Any) -> None:
    from custody.services import alerts

    other = make.user("auditor", kind="supervision")
    start, outcomes = threading.Barrier(2), []

    def work(user_id: int) -> None:
        with app.app_context():
            from custody.models import User

            user = db.session.get(User, user_id)
            start.wait()
            try:
                alerts.acknowledge_late_intake(user, w.late.code, NOTE)
                outcomes.append("ok")
            except Exception as error:  # the loser's error is the point
                outcomes.append(getattr(error, "code", repr(error)))

    threads = [threading.Thread(target=work, args=(u.id,)) for u in (w.auditor, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["invalid_state", "ok"]
    kinds = db.session.scalars(LedgerEntry.__table__.select().with_only_columns(LedgerEntry.kind)).all()
    assert kinds.count("item.late_intake_acknowledged") == 1


def test_the_alerts_page_offers_auditors_the_acknowledgement(w: World, login: Any, client: Any) -> None:
    login(w.auditor)
    page = client.get("/alerts", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f"/alerts/late-intake/{w.late.code}/acknowledge" in page
    token = csrf_token_of(client, "/alerts")
    url = f"/alerts/late-intake/{w.late.code}/acknowledge"
    assert client.post(url, data={"note": NOTE}).status_code == 400  # no CSRF token
    empty = client.post(url, data={"note": "", "csrf_token": token}, headers={"Accept-Language": "en"})
    assert empty.status_code == 302
    assert w.late_alerts(w.auditor) == [w.late.code]
    done = client.post(url, data={"note": NOTE, "csrf_token": token})
    assert done.status_code == 302
    text = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "已确认" in text and w.late.code in text  # Chinese by default
    assert w.late_alerts(w.auditor) == []
    timeline = client.get(f"/items/{w.late.code}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Late intake acknowledged" in timeline and NOTE in timeline


def test_other_roles_see_no_acknowledge_form(w: World, login: Any, client: Any) -> None:
    login(w.keeper)
    page = client.get("/alerts").get_data(as_text=True)
    assert w.late.code in page and "late-intake" not in page
