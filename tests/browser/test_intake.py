"""The floor in real Chromium: a keyboard-wedge scanner at the intake desk and at put-away."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from custody.extensions import db
from custody.models import Item, LedgerEntry
from tests.browser.test_camera import sign_in

pytestmark = pytest.mark.browser


def scan(page: Any, code: str) -> None:
    """What a wedge scanner does: type the code and Enter in one burst, into whatever has focus."""
    page.keyboard.type(code + "\n")


def wait_for_log(page: Any, log: str, n: int) -> list[str]:
    """The result classes of the log's lines, oldest first, once there are ``n``."""
    page.wait_for_function(f"() => document.querySelectorAll('{log} > li').length >= {n}")
    return list(reversed(page.locator(f"{log} > li").evaluate_all("lines => lines.map(li => li.className)")))


def stored(code: str) -> Item:
    """The item as the live server left it (its rows, not the test session's copy of them)."""
    db.session.rollback()
    return db.session.scalars(select(Item).where(Item.code == code).execution_options(populate_existing=True)).one()


def open_desk(new_page: Any, make: Any, keeper: Any, path: str, field: str, locale: str) -> Any:
    page = new_page(locale=locale)
    sign_in(page, keeper, make.PASSWORD)
    page.goto(path)
    page.wait_for_function(f"() => document.activeElement && document.activeElement.id === '{field}'")
    return page


def test_keeper_scans_an_item_checks_it_and_scans_its_shelf(new_page, make):
    keeper, handler = make.keeper(), make.user("handler")
    store = make.location(keeper, name="一号库")
    shelf = make.location(keeper, "shelf", parent=store, name="A-01")
    (item,) = make.items(handler, make.case(handler), 1, name="苹果手机", seal_no="FT000123", description="黑色")
    page = open_desk(new_page, make, keeper, "/intake", "intake-scan", "en")

    scan(page, item.code)
    card = page.locator(f'#intake-card[data-code="{item.code}"]')
    card.wait_for()
    assert "苹果手机" in card.inner_text() and "FT000123" in card.inner_text() and "黑色" in card.inner_text()
    assert wait_for_log(page, "#intake-log", 1) == ["scan-ok"]

    scan(page, shelf.code)  # the checks are not ticked yet: refused, nothing taken in
    assert wait_for_log(page, "#intake-log", 2)[-1] == "scan-wrong"
    assert stored(item.code).status == "registered"

    page.check("#intake-seal")
    page.check("#intake-matches")
    # Back in the field: Playwright's typing is too slow on a loaded machine to count as a scanner burst
    # outside it (tests/browser/test_camera.py checks that case by replaying keys inside the page).
    page.focus("#intake-scan")
    scan(page, shelf.code)
    assert wait_for_log(page, "#intake-log", 3)[-1] == "scan-ok"
    page.locator(f'#intake-card[data-code="{item.code}"][data-status="in_storage"]').wait_for()
    taken = stored(item.code)
    assert (taken.status, taken.location_id) == ("in_storage", shelf.id)

    scan(page, item.code)  # once more: already done
    assert wait_for_log(page, "#intake-log", 4)[-1] == "scan-done"
    assert page.errors == []


def test_keeper_picks_the_location_from_the_list(new_page, make):
    keeper, handler = make.keeper(), make.user("handler")
    shelf = make.location(keeper, name="二号库")
    (item,) = make.items(handler, make.case(handler), 1)
    page = open_desk(new_page, make, keeper, f"/intake?code={item.code}", "intake-scan", "zh-CN")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.check("#intake-matches")
    page.fill("#intake-note", "封条破损")
    page.select_option("#intake-location", shelf.code)
    page.locator("#intake-form button[type=submit]").click()
    assert wait_for_log(page, "#intake-log", 1) == ["scan-ok"]
    page.locator('#intake-card[data-status="in_storage"]').wait_for()
    assert stored(item.code).location_id == shelf.id
    assert page.errors == []


def test_put_away_a_burst_of_three_items(new_page, make):
    keeper, handler = make.keeper(), make.user("handler")
    first, second = make.location(keeper, name="A-01"), make.location(keeper, name="B-02")
    items = make.stored_items(handler, keeper, first, 3)
    page = open_desk(new_page, make, keeper, "/move", "move-scan", "zh-CN")

    scan(page, item_code := items[0].code)  # no target yet
    assert wait_for_log(page, "#move-log", 1) == ["scan-wrong"]
    for code in [second.code, *(i.code for i in items)]:  # the location, then three items in one burst
        scan(page, code)
    assert wait_for_log(page, "#move-log", 5)[1:] == ["scan-ok"] * 4
    assert page.locator("#move-target-code").inner_text() == second.code
    assert page.locator("#move-target-count").inner_text() == "3"
    assert {stored(i.code).location_id for i in items} == {second.id}
    moves = db.session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "item.moved")).all()
    assert len(moves) == 3

    scan(page, item_code)  # already there
    assert wait_for_log(page, "#move-log", 6)[-1] == "scan-done"
    page.reload()
    assert page.locator("#move-target-code").inner_text() == second.code  # the target survives a reload
    assert page.errors == []
