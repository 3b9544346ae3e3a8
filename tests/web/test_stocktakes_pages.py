"""Stocktake pages: open one by picking or scanning a location, scan without JavaScript, close, read the report."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select

from custody.extensions import db
from custody.models import Stocktake, StocktakeScan
from custody.services import stocktakes


@pytest.fixture
def floor(make: Any) -> SimpleNamespace:
    keeper = make.keeper()
    handler = make.user("handler")
    warehouse = make.location(keeper, name="一号库")
    shelf = make.location(keeper, "shelf", warehouse, name="A-01")
    other = make.location(keeper, name="二号库")
    return SimpleNamespace(keeper=keeper, handler=handler, warehouse=warehouse, shelf=shelf, other=other)


def _open_number() -> str:
    return db.session.scalars(select(Stocktake.number).where(Stocktake.status == "open")).one()


def test_keeper_opens_a_stocktake_by_picking_a_location(login, client, post_form, make, floor):
    make.stored_items(floor.handler, floor.keeper, floor.shelf, 2)
    login(floor.keeper)
    page = client.get("/stocktakes").get_data(as_text=True)
    assert f'<option value="{floor.shelf.code}">' in page and 'name="location_code"' in page

    response = post_form("/stocktakes", {"location": floor.warehouse.code})

    number = _open_number()
    assert response.status_code == 302 and response.headers["Location"] == f"/stocktakes/{number}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="count-expected">2<' in page and 'id="count-scanned">0<' in page
    assert 'id="stocktake-scan"' in page and "js/stocktake.js" in page and "js/scanner.js" in page
    assert f'data-scan-api="/api/v1/stocktakes/{number}/scans"' in page
    assert number in client.get("/stocktakes").get_data(as_text=True)


def test_a_scanned_label_url_opens_one_too_and_bad_ones_say_why(login, client, post_form, floor):
    login(floor.keeper)
    page = post_form("/stocktakes", {"location": "", "location_code": "NOWHERE"}).get_data(as_text=True)
    assert "field-error" in page and 'aria-invalid="true"' in page and 'value="NOWHERE"' in page
    response = post_form("/stocktakes", {"location_code": f"http://custody.test/s/{floor.shelf.code}"})
    assert response.status_code == 302
    again = post_form("/stocktakes", {"location": floor.shelf.code})  # one is open there already
    assert again.status_code == 200 and "flash error" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Stocktake)) == 1


def test_scanning_without_javascript_then_closing(login, client, post_form, make, floor):
    stored = make.stored_items(floor.handler, floor.keeper, floor.shelf, 2)
    stray = make.stored_items(floor.handler, floor.keeper, floor.other, 1)[0]
    number = stocktakes.open_stocktake(floor.keeper, floor.warehouse.code).number
    login(floor.keeper)
    page = f"/stocktakes/{number}"
    for code in (stored[0].code, stored[0].code, stray.code, "NOT-A-CODE"):
        assert post_form(page, {"code": code}, to=f"{page}/scan").status_code == 302
    shown = client.get(page).get_data(as_text=True)
    assert 'id="count-found">1<' in shown and 'id="count-unexpected">1<' in shown and 'id="count-scanned">2<' in shown
    assert len(re.findall(r'<li class="scan-(?:ok|wrong)" data-code=', shown)) == 2
    assert db.session.scalar(select(func.count()).select_from(StocktakeScan)) == 2

    closed = post_form(page, {}, to=f"{page}/close")
    assert closed.status_code == 302 and closed.headers["Location"] == f"{page}/report"
    report = client.get(f"{page}/report").get_data(as_text=True)
    for item in (*stored, stray):
        assert item.code in report and item.name in report and item.case.case_no in report
    assert f"/api/v1/stocktakes/{number}/report.csv" in report
    assert re.search(r'id="missing-title">[^<]*<span class="count">1<', report)
    assert re.search(r'id="unexpected-title">[^<]*<span class="count">1<', report)
    # Closed: no scan field, no close button; a late scan or a second close is refused with a message.
    shown = client.get(page).get_data(as_text=True)
    assert 'id="stocktake-scan"' not in shown and "stocktake-close-form" not in shown
    late = post_form(page, {"code": stored[1].code}, to=f"{page}/scan")
    assert "flash error" in client.get(late.headers["Location"]).get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(StocktakeScan)) == 2


def test_pages_in_chinese(login, client, make, floor):
    number = stocktakes.open_stocktake(floor.keeper, floor.warehouse.code).number
    login(floor.keeper)
    client.post("/lang/zh", data={"csrf_token": _csrf(client)})
    page = client.get(f"/stocktakes/{number}").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page
    counters = page[page.index('class="stocktake-counters"') : page.index("</dl>")]
    assert "<dt>应在库</dt>" in counters and "<dt>账外</dt>" in counters and "Expected" not in counters


def _csrf(client: Any) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/stocktakes").get_data(as_text=True))
    assert match
    return match.group(1)


def test_who_sees_what(login, client, make, floor):
    number = stocktakes.open_stocktake(floor.keeper, floor.warehouse.code).number
    login(make.user("auditor"))
    assert client.get("/stocktakes").status_code == 200
    page = client.get(f"/stocktakes/{number}").get_data(as_text=True)
    assert 'id="stocktake-scan"' not in page and "stocktake-open" not in client.get("/stocktakes").get_data(
        as_text=True
    )
    assert client.get(f"/stocktakes/{number}/report").status_code == 200
    client.post("/logout", data={"csrf_token": _csrf(client)})
    login(floor.handler)
    assert client.get("/stocktakes").status_code == 403
    assert client.get(f"/stocktakes/{number}").status_code == 403
    assert client.get("/stocktakes/SNOPE").status_code == 403


def test_count_this_location_from_its_page(login, client, post_form, floor):
    login(floor.keeper)
    page = client.get(f"/locations/{floor.shelf.code}").get_data(as_text=True)
    assert 'action="/stocktakes"' in page and f'name="location" value="{floor.shelf.code}"' in page
    response = post_form(f"/locations/{floor.shelf.code}", {"location": floor.shelf.code}, to="/stocktakes")
    assert response.status_code == 302 and response.headers["Location"] == f"/stocktakes/{_open_number()}"


def test_an_items_timeline_says_whether_a_stocktake_found_it(make, login, client):
    from custody.services import stocktakes

    keeper, handler = make.keeper(), make.user("handler")
    shelf = make.location(keeper)
    found, lost = make.stored_items(handler, keeper, shelf, 2)
    count = stocktakes.open_stocktake(keeper, shelf.code)
    stocktakes.record_scan(keeper, count.number, found.code)
    stocktakes.close_stocktake(keeper, count.number)
    login(keeper)
    english = {"Accept-Language": "en"}
    assert "This item was missing." in client.get(f"/items/{lost.code}", headers=english).get_data(as_text=True)
    page = client.get(f"/items/{found.code}", headers=english).get_data(as_text=True)
    assert "This item was found." in page and "Seal intact" in page
