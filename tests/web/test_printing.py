"""Print buttons on the case, item and location pages: each returns a PDF whose QR codes decode to label URLs."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from tests.documents.pdfcheck import assert_labels, page_sizes_mm, qr_payloads

BASE = "http://custody.test"


@pytest.fixture
def world(make: Any) -> dict[str, Any]:
    handler = make.user("handler")
    keeper = make.keeper()
    case = make.case(handler, case_no="公刑立字〔2026〕7号", title="张某盗窃案")
    items = make.items(handler, case, 4, name="黄金手镯")
    warehouse = make.location(keeper, name="一号仓库")
    shelf = make.location(keeper, kind="shelf", parent=warehouse, name="3号货架")
    return {"handler": handler, "keeper": keeper, "case": case, "items": items, "shelf": shelf}


def case_page(world: dict[str, Any]) -> str:
    return f"/cases/{world['case'].case_no}"


def test_case_page_has_an_item_selection_form_with_print_buttons(client, login, world) -> None:
    login(world["handler"])
    html = client.get(case_page(world)).get_data(as_text=True)
    form = re.search(r'<form id="item-selection"[^>]*action="/print/labels".*?</form>', html, flags=re.S)
    assert form, "no item selection form posting to the print route"
    body = form.group(0)
    assert 'name="csrf_token"' in body and 'id="select-all-items"' in body
    boxes = re.findall(r'<input type="checkbox" name="items" value="([^"]+)"', body)
    assert boxes == [item.code for item in world["items"]]
    assert 'name="layout"' in body and 'id="print-chosen"' in body and 'id="print-all"' in body
    assert "js/selection.js" in html


def test_printing_chosen_items_from_the_case_page(client, login, post_form, world) -> None:
    login(world["handler"])
    chosen = [world["items"][0].code, world["items"][2].code]
    response = post_form(case_page(world), {"items": chosen, "layout": "a4-2x5"}, to="/print/labels")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("inline")
    assert_labels(response.get_data(), [f"{BASE}/s/{code}" for code in chosen], per_page=10)


def test_printing_all_items_of_the_case(client, login, post_form, world) -> None:
    login(world["handler"])
    data = {"all": "1", "case_no": world["case"].case_no, "layout": "thermal-50x30"}
    response = post_form(case_page(world), data, to="/print/labels")
    assert response.status_code == 200
    expected = [[f"{BASE}/s/{item.code}"] for item in world["items"]]
    assert qr_payloads(response.get_data()) == expected  # one thermal label a page, in registration order


def test_nothing_chosen_or_a_bad_layout_goes_back_with_a_message(client, login, post_form, world) -> None:
    login(world["handler"])
    back = case_page(world)
    response = post_form(back, {"layout": "a4-3x8", "next": back}, to="/print/labels")
    assert response.status_code == 302 and unquote(urlsplit(response.headers["Location"]).path) == back
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'class="flash error"' in page
    bad = post_form(back, {"items": [world["items"][0].code], "layout": "a5", "next": back}, to="/print/labels")
    assert bad.status_code == 302
    offsite = post_form(back, {"layout": "a4-3x8", "next": "//evil.example/"}, to="/print/labels")
    assert offsite.status_code == 302 and "evil.example" not in offsite.headers["Location"]


def test_print_needs_csrf_and_sign_in(client, login, world) -> None:
    response = client.get(f"/print/locations/{world['shelf'].code}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login(world["handler"])
    forged = client.post("/print/labels", data={"items": [world["items"][0].code], "layout": "a4-3x8"})
    assert forged.status_code == 400


def test_item_page_prints_its_label(client, login, post_form, world) -> None:
    login(world["keeper"])  # a centre keeper sees the item, not the case
    item = world["items"][1]
    page = f"/items/{item.code}"
    html = client.get(page).get_data(as_text=True)
    form = re.search(r'<form method="post" action="/print/labels"[^>]*id="print-item-label">.*?</form>', html, re.S)
    assert form and f'name="items" value="{item.code}"' in form.group(0)
    response = post_form(page, {"items": item.code, "layout": "thermal-50x30"}, to="/print/labels")
    assert response.status_code == 200
    assert page_sizes_mm(response.get_data()) == [(50.0, 30.0)]
    assert_labels(response.get_data(), [f"{BASE}/s/{item.code}"], per_page=1)


def test_someone_elses_item_is_not_printed(client, login, post_form, make, world) -> None:
    stranger = make.user("handler")
    login(stranger)
    response = post_form("/", {"items": world["items"][0].code, "layout": "a4-3x8"}, to="/print/labels")
    assert response.status_code == 302 and response.mimetype != "application/pdf"


def test_location_page_prints_its_label(client, login, world) -> None:
    login(world["keeper"])
    shelf = world["shelf"]
    html = client.get(f"/locations/{shelf.code}").get_data(as_text=True)
    form = re.search(r'<form method="get" action="(/print/locations/[^"]+)"[^>]*id="print-location-label">', html)
    assert form and 'name="layout"' in html
    default = client.get(form.group(1))
    assert default.status_code == 200 and page_sizes_mm(default.get_data()) == [(70.0, 40.0)]
    response = client.get(form.group(1), query_string={"layout": "a4-3x8"})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert_labels(response.get_data(), [f"{BASE}/s/{shelf.code}"], per_page=24)
    assert client.get("/print/locations/LNOPE").status_code == 302
    assert client.get(form.group(1), query_string={"layout": "a5"}).status_code == 302
