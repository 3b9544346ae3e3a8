"""Two items of a case disposed of in real Chromium, by the people who do it: the police handler asks on the
case page, the approver approves, the centre's keeper scans both out and executes, and the record downloads."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from custody.extensions import db
from custody.services import dispositions
from tests.browser.test_camera import sign_in
from tests.browser.test_intake import scan, stored, wait_for_log
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
    return dispositions.get_disposition(keeper, number).status


def test_police_dispose_of_two_items_and_the_record_names_the_disposition(new_page, make, tmp_path: Path):
    world = World(make)
    first, second, kept = world.codes
    stranger = make.stored_items(world.handler, world.keeper, world.shelf, 1)[0]  # another case's item

    # The police handler asks on the case page: two of the three items, returned to their owner.
    page = _as(new_page, make, world.handler, f"/cases/{world.case.case_no}")
    form = page.locator("#disposition-form")
    form.locator(f'input[name="items"][value="{first}"]').check()
    form.locator(f'input[name="items"][value="{second}"]').check()
    form.locator('select[name="kind"]').select_option("return_to_owner")
    form.locator('input[name="basis_doc_no"]').fill("(2026) Chaoyang Criminal Judgment No. 88")
    form.locator('input[name="recipient"]').fill("Wang, the owner")
    form.locator('textarea[name="reason"]').fill("Ownership established at trial")
    page.click("#request-disposition")
    page.wait_for_url(re.compile(r"/dispositions/D[0-9A-Z]+$"))
    number = page.url.rsplit("/", 1)[-1]
    assert _status(number, world.keeper) == "requested"
    assert page.locator("#approve").count() == 0  # a handler does not approve
    assert page.locator("#disposition-items tbody tr").count() == 2
    assert page.errors == []

    # The police approver approves it.
    page = _as(new_page, make, world.approver, f"/dispositions/{number}")
    page.click("#approve")
    page.locator("#disposition-status.disposition-approved").wait_for()
    assert _status(number, world.keeper) == "approved"
    assert page.errors == []

    # The keeper scans both out, as a wedge scanner types (code and Enter), and executes.
    page = _as(new_page, make, world.keeper, f"/dispositions/{number}", locale="zh-CN")
    page.click("#execute")
    page.wait_for_url(re.compile(rf"/dispositions/{number}/execute$"))
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'scan-input'")
    assert page.locator("#execute-progress").inner_text() == "0 / 2"
    scan(page, first)
    scan(page, stranger.code)  # an item of ours, not in this disposition
    scan(page, kept)  # of the same case, not in this disposition either
    scan(page, first)  # again
    assert wait_for_log(page, "#execute-log", 4) == ["scan-ok", "scan-wrong", "scan-wrong", "scan-done"]
    assert page.locator("#execute-progress").inner_text() == "1 / 2"
    scan(page, f"http://custody.test/s/{second.lower()}")  # a label URL, as a camera reads it
    assert wait_for_log(page, "#execute-log", 5)[-1] == "scan-ok"
    assert page.locator("#execute-progress").inner_text() == "2 / 2"
    assert page.locator('#execute-items tr[data-scanned="true"]').count() == 2
    assert page.locator("#execute-bar").evaluate("bar => [bar.value, bar.max]") == [2, 2]
    page.click("#complete-execute")
    page.wait_for_url(re.compile(rf"/dispositions/{number}$"))
    page.locator("#disposition-status.disposition-executed").wait_for()
    assert _status(number, world.keeper) == "executed"
    assert stored(first).status == stored(second).status == "disposed"
    assert stored(kept).status == "in_storage" and stored(first).location_id is None
    assert page.errors == []

    # The record: a PDF naming the disposition, fetched with the handler's session.
    page = _as(new_page, make, world.handler, f"/dispositions/{number}")
    href = page.locator("#record").get_attribute("href")
    assert href == f"/dispositions/{number}/record.pdf"
    response = page.request.get(href)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    pdf = response.body()
    printed = pdfcheck.text(pdf)
    assert pdf.startswith(b"%PDF") and number in printed and "Disposition record" in printed
    assert first in re.sub(r"\s+", "", printed) and kept not in re.sub(r"\s+", "", printed)

    # Anyone holding it can check it on the public page its QR code opens.
    page = new_page(locale="en")
    page.goto(f"/verify/{number}")
    page.set_input_files("#verify-file", files=[{"name": "record.pdf", "mimeType": "application/pdf", "buffer": pdf}])
    page.click("#verify-upload")
    assert page.locator("#verdict").get_attribute("data-genuine") == "true"
    assert page.errors == []

    shot = tmp_path / "executed.png"
    page.screenshot(path=str(shot), full_page=True)
    with Image.open(shot) as picture:
        low, high = picture.convert("L").getextrema()
    assert high - low > 100
