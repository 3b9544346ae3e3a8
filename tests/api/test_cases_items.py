"""Cases and items through the API, exactly as API.md states them."""

import pytest
from sqlalchemy import func, select

from custody.extensions import db
from custody.models import Item, LedgerEntry
from tests.factories import api_item

ITEM_FIELDS = {
    "code",
    "case_no",
    "name",
    "category",
    "quantity",
    "unit",
    "description",
    "estimated_value",
    "owner_name",
    "seizure_doc_no",
    "seized_at",
    "seal_no",
    "flags",
    "status",
    "location",
    "custodian",
    "late_intake",
}


@pytest.fixture
def handler(make):
    return make.user("handler")


def test_open_case_returns_the_contract_shape(api, handler):
    response = api(handler).post(
        "/api/v1/cases", json={"case_no": "公刑〔2026〕1号", "title": "盗窃案", "summary": "s"}
    )
    assert response.status_code == 201
    body = response.get_json()
    assert {k: body[k] for k in ("case_no", "title", "stage", "agency", "item_count")} == {
        "case_no": "公刑〔2026〕1号",
        "title": "盗窃案",
        "stage": "investigation",
        "agency": handler.agency.code,
        "item_count": 0,
    }
    got = api(handler).get("/api/v1/cases/公刑〔2026〕1号").get_json()
    assert got["holders"] == [handler.agency.code] and got["stage"] == "investigation"


def test_duplicate_case_number_is_409_and_changes_nothing(api, handler):
    client = api(handler)
    assert client.post("/api/v1/cases", json={"case_no": "C-1", "title": "t"}).status_code == 201
    entries = db.session.scalar(select(func.count()).select_from(LedgerEntry))
    response = client.post("/api/v1/cases", json={"case_no": "C-1", "title": "other"})
    assert response.status_code == 409 and response.get_json()["code"] == "case_exists"
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == entries


@pytest.mark.parametrize(
    "payload", [{}, {"case_no": "", "title": "t"}, {"case_no": "C", "title": ""}, {"case_no": "x" * 65, "title": "t"}]
)
def test_bad_case_input_is_422_naming_fields(api, handler, payload):
    response = api(handler).post("/api/v1/cases", json=payload)
    assert response.status_code == 422
    assert response.get_json()["code"] == "invalid_input" and response.get_json()["errors"]


def test_only_handlers_of_case_holding_agencies_open_cases(api, make):
    keeper = make.user("keeper", kind="centre")
    assert api(keeper).post("/api/v1/cases", json={"case_no": "C-2", "title": "t"}).get_json()["code"] == "forbidden"
    centre_handler = make.user("handler", kind="centre")
    response = api(centre_handler).post("/api/v1/cases", json={"case_no": "C-3", "title": "t"})
    assert (response.status_code, response.get_json()["code"]) == (403, "wrong_agency")


def test_register_items_returns_them_in_request_order(api, handler, make):
    case = make.case(handler)
    rows = [
        api_item(name="手机", quantity=1, estimated_value="1280.5", flags=["fragile", "high_value"], seal_no="F-1"),
        api_item(name="现金", category="cash", quantity="12800", unit="元", owner_name="张三", description="百元"),
        api_item(name="Catch", category="goods", quantity="85.5", unit="kg", flags=["perishable"]),
    ]
    response = api(handler).post(f"/api/v1/cases/{case.case_no}/items", json={"items": rows})
    assert response.status_code == 201, response.get_json()
    items = response.get_json()["items"]
    assert [i["name"] for i in items] == ["手机", "现金", "Catch"]
    first = items[0]
    assert first.keys() >= ITEM_FIELDS
    assert first["estimated_value"] == "1280.50" and first["quantity"] == "1" and items[2]["quantity"] == "85.5"
    assert first["flags"] == ["fragile", "high_value"]
    assert first["status"] == "registered" and first["location"] is None and first["late_intake"] is False
    assert first["custodian"] == handler.agency.code and first["case_no"] == case.case_no
    assert first["seized_at"] == "2026-01-02T00:00:00Z"
    assert len({i["code"] for i in items}) == 3
    assert api(handler).get(f"/api/v1/items/{first['code']}").get_json() == first
    assert api(handler).get(f"/api/v1/cases/{case.case_no}").get_json()["item_count"] == 3


