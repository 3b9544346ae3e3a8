"""Journeys in real headless Chromium: what a case handler does, in Chinese and in English."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from custody import clock

pytestmark = pytest.mark.browser

TEXT = {
    "zh": {
        "lang": "zh-CN",
        "sign_in": "登录",
        "username": "用户名",
        "password": "密码",
        "open_case": "新建案件",
        "case_number": "案件编号",
        "title": "案件名称",
        "submit_case": "建立案件",
        "opened": "已建立",
        "add_row": "再加一行",
        "register": "登记涉案财物",
        "registered": "已登记 2 件涉案财物。",
        "timeline": "保管流转记录",
        "entry": "登记入账",
        "status": "已登记",
        "scan": "扫码",
    },
    "en": {
        "lang": "en",
        "sign_in": "Sign in",
        "username": "Username",
        "password": "Password",
        "open_case": "Open a case",
        "case_number": "Case number",
        "title": "Title",
        "submit_case": "Open case",
        "opened": "opened",
        "add_row": "Add another row",
        "register": "Register items",
        "registered": "2 items registered.",
        "timeline": "Custody timeline",
        "entry": "Item registered",
        "status": "Registered",
        "scan": "Scan",
    },
}


WEDGE_BURST = """code => {
    for (const key of [...code, "Enter"]) {
        document.body.dispatchEvent(new KeyboardEvent("keydown", {key, bubbles: true, cancelable: true}));
    }
}"""


def sign_in(page: Any, username: str, password: str, t: dict[str, str]) -> None:
    page.get_by_label(t["username"]).fill(username)
    page.get_by_label(t["password"]).fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/$"))


def fill_row(page: Any, row: int, **values: str) -> None:
    fieldset = page.locator(f'fieldset.item-row[data-row="{row}"]')
    for name, value in values.items():
        field = fieldset.locator(f'[name="rows-{row}-{name}"]')
        if name == "category":
            field.select_option(value)
        else:
            field.fill(value)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_handler_registers_items_and_follows_one(new_page, make, language):
    t = TEXT[language]
    handler = make.user("handler", username=f"officer.{language}")
    page = new_page(locale="zh-CN")
    page.goto("/login")
    if language == "en":  # the browser asks for Chinese; the switch in the header wins
        page.get_by_role("button", name="English").click()
    assert page.locator("html").get_attribute("lang") == t["lang"]
    assert page.locator("h1").inner_text() == t["sign_in"]

    sign_in(page, handler.username, make.PASSWORD, t)
    page.get_by_role("link", name=t["open_case"]).click()
    case_no = f"公刑立字〔2026〕{language.upper()}-1号"
    page.get_by_label(t["case_number"]).fill(case_no)
    page.get_by_label(t["title"]).fill("张某某盗窃案")
    page.get_by_role("button", name=t["submit_case"]).click()
    page.wait_for_selector("#register-items")
    assert t["opened"] in page.locator(".flash.ok").inner_text()
    assert page.locator("h1").inner_text() == "张某某盗窃案"

    seized = (clock.now() - timedelta(days=1)).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")
    fill_row(
        page,
        0,
        name="苹果手机",
        category="electronics",
        quantity="1",
        unit="部",
        seal_no="FT100001",
        seizure_doc_no="公扣字〔2026〕88号",
        seized_at=seized,
    )
    # "Add another row" runs in the page: a fourth row appears at once, carrying the seizure document and time.
    page.evaluate("window.stillHere = true")
    page.get_by_role("button", name=t["add_row"]).click()
    assert page.locator("fieldset.item-row").count() == 4
    assert page.evaluate("window.stillHere === true"), "the row should be added in the page, not by a round trip"
    assert page.locator('[name="rows-3-seizure_doc_no"]').input_value() == "公扣字〔2026〕88号"
    assert page.locator('[name="rows-3-seized_at"]').input_value() == seized
    assert page.locator("#row-count").input_value() == "4"
    fill_row(page, 3, name="现金", category="cash", quantity="12800", unit="元", seal_no="FT100002")
    page.locator("#register-items button[type=submit]:not([name])").click()

    page.wait_for_selector(".flash.ok")
    assert page.locator(".flash.ok").inner_text() == t["registered"]
    rows = page.locator("#items tbody tr")
    assert rows.count() == 2
    assert t["status"] in rows.first.inner_text()

    cash_code = rows.filter(has_text="现金").locator("a.code").inner_text()
    rows.filter(has_text="苹果手机").locator("a.code").click()
    page.wait_for_selector("#timeline")
    code = page.locator(".subtitle.code").inner_text()
    assert page.locator("#timeline h2").inner_text() == t["timeline"]
    entry = page.locator("#timeline li.entry").first
    assert entry.locator(".entry-title").inner_text() == t["entry"]
    text = entry.inner_text()
    assert "FT100001" in text and "公扣字〔2026〕88号" in text and seized.replace("T", " ") in text
    assert handler.username in text

    # A keyboard-wedge scanner types the code and Enter into the focused scan field.
    page.get_by_role("link", name=t["scan"], exact=True).click()
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'scan-input'")
    page.keyboard.type(code + "\n", delay=5)
    page.wait_for_url(re.compile(rf"/items/{code}$"))
    assert page.locator(".subtitle.code").inner_text() == code
    # The next label can be scanned right away from the item page: no field has focus, the page listens.
    # The scanner's burst of keys is replayed inside the page, so a loaded test machine cannot slow it down.
    page.evaluate(WEDGE_BURST, cash_code)
    page.wait_for_url(re.compile(rf"/items/{cash_code}$"))
    assert page.locator("h1").inner_text() == "现金"
    assert page.errors == []


def test_register_form_and_scan_work_without_javascript(new_page, make):
    handler = make.user("handler", username="officer.nojs")
    case = make.case(handler, case_no="NOJS-1", title="无脚本")
    page = new_page(locale="zh-CN", javascript=False)
    page.goto("/login")
    sign_in(page, handler.username, make.PASSWORD, TEXT["zh"])
    page.goto(f"/cases/{case.case_no}")
    assert page.locator("fieldset.item-row").count() == 3
    seized = (clock.now() - timedelta(hours=5)).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")
    fill_row(
        page, 0, name="渔获", category="goods", quantity="85.5", unit="千克", seizure_doc_no="D-1", seized_at=seized
    )
    page.get_by_role("button", name="再加一行").click()  # a round trip: the server adds the row
    page.wait_for_selector('fieldset.item-row[data-row="3"]')
    assert page.locator('[name="rows-0-name"]').input_value() == "渔获"
    assert page.locator('[name="rows-3-seizure_doc_no"]').input_value() == "D-1"
    fill_row(page, 3, name="渔网", category="goods", quantity="2", unit="张")
    page.locator("#register-items button[type=submit]:not([name])").click()
    page.wait_for_selector(".flash.ok")
    assert page.locator("#items tbody tr").count() == 2
    code = page.locator("#items tbody tr", has_text="渔网").locator("a.code").inner_text()
    page.goto("/scan")
    page.locator("#scan-input").fill(code.lower())
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/items/{code}$"))
    assert "渔网" in page.locator("h1").inner_text()


def test_case_page_fits_a_phone_screen(new_page, make):
    handler = make.user("handler", username="officer.phone")
    case = make.case(handler, case_no="示范公刑立字〔2026〕第000101号（补充侦查）", title="张某某涉嫌盗窃、诈骗案")
    items = make.items(
        handler, case, 2, seal_no="FT-000000000000000000000000000001", description="黑色，屏幕有裂痕" * 10
    )
    page = new_page(locale="zh-CN", width=360, height=740)
    page.goto("/login")
    sign_in(page, handler.username, make.PASSWORD, TEXT["zh"])
    for path in (f"/cases/{case.case_no}", "/", f"/items/{items[0].code}", "/scan"):
        page.goto(path)
        widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert widths[0] <= widths[1], f"{path} scrolls sideways at 360 px: {widths}"
    assert page.errors == []
