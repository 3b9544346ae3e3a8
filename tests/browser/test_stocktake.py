"""A stocktake in real Chromium: a keyboard-wedge scanner's burst of 20 labels at 10 a second, then the close."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import func, select

from custody.extensions import db
from custody.models import Stocktake, StocktakeScan
from custody.services import stocktakes
from tests.browser.test_camera import sign_in

pytestmark = pytest.mark.browser

BURST = 20
INTERVAL_S = 0.1  # 10 codes a second


def test_a_burst_of_twenty_scans_is_recorded_in_order_and_shown(new_page, make):
    keeper, handler = make.keeper(), make.user("handler")
    store = make.location(keeper, name="一号库")
    shelf = make.location(keeper, "shelf", parent=store, name="A-01")
    elsewhere = make.location(keeper, name="二号库")
    on_shelf = make.stored_items(handler, keeper, shelf, BURST - 1)
    strays = make.stored_items(handler, keeper, elsewhere, 2)
    number = stocktakes.open_stocktake(keeper, store.code).number
    codes = [item.code for item in on_shelf[: BURST - 2]] + [item.code for item in strays]
    codes.insert(5, codes.pop())  # an unexpected one in the middle of the burst

    page = new_page(locale="en")
    sign_in(page, keeper, make.PASSWORD)
    page.goto(f"/stocktakes/{number}")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'stocktake-scan'")
    for code in codes:
        started = time.perf_counter()
        page.keyboard.type(code + "\n", delay=5)
        time.sleep(max(0.0, INTERVAL_S - (time.perf_counter() - started)))

    page.wait_for_function(f"() => document.querySelectorAll('#stocktake-log > li').length >= {BURST}")
    page.wait_for_function(f"() => document.getElementById('count-scanned').textContent === '{BURST}'")
    lines = page.locator("#stocktake-log > li").evaluate_all(
        "lines => lines.map(li => [li.getAttribute('data-code'), li.className])"
    )
    assert [code for code, _cls in reversed(lines)] == codes  # newest first on the page, each exactly once
    wrong = {code for code, cls in lines if cls == "scan-wrong"}
    assert wrong == {item.code for item in strays}
    assert {cls for code, cls in lines if code not in wrong} == {"scan-ok"}
    counters = {name: page.locator(f"#count-{name}").inner_text() for name in ("expected", "found", "unexpected")}
    assert counters == {"expected": str(BURST - 1), "found": str(BURST - 2), "unexpected": "2"}
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(StocktakeScan)) == BURST

    page.locator("#stocktake-close summary").click()
    page.locator("#stocktake-close-form button").click()
    page.wait_for_url(re.compile(rf"/stocktakes/{number}/report$"))
    assert page.locator("#missing-title .count").inner_text() == "1"  # 19 expected, 18 of them scanned
    assert on_shelf[-1].code in page.locator("#missing").inner_text()
    db.session.rollback()
    assert db.session.scalar(select(Stocktake.status).where(Stocktake.number == number)) == "closed"
    assert page.errors == []
