"""The check-out page in real Chromium: the keeper releases by scanning every item, then takes them back in parts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from custody import clock
from custody.extensions import db
from custody.services import checkouts
from tests.browser.test_camera import sign_in
from tests.browser.test_intake import scan, stored, wait_for_log

pytestmark = pytest.mark.browser


def test_keeper_releases_by_scanning_then_takes_items_back_one_by_one(new_page, make):
    police = make.agency("police")
    handler, approver = make.user("handler", agency=police), make.user("approver", agency=police)
    keeper = make.keeper()
    shelf = make.location(keeper, name="一号库")
    items = make.stored_items(handler, keeper, shelf, 4)
    codes = [i.code for i in items[:3]]
    due = clock.now() + timedelta(days=1)
    number = checkouts.request_checkout(handler, codes, "appraisal", due, handler.username).number
    checkouts.approve_checkout(approver, number)

    page = new_page(locale="en")
    sign_in(page, keeper, make.PASSWORD)
    page.goto(f"/checkouts/{number}")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'checkout-scan'")
    button = page.locator("#release-button")
    assert button.is_disabled() and page.locator("#release-codes").is_hidden()

    scan(page, codes[0])
    scan(page, items[3].code)  # an item of ours, not in this check-out
    scan(page, "http://custody.test/s/" + codes[1].lower())  # a label URL, as a camera reads it
    scan(page, codes[0])  # again
    assert wait_for_log(page, "#checkout-log", 4) == ["scan-ok", "scan-wrong", "scan-ok", "scan-done"]
    assert page.locator("#release-count").inner_text() == "2 of 3 scanned" and button.is_disabled()
    scan(page, codes[2])
    assert wait_for_log(page, "#checkout-log", 5)[-1] == "scan-ok"
    assert button.is_enabled()
    button.click()
    page.locator("#return").wait_for()  # reloaded: now the return panel
    assert {stored(c).status for c in codes} == {"checked_out"}

    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'checkout-scan'")
    page.uncheck("#seal-intact")
    page.fill("#return-note", "seal torn")
    page.focus("#checkout-scan")
    scan(page, codes[1])
    assert wait_for_log(page, "#checkout-log", 1) == ["scan-ok"]
    page.locator(f'tr[data-code="{codes[1]}"][data-state="returned"]').wait_for()
    assert page.is_checked("#seal-intact") and page.input_value("#return-note") == ""  # ready for the next item
    db.session.rollback()  # see what the live server committed
    line = checkouts.get_checkout(keeper, number).lines[1]
    assert (line.seal_intact, line.return_note, stored(codes[1]).status) == (False, "seal torn", "in_storage")
    scan(page, codes[1])
    scan(page, items[3].code)
    scan(page, codes[0])
    scan(page, codes[2])
    assert wait_for_log(page, "#checkout-log", 5)[1:] == ["scan-done", "scan-wrong", "scan-ok", "scan-ok"]
    page.locator("#checkout-status.checkout-returned").wait_for()
    db.session.rollback()
    assert checkouts.get_checkout(keeper, number).status == "returned"
    assert page.errors == []