def test_a_batch_with_bad_rows_stores_nothing_and_names_each_row(api, handler, make):
    case = make.case(handler)
    entries = db.session.scalar(select(func.count()).select_from(LedgerEntry))
    rows = [api_item(), api_item(category="spaceship"), api_item(), api_item(quantity="-1", seized_at="yesterday")]
    response = api(handler).post(f"/api/v1/cases/{case.case_no}/items", json={"items": rows})
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "invalid_input"
    assert set(body["errors"]) == {"1", "3"}
    assert set(body["errors"]["1"]) == {"category"}
    assert set(body["errors"]["3"]) == {"quantity", "seized_at"}
    assert db.session.scalar(select(func.count()).select_from(Item)) == 0
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == entries


def test_future_seizure_time_is_a_row_error(api, handler, make):
    case = make.case(handler)
    response = api(handler).post(
        f"/api/v1/cases/{case.case_no}/items", json={"items": [api_item(), api_item(seized_at="2999-01-01T00:00:00Z")]}
    )
    assert response.status_code == 422 and set(response.get_json()["errors"]) == {"1"}


@pytest.mark.parametrize(
    "row",
    [
        api_item(seized_at="2026-01-02T08:00:00"),  # no offset
        api_item(quantity=0),
        api_item(quantity="NaN"),
        api_item(flags=["shiny"]),
        api_item(estimated_value=-5),
        api_item(unexpected="field"),
        api_item(name="   "),
    ],
)
def test_each_bad_field_is_refused(api, handler, make, row):
    case = make.case(handler)
    response = api(handler).post(f"/api/v1/cases/{case.case_no}/items", json={"items": [row]})
    assert response.status_code == 422 and "0" in response.get_json()["errors"]


def test_empty_or_missing_batch_is_422(api, handler, make):
    case = make.case(handler)
    for payload in ({"items": []}, {}, {"items": "x"}):
        assert api(handler).post(f"/api/v1/cases/{case.case_no}/items", json=payload).status_code == 422


def test_registration_is_one_ledger_entry_covering_every_item(api, handler, make):
    case = make.case(handler)
    items = (
        api(handler).post(f"/api/v1/cases/{case.case_no}/items", json={"items": [api_item()] * 4}).get_json()["items"]
    )
    history = api(handler).get(f"/api/v1/items/{items[0]['code']}/history").get_json()
    assert history["item"] == items[0]["code"]
    (entry,) = history["entries"]
    assert entry["kind"] == "item.registered" and entry["case_no"] == case.case_no
    assert sorted(entry["items"]) == sorted(i["code"] for i in items)
    assert entry["actor"] == handler.username and entry["agency"] == handler.agency.code
    assert len(entry["hash"]) == 64 and entry["hash"] == entry["hash"].lower()
    assert set(entry["data"]["records"]) == {i["code"] for i in items}
    assert {"seq", "at", "prev_hash", "data"} <= entry.keys()


def test_item_lists_filter_and_paginate(api, handler, make):
    case = make.case(handler)
    other = make.case(handler)
    make.items(handler, case, 5)
    make.items(handler, other, 2)
    client = api(handler)
    page = client.get(f"/api/v1/items?case_no={case.case_no}&limit=2").get_json()
    assert len(page["items"]) == 2 and page["next"]
    seen = [i["code"] for i in page["items"]]
    while page["next"]:
        page = client.get(f"/api/v1/items?case_no={case.case_no}&limit=2&cursor={page['next']}").get_json()
        seen += [i["code"] for i in page["items"]]
    assert len(seen) == len(set(seen)) == 5
    assert len(client.get("/api/v1/items?status=registered&limit=1000").get_json()["items"]) == 7
    assert client.get("/api/v1/items?status=in_storage").get_json()["items"] == []
    assert client.get(f"/api/v1/items?custodian={handler.agency.code}").get_json()["items"]
    assert client.get("/api/v1/items?limit=0").status_code == 422
    assert client.get("/api/v1/items?limit=1001").status_code == 422
    assert client.get("/api/v1/items?cursor=zzz").status_code == 422


def test_case_list_filters(api, handler, make):
    make.case(handler, case_no="A-1")
    make.case(handler, case_no="A-2")
    client = api(handler)
    assert [c["case_no"] for c in client.get("/api/v1/cases").get_json()["items"]] == ["A-1", "A-2"]
    assert client.get("/api/v1/cases?stage=trial").get_json()["items"] == []
    assert len(client.get(f"/api/v1/cases?agency={handler.agency.code}").get_json()["items"]) == 2
    assert client.get("/api/v1/cases?stage=nonsense").status_code == 422
