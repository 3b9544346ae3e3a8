"""Design §4 rule 3: a case another agency never held is a 404; auditors see all; keepers see items."""

import pytest

from custody import clock
from custody.extensions import db
from custody.models import Case, CaseHolder
from tests.factories import api_item


@pytest.fixture
def world(make):
    police = make.agency("police")
    handler = make.user("handler", agency=police)
    case = make.case(handler, case_no="P-1")
    items = make.items(handler, case, 2)
    return {"police": police, "handler": handler, "case": case, "items": items}


def _status(response):
    return response.status_code, (response.get_json() or {}).get("code")


def test_other_agency_gets_404_for_case_items_history_and_scan(api, make, world):
    outsider = make.user("handler", "approver", "keeper", kind="court")
    client = api(outsider)
    code = world["items"][0].code
    assert _status(client.get("/api/v1/cases/P-1")) == (404, "not_found")
    assert _status(client.get(f"/api/v1/items/{code}")) == (404, "not_found")
    assert _status(client.get(f"/api/v1/items/{code}/history")) == (404, "not_found")
    assert _status(client.get(f"/api/v1/scan?code={code}")) == (404, "unknown_code")
    assert _status(client.post("/api/v1/cases/P-1/items", json={"items": [api_item()]})) == (404, "not_found")
    assert client.get("/api/v1/cases").get_json()["items"] == []
    assert client.get("/api/v1/items").get_json()["items"] == []
    assert client.get("/api/v1/ledger/entries").get_json()["items"] == []


def test_a_missing_case_and_a_hidden_case_answer_alike(api, make, world):
    client = api(make.user("handler", kind="court"))
    hidden, missing = client.get("/api/v1/cases/P-1"), client.get("/api/v1/cases/NO-SUCH")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.get_json()["title"] == missing.get_json()["title"]


def test_auditors_see_every_case_item_and_entry(api, make, world):
    client = api(make.user("auditor", kind="supervision"))
    assert client.get("/api/v1/cases/P-1").status_code == 200
    assert client.get(f"/api/v1/items/{world['items'][0].code}/history").status_code == 200
    assert len(client.get("/api/v1/ledger/entries?limit=1000").get_json()["items"]) >= 2


def test_centre_keepers_see_items_but_not_case_files(api, make, world):
    client = api(make.user("keeper", kind="centre"))
    code = world["items"][0].code
    assert client.get(f"/api/v1/items/{code}").status_code == 200
    assert client.get(f"/api/v1/scan?code={code}").get_json()["actions"] == ["intake"]
    assert client.get("/api/v1/cases/P-1").status_code == 404


def test_a_former_holder_still_sees_the_case_but_may_not_act(api, make, world):
    court = make.agency("court")
    case = db.session.get(Case, world["case"].id)
    case.agency_id = court.id  # what an accepted handover does (issue 5 builds the workflow)
    db.session.add(CaseHolder(case_id=case.id, agency_id=court.id, ordinal=2, since=clock.now()))
    db.session.commit()
    client = api(world["handler"])
    body = client.get("/api/v1/cases/P-1").get_json()
    assert body["agency"] == court.code and body["holders"] == [world["police"].code, court.code]
    response = client.post("/api/v1/cases/P-1/items", json={"items": [{"name": "x"}]})
    assert response.status_code == 422  # shape is checked first…
    response = client.post("/api/v1/cases/P-1/items", json={"items": [api_item()]})
    assert _status(response) == (403, "wrong_agency")  # …then the rule


def test_same_agency_without_handler_role_is_403(api, make, world):
    approver = make.user("approver", agency=world["police"])
    response = api(approver).post("/api/v1/cases/P-1/items", json={"items": [api_item()]})
    assert _status(response) == (403, "forbidden")


def test_verify_is_for_auditors_and_admins(api, make, world):
    assert _status(api(world["handler"]).post("/api/v1/ledger/verify")) == (403, "forbidden")
    for role, kind in (("auditor", "supervision"), ("admin", "centre")):
        body = api(make.user(role, kind=kind)).post("/api/v1/ledger/verify").get_json()
        assert body == {"ok": True, "checked": body["checked"], "first_bad_seq": None, "reason": None}
