"""POST /api/v1/labels and GET /api/v1/locations/{code}/label.pdf: PDFs whose QR codes decode to label URLs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from custody.extensions import db
from tests.documents.pdfcheck import assert_labels, page_sizes_mm, text

BASE = "http://custody.test"  # CUSTODY_BASE_URL in tests/conftest.py


def url(code: str) -> str:
    return f"{BASE}/s/{code}"


@pytest.fixture
def world(make: Any) -> dict[str, Any]:
    handler = make.user("handler")
    keeper = make.keeper()
    case = make.case(handler, case_no="公(刑)立字〔2026〕88号")
    items = make.items(handler, case, 3, name="黄金手镯", seal_no="FT000088")
    warehouse = make.location(keeper, name="一号仓库")
    zone = make.location(keeper, kind="zone", parent=warehouse, name="A区")
    shelf = make.location(keeper, kind="shelf", parent=zone, name="3号货架")
    return {"handler": handler, "keeper": keeper, "case": case, "items": items, "places": [warehouse, zone, shelf]}


@pytest.fixture
def selects() -> Iterator[list[str]]:
    """The SELECT statements the app sends while the test runs."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


def test_item_labels_decode_to_their_urls(api: Any, world: dict[str, Any]) -> None:
    codes = [item.code for item in world["items"]]
    response = api(world["handler"]).post("/api/v1/labels", json={"items": codes, "layout": "a4-3x8"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("inline")
    pdf = response.get_data()
    assert_labels(pdf, [url(code) for code in codes], per_page=24)
    printed = text(pdf).replace("\n", "")
    assert all(code in printed for code in codes)
    assert "黄金手镯" in printed and "公(刑)立字〔2026〕88号" in printed and "FT000088" in printed


@pytest.mark.parametrize(("layout", "per_page"), [("a4-2x5", 10), ("thermal-50x30", 1), ("thermal-70x40", 1)])
def test_items_and_locations_together_in_every_layout(api: Any, world: dict[str, Any], layout: str, per_page: int):
    items = [item.code for item in world["items"]]
    places = [place.code for place in world["places"]]
    body = {"items": items, "locations": places, "layout": layout}
    response = api(world["keeper"]).post("/api/v1/labels", json=body)  # a centre keeper sees the items
    assert response.status_code == 200, response.get_data(as_text=True)
    assert_labels(response.get_data(), [url(code) for code in items + places], per_page)
    assert "一号仓库 › A区 › 3号货架" in text(response.get_data())


def test_every_item_of_a_case(api: Any, make: Any, world: dict[str, Any]) -> None:
    more = make.items(world["handler"], world["case"], 2)
    codes = [item.code for item in world["items"] + more]
    body = {"case_no": world["case"].case_no, "layout": "a4-3x8"}
    response = api(world["handler"]).post("/api/v1/labels", json=body)
    assert response.status_code == 200
    assert_labels(response.get_data(), [url(code) for code in codes], per_page=24)


def test_codes_are_matched_like_scans_and_printed_in_the_order_given(api: Any, world: dict[str, Any]) -> None:
    first, second = world["items"][0].code, world["items"][1].code
    body = {"items": [f" {second.lower()} ", first, second], "layout": "thermal-50x30"}
    response = api(world["handler"]).post("/api/v1/labels", json=body)
    assert response.status_code == 200
    from tests.documents.pdfcheck import qr_payloads

    assert qr_payloads(response.get_data()) == [[url(second)], [url(first)], [url(second)]]


def test_items_load_in_one_query_whatever_their_number(api: Any, make: Any, world: dict[str, Any], selects):
    many = [item.code for item in make.items(world["handler"], world["case"], 40)]
    client = api(world["handler"])
    counts = []
    for codes in (many[:2], many):
        selects.clear()
        assert client.post("/api/v1/labels", json={"items": codes, "layout": "a4-3x8"}).status_code == 200
        counts.append(sum(" items" in s for s in selects))
    assert counts[0] == counts[1] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"items": ["I00000000X"], "layout": "a5-1x1"}, "layout"),
        ({"items": ["I00000000X"]}, "layout"),
        ({"items": [], "layout": "a4-3x8"}, "items"),
        ({"layout": "a4-3x8"}, "items"),
        ({"items": [], "locations": [], "layout": "a4-3x8"}, "items"),
        ({"items": ["I00000000X"] * 5001, "layout": "a4-3x8"}, "items"),
        ({"items": ["I00000000X"] * 2500, "locations": ["L000000X"] * 2501, "layout": "a4-3x8"}, "items"),
        ({"items": [""], "layout": "a4-3x8"}, "items"),
    ],
)
def test_bad_requests_are_422_naming_the_field(api: Any, world: dict[str, Any], body: dict[str, Any], field: str):
    response = api(world["handler"]).post("/api/v1/labels", json=body)
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    problem = response.get_json()
    assert problem["code"] == "invalid_input" and field in problem["errors"]


