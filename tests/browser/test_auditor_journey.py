"""An auditor's afternoon in real Chromium: the ledger narrowed to one case, an item's timeline opened from a row,
the chain verified, the case's entries downloaded as CSV, then the statistics page, whose plots are
photographed and checked to be pictures, not blank boxes."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from PIL import Image

from custody.extensions import db
from custody.services import ledger_view, warehouse
from tests.browser.test_camera import sign_in
from tests.services.test_statistics import StatsWorld

pytestmark = pytest.mark.browser

CASE_NO = "公刑立字〔2026〕88号"
CHARTS = ("chart-holdings", "chart-ages", "chart-lead-times", "chart-overdue")
BAR_BLUE = (0x00, 0x72, 0xB2)  # .series-0 in static/css/app.css


def _near(colour: tuple[int, ...], target: tuple[int, int, int], slack: int = 24) -> bool:
    return all(abs(a - b) <= slack for a, b in zip(colour[:3], target, strict=True))


def _picture_facts(path: Path) -> tuple[int, float, int]:
    """(distinct colours, share of pixels that are not near-white, pixels of the first series' blue)."""
    with Image.open(path) as shot:
        rgb = shot.convert("RGB")
        colours = rgb.getcolors(maxcolors=1 << 20) or []
    total = sum(n for n, _c in colours)
    inked = sum(n for n, c in colours if min(c) < 235)
    blue = sum(n for n, c in colours if _near(c, BAR_BLUE))
    return len(colours), inked / total, blue


def test_an_auditor_follows_one_case_through_the_ledger_and_reads_the_plots(new_page, make, tmp_path: Path):
    world = StatsWorld(make)  # a year of acts; the clock stays at its "now"
    case = make.case(world.handler, case_no=CASE_NO)
    codes = [i.code for i in make.items(world.handler, case, 2)]
    for code in codes:
        warehouse.intake(world.keeper, code, location=world.shelf.code, seal_intact=True)

    page = new_page(locale="zh-CN")
    sign_in(page, world.auditor, make.PASSWORD)

    # The ledger browser, from the main navigation, narrowed to one case.
    page.click("#nav-ledger")
    page.wait_for_url(re.compile(r"/audit/ledger$"))
    assert page.locator("#ledger-table tbody tr").count() > 4  # everything, before filtering
    page.fill('#ledger-filters input[name="case_no"]', CASE_NO)
    page.locator("#ledger-filters button[type=submit]").click()
    page.wait_for_url(re.compile(r"/audit/ledger\?.*case_no="))
    assert parse_qs(urlparse(page.url).query)["case_no"] == [CASE_NO]
    rows = page.locator("#ledger-table tbody tr")
    # Opened, two items registered (one entry), each taken in: newest first.
    assert rows.count() == 4
    assert page.locator("#ledger-table .case-link").all_inner_texts() == [CASE_NO] * 4
    seqs = [int(s) for s in page.locator("#ledger-table tbody tr").evaluate_all("rows => rows.map(r => r.dataset.seq)")]
    assert seqs == sorted(seqs, reverse=True)
    assert page.errors == []

    # An item's timeline, from the newest row (the second item's intake).
    newest = rows.first
    item_link = newest.locator(".item-link").first
    code = item_link.inner_text()
    assert code == codes[1]
    item_link.click()
    page.wait_for_url(re.compile(rf"/items/{code}$"))
    kinds = page.locator("#timeline li.entry").evaluate_all("items => items.map(i => i.dataset.kind)")
    assert kinds == ["item.registered", "item.intake"]
    assert page.errors == []

    # Verification, from the ledger page: the chain is intact.
    page.go_back()
    page.wait_for_url(re.compile(r"/audit/ledger\?"))
    page.click("#verify-button")
    page.wait_for_url(re.compile(r"/audit/verify$"))
    page.locator("#latest-check.check-ok").wait_for()
    assert page.locator("#check-result").get_attribute("class") == "flash ok"
    db.session.rollback()  # see what the live server committed
    checked = re.findall(r"\d+", page.locator("#check-result").inner_text())
    assert checked == [str(ledger_view.head().seq)]  # every entry, up to the latest
    assert page.locator("#check-history tbody tr").count() == 1
    assert page.errors == []

    # The case's entries as CSV, with the browser's filters.
    page.go_back()
    page.wait_for_url(re.compile(r"/audit/ledger\?"))
    with page.expect_download() as download:
        page.click("#entries-csv")
    saved = tmp_path / "entries.csv"
    download.value.save_as(saved)
    raw = saved.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM, so a spreadsheet reads the Chinese as UTF-8
    text = raw.decode("utf-8-sig")
    assert CASE_NO in text
    table = list(csv.DictReader(io.StringIO(text)))
    assert [row["case_no"] for row in table] == [CASE_NO] * 4
    assert sorted(int(row["seq"]) for row in table) == sorted(seqs)
    assert page.errors == []

    # The statistics page: four plots, each a picture with bars, not an empty frame.
    page.click("#nav-stats")
    page.wait_for_url(re.compile(r"/stats$"))
    for chart in CHARTS:
        page.locator(f"#{chart}-svg").wait_for()
    assert page.locator("#chart-holdings-svg rect.bar").count() == 6  # PSB: 3 statuses, PRO: 1, PSB2: 2
    assert page.locator("#chart-overdue-svg circle.point").count() == 12
    assert page.errors == []

    whole = tmp_path / "stats.png"
    page.screenshot(path=str(whole), full_page=True)
    with Image.open(whole) as picture:
        low, high = picture.convert("L").getextrema()
    assert high - low > 100  # something was drawn on the page

    for chart in CHARTS:
        shot = tmp_path / f"{chart}.png"
        page.locator(f"#{chart}-svg").screenshot(path=str(shot))
        colours, inked, blue = _picture_facts(shot)
        assert colours > 8, f"{chart}: {colours} colours"  # bars, text and grid lines, antialiased
        assert inked > 0.01, f"{chart}: only {inked:.1%} is not white"
        if chart != "chart-overdue":  # the stylesheet's blue, not SVG's default black (the line is red)
            assert blue > 200, f"{chart}: {blue} blue pixels"
