"""Scanning in real Chromium: a label filmed by the camera, and a keyboard-wedge scanner's burst of codes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from PIL import Image

from custody.codes import CodeKind, check_character, new_code
from custody.services import labels
from tests.browser.test_journeys import WEDGE_BURST

pytestmark = pytest.mark.browser

FRAME = (640, 480)


def write_y4m(image: Image.Image, path: Path, frames: int = 20) -> Path:
    """A still picture as a YUV4MPEG2 film (4:2:0), the format Chromium's fake camera plays in a loop."""
    width, height = FRAME
    canvas = Image.new("RGB", FRAME, "white")
    picture = image.convert("RGB")
    picture.thumbnail((width - 40, height - 40))
    canvas.paste(picture, ((width - picture.width) // 2, (height - picture.height) // 2))
    y, u, v = canvas.convert("YCbCr").split()
    quarter = (width // 2, height // 2)
    frame = b"FRAME\n" + y.tobytes() + u.resize(quarter).tobytes() + v.resize(quarter).tobytes()
    path.write_bytes(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode() + frame * frames)
    return path


def label_picture(keeper: Any, code: str) -> Image.Image:
    """What the camera sees: the item's printed label (70 × 40 mm thermal), rasterised at about 220 dpi."""
    pdf = labels.label_sheet(keeper, layout="thermal-70x40", items=[code])
    document = pdfium.PdfDocument(pdf)
    try:
        return document[0].render(scale=3).to_pil()
    finally:
        document.close()


def sign_in(page: Any, user: Any, password: str) -> None:
    page.goto("/login")
    page.locator("input[name=username]").fill(user.username)
    page.locator("input[name=password]").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/$"))


def test_camera_scan_opens_the_item(camera_browser, new_page, make, live_server, tmp_path):
    keeper = make.keeper()
    shelf = make.location(keeper, name="A-01")
    (item,) = make.stored_items(make.user("handler"), keeper, shelf, 1, name="Camera test phone")
    # The label's QR holds http://custody.test/s/<code> (the tests' base URL): the scan endpoint takes any URL
    # ending in /s/<code>, as it would a label printed before the centre moved to another address.
    video = write_y4m(label_picture(keeper, item.code), tmp_path / "label.y4m")
    page = new_page(locale="en", chromium=camera_browser(video), permissions=["camera"])
    sign_in(page, keeper, make.PASSWORD)
    page.goto("/scan")
    camera = page.locator("#scan-camera")
    camera.click()
    page.wait_for_url(re.compile(rf"/items/{item.code}$"))
    assert page.locator("h1").inner_text() == "Camera test phone"
    assert page.errors == []


# Records the frequency of every tone the page plays (the browser's Web Audio, observed, not replaced).
TONES = """(() => {
    window.tonesPlayed = [];
    const Original = window.AudioContext;
    if (!Original) return;
    window.AudioContext = class extends Original {
        createOscillator() {
            const oscillator = super.createOscillator();
            const start = oscillator.start.bind(oscillator);
            oscillator.start = when => { window.tonesPlayed.push(oscillator.frequency.value); return start(when); };
            return oscillator;
        }
    };
})()"""


@pytest.fixture
def keeper_on_scan_page(new_page, make):
    keeper = make.keeper()
    page = new_page(locale="en")
    page.add_init_script(TONES)
    sign_in(page, keeper, make.PASSWORD)
    page.goto("/scan")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'scan-input'")
    return keeper, page


# A wedge scanner as the page meets it: per character a keydown, then the character lands in the focused field;
# then Enter. Replayed inside the page (a code every `gap` ms), so a loaded test machine cannot stretch the burst.
WEDGE = """async ([codes, gap]) => {
    const field = document.activeElement;
    const press = key => field.dispatchEvent(new KeyboardEvent("keydown", {key, bubbles: true, cancelable: true}));
    for (const code of codes) {
        for (const character of code) {
            if (press(character)) document.execCommand("insertText", false, character);
        }
        press("Enter");
        await new Promise(done => setTimeout(done, gap));
    }
}"""


def scan(page: Any, codes: list[str], per_second: float = 10) -> None:
    page.evaluate(WEDGE, [codes, 1000 / per_second])


def logged(page: Any, n: int) -> list[Any]:
    page.wait_for_function(f"() => document.querySelectorAll('#scan-log > li').length >= {n}")
    return page.locator("#scan-log > li").all()


def test_wedge_burst_logs_every_code_in_order(keeper_on_scan_page, make):
    keeper, page = keeper_on_scan_page
    shelf = make.location(keeper, name="A-02")
    stored = make.stored_items(make.user("handler"), keeper, shelf, 10)
    codes = [item.code for item in stored]

    scan(page, codes)

    lines = logged(page, 10)
    page.wait_for_timeout(500)  # a burst is listed; the page must not open the last one
    assert page.url.endswith("/scan")
    assert len(page.locator("#scan-log > li").all()) == 10
    assert [line.locator(".scan-code").inner_text() for line in lines] == codes[::-1]  # newest first
    assert [line.get_attribute("data-code") for line in lines] == codes[::-1]  # what was scanned, not merged
    assert [line.get_attribute("class") for line in lines] == ["scan-ok"] * 10
    names = {item.code: item.name for item in stored}
    for line in lines:
        text = line.inner_text()
        assert names[line.get_attribute("data-code")] in text and "In storage" in text and "Move" in text
    assert page.locator("#scan-input").input_value() == ""
    assert page.errors == []


def test_real_keys_typed_back_to_back_are_not_merged(keeper_on_scan_page, make):
    """Chromium's own key input, no pause between codes: each Enter empties the field before the next key lands.

    The lookups are held until everything is typed, so a slow test machine typing slower than a scanner does
    not turn the first code into a scan "on its own" that opens its page; the last code is unknown, for the same
    reason.
    """
    keeper, page = keeper_on_scan_page
    shelf = make.location(keeper, name="A-03")
    codes = [item.code for item in make.stored_items(make.user("handler"), keeper, shelf, 5)]
    codes.append(new_code(CodeKind.ITEM))
    held: list[Any] = []
    page.route("**/api/v1/scan?*", lambda route: held.append(route))

    page.keyboard.type("\n".join(codes) + "\n")
    page.wait_for_function("() => document.activeElement.value === ''")
    while not held:  # the first lookup has left the page and waits for us
        page.wait_for_timeout(20)
    for route in held:
        route.continue_()
    page.unroute("**/api/v1/scan?*")

    lines = logged(page, 6)
    assert [line.get_attribute("data-code") for line in lines] == codes[::-1]
    assert [line.get_attribute("class") for line in lines] == ["scan-unknown"] + ["scan-ok"] * 5
    assert page.url.endswith("/scan")
    # Heard as well as seen: a bright tone for each one found, a low one for the unknown code.
    page.wait_for_function("() => window.tonesPlayed.length >= 6")
    assert page.evaluate("window.tonesPlayed") == [1046] * 5 + [330]


def test_unknown_and_mistyped_codes_give_unknown_feedback(keeper_on_scan_page, make):
    keeper, page = keeper_on_scan_page
    shelf = make.location(keeper, name="A-04")
    (item,) = make.stored_items(make.user("handler"), keeper, shelf, 1)
    unknown = new_code(CodeKind.ITEM)
    body = item.code[:-1]
    mistyped = body + next(c for c in "0123456789ABCDEFGHJKMNPQRSTVWXYZ" if c != check_character(body))

    scan(page, [unknown, mistyped])

    newest, oldest = logged(page, 2)
    assert oldest.get_attribute("class") == "scan-unknown" and oldest.get_attribute("data-code") == unknown
    assert "No item or location with this code" in oldest.inner_text()
    assert newest.get_attribute("class") == "scan-unknown" and newest.get_attribute("data-code") == mistyped
    assert "check character does not match" in newest.inner_text()
    status = page.locator(".scan-status")
    assert "scan-unknown" in (status.get_attribute("class") or "")
    assert page.url.endswith("/scan")
    assert page.errors == []


def test_a_scan_typed_outside_the_field_is_not_lost(keeper_on_scan_page, make):
    """Focus on a button or on nothing (a phone does not refocus the field): the burst still reaches the queue."""
    keeper, page = keeper_on_scan_page
    shelf = make.location(keeper, name="A-05")
    (item,) = make.stored_items(make.user("handler"), keeper, shelf, 1, name="Outside the field")

    page.evaluate(WEDGE_BURST, item.code)  # keys aimed at the page's body, not at the field

    page.wait_for_url(re.compile(rf"/items/{item.code}$"))  # a scan on its own opens its item, as before
    assert page.locator("h1").inner_text() == "Outside the field"


def test_global_wedge_listener_leaves_scanning_pages_alone(keeper_on_scan_page, make):
    """wedge.js opens the scan page for a burst typed outside any field, except on pages that scan themselves."""
    keeper, page = keeper_on_scan_page
    shelf = make.location(keeper, name="A-06")
    (item,) = make.stored_items(make.user("handler"), keeper, shelf, 1)
    page.goto("/move")
    page.wait_for_function("() => document.body.hasAttribute('data-scanner')")

    page.evaluate(WEDGE_BURST, item.code)

    page.wait_for_selector(f'li[data-code="{item.code}"]')
    assert page.url.endswith("/move")
    assert page.errors == []