def test_items_the_caller_may_not_see_are_404_naming_them(api: Any, make: Any, world: dict[str, Any]) -> None:
    stranger = make.user("handler")  # another police agency
    theirs = make.items(stranger, make.case(stranger), 1)[0].code
    mine = world["items"][0].code
    response = api(world["handler"]).post("/api/v1/labels", json={"items": [mine, theirs], "layout": "a4-3x8"})
    assert response.status_code == 404
    problem = response.get_json()
    assert problem["code"] == "not_found" and theirs in problem["detail"] and mine not in problem["detail"]
    unknown = api(world["handler"]).post("/api/v1/labels", json={"items": ["I00000000X"], "layout": "a4-3x8"})
    assert unknown.status_code == 404 and "I00000000X" in unknown.get_json()["detail"]
    # Nor the whole of someone else's case, nor a location that does not exist.
    case = api(world["handler"]).post("/api/v1/labels", json={"case_no": "CASE-NOPE", "layout": "a4-3x8"})
    assert case.status_code == 404
    place = api(world["handler"]).post("/api/v1/labels", json={"locations": ["LNOPE"], "layout": "a4-3x8"})
    assert place.status_code == 404 and "LNOPE" in place.get_json()["detail"]


def test_labels_need_credentials(client: Any, world: dict[str, Any]) -> None:
    body = {"items": [world["items"][0].code], "layout": "a4-3x8"}
    response = client.post("/api/v1/labels", json=body)
    assert response.status_code == 401 and response.mimetype == "application/problem+json"
    assert client.get(f"/api/v1/locations/{world['places'][0].code}/label.pdf").status_code == 401


def test_location_label(api: Any, world: dict[str, Any]) -> None:
    shelf = world["places"][2]
    client = api(world["handler"])
    response = client.get(f"/api/v1/locations/{shelf.code.lower()}/label.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert page_sizes_mm(response.get_data()) == [(70.0, 40.0)]  # the default layout: thermal-70x40
    assert_labels(response.get_data(), [url(shelf.code)], per_page=1)
    printed = text(response.get_data())
    assert shelf.code in printed and "一号仓库 › A区 › 3号货架" in printed
    sheet = client.get(f"/api/v1/locations/{shelf.code}/label.pdf", query_string={"layout": "a4-2x5"})
    assert sheet.status_code == 200 and page_sizes_mm(sheet.get_data()) == [(210.0, 297.0)]
    assert_labels(sheet.get_data(), [url(shelf.code)], per_page=10)
    bad = client.get(f"/api/v1/locations/{shelf.code}/label.pdf", query_string={"layout": "a5"})
    assert bad.status_code == 422 and "layout" in bad.get_json()["errors"]
    assert client.get("/api/v1/locations/LNOPE/label.pdf").status_code == 404


def test_pdf_responses_are_in_the_openapi_document(client: Any) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path, method in (("/api/v1/labels", "post"), ("/api/v1/locations/{code}/label.pdf", "get")):
        content = paths[path][method]["responses"]["200"]["content"]
        assert content == {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}
