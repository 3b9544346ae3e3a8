"""A case handed over in real Chromium, by the people who do it: police request and approve, the keeper scans
every item on its shelf, the procuratorate accepts all but one, and the receipt is checked on the public page."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from custody.extensions import db
from custody.services import handovers
from tests.browser.test_camera import sign_in
from tests.browser.test_intake import scan, wait_for_log
from tests.documents import pdfcheck
from tests.worlds import HandoverWorld as World

pytestmark = pytest.mark.browser


def _as(new_page: Any, make: Any, user: Any, path: str, locale: str = "en") -> Any:
    """A browser of the user's own (a fresh context: its own cookies), signed in and on ``path``."""
    page = new_page(locale=locale)
    sign_in(page, user, make.PASSWORD)
    page.goto(path)
    return page


def _status(number: str, keeper: Any) -> str:
    db.session.rollback()  # see what the live server committed
    return handovers.get_handover(keeper, number).status


def test_police_hand_a_case_to_the_procuratorate_and_the_receipt_checks_out(new_page, make, tmp_path: Path):
    world = World(make)
    stranger = make.stored_items(world.handler, world.keeper, world.shelf, 1)[0]  # another case's item
    kept, moves, refused = world.codes

    # The police handler asks for the transfer on the case page; one item moves with the case.
    page = _as(new_page, make, world.handler, f"/cases/{world.case.case_no}")
    form = page.locator("#handover-form")
    form.locator('select[name="to_agency"]').select_option(world.procuratorate.code)
    assert all(form.locator(f'input[name="items"][value="{code}"]').is_checked() for code in world.codes)
    form.locator(f'input[name="moves"][value="{moves}"]').check()
    form.locator('textarea[name="note"]').fill("For prosecution review")
    page.click("#request-handover")
    page.wait_for_url(re.compile(r"/handovers/H[0-9A-Z]+$"))
    number = page.url.rsplit("/", 1)[-1]
    assert _status(number, world.keeper) == "requested"
    assert page.locator("#approve").count() == 0  # a handler does not approve
    assert page.errors == []

    # The police approver approves it.
    page = _as(new_page, make, world.approver, f"/handovers/{number}")
    page.click("#approve")
    page.locator("#handover-status.handover-approved").wait_for()
    assert page.errors == []

    # The keeper scans each item on its shelf, as a wedge scanner types: code and Enter.
    page = _as(new_page, make, world.keeper, f"/handovers/{number}", locale="zh-CN")
    page.click("#presence")
    page.wait_for_url(re.compile(rf"/handovers/{number}/presence$"))
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'scan-input'")
    assert page.locator("#presence-progress").inner_text() == "0 / 3"
    scan(page, kept)
    scan(page, stranger.code)  # an item of ours, not in this handover
    scan(page, f"http://custody.test/s/{moves.lower()}")  # a label URL, as a camera reads it
    scan(page, kept)  # again
    assert wait_for_log(page, "#presence-log", 4) == ["scan-ok", "scan-wrong", "scan-ok", "scan-done"]
    assert page.locator("#presence-progress").inner_text() == "2 / 3"
    scan(page, refused)
    assert wait_for_log(page, "#presence-log", 5)[-1] == "scan-ok"
    assert page.locator("#presence-progress").inner_text() == "3 / 3"
    assert page.locator('#presence-items tr[data-presence="present"]').count() == 3
    assert page.locator("#presence-bar").evaluate("bar => [bar.value, bar.max]") == [3, 3]
    page.click("#complete-check")
    page.wait_for_url(re.compile(rf"/handovers/{number}$"))
    page.locator("#handover-status.handover-checked").wait_for()
    assert _status(number, world.keeper) == "checked"
    assert page.errors == []

    # The procuratorate accepts the case and two items, and rejects the third with a reason.
    page = _as(new_page, make, world.prosecutor, f"/handovers/{number}")
    page.check(f'#accept-form input[name="reject"][value="{refused}"]')
    page.fill(f'#accept-form input[name="reason-{refused}"]', "Not evidence in this case")
    page.click("#accept")
    page.locator("#handover-status.handover-partially_accepted").wait_for()
    db.session.rollback()
    done = handovers.get_handover(world.keeper, number)
    assert done.status == "partially_accepted"
    assert {line.item.code: (line.state, line.reason) for line in done.lines} == {
        kept: ("accepted", None),
        moves: ("accepted", None),
        refused: ("rejected", "Not evidence in this case"),
    }
    assert done.case.agency_id == world.procuratorate.id and done.checkout_number

    # The receipt: a PDF naming the handover, fetched with the prosecutor's session.
    href = page.locator("#receipt").get_attribute("href")
    assert href == f"/handovers/{number}/receipt.pdf"
    response = page.request.get(href)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    pdf = response.body()
    assert pdf.startswith(b"%PDF") and number in pdfcheck.text(pdf)
    assert page.errors == []

    # Anyone holding it can check it on the public page its QR code opens.
    page = new_page(locale="en")
    page.goto(f"/verify/{number}")
    assert page.locator("#receipt-sha256").inner_text() == hashlib.sha256(pdf).hexdigest()
    assert page.locator("#verify-lines").count() == 0  # not signed in: the summary only
    page.set_input_files("#verify-file", files=[{"name": "receipt.pdf", "mimeType": "application/pdf", "buffer": pdf}])
    page.click("#verify-upload")
    assert page.locator("#verdict").get_attribute("data-genuine") == "true"
    assert page.errors == []

    shot = tmp_path / "verified.png"
    page.screenshot(path=str(shot), full_page=True)
    with Image.open(shot) as picture:
        low, high = picture.convert("L").getextrema()
    assert high - low > 100  # something was drawn, not a blank page
