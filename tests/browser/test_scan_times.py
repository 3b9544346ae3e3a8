"""The scan log's times in real Chromium on a device set to UTC: they read in the centre's zone (the deployment's
CUSTODY_TIMEZONE, Asia/Shanghai), as every time the server writes does, not in the device's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.browser.test_camera import sign_in
from tests.browser.test_intake import scan, wait_for_log
from tests.worlds import HandoverWorld

pytestmark = pytest.mark.browser

# 18:04:05 on the device (UTC) is 02:04:05 the next morning in Shanghai: hour and day both differ.
SCANNED_AT = datetime(2026, 12, 6, 18, 4, 5, tzinfo=UTC)


@pytest.fixture
def utc_page(browser: Any, live_server: str) -> Iterator[Any]:
    """A page on a device whose zone is UTC and whose clock stands at ``SCANNED_AT``; records console errors."""
    context = browser.new_context(base_url=live_server, locale="en", timezone_id="UTC")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.clock.set_fixed_time(SCANNED_AT)
    page.problems = []
    page.on("pageerror", lambda error: page.problems.append(str(error)))
    page.on("console", lambda message: page.problems.append(message.text) if message.type == "error" else None)
    yield page
    context.close()


def _last_time(page: Any) -> tuple[str, str]:
    time = page.locator("#presence-log > li").first.locator("time.scan-time")
    return time.inner_text(), time.get_attribute("datetime")


def test_presence_check_logs_scans_in_the_centres_zone(utc_page, app, make, monkeypatch):
    world = HandoverWorld(make)
    number = world.approved()
    page = utc_page
    sign_in(page, world.keeper, make.PASSWORD)
    page.goto(f"/handovers/{number}/presence")
    assert page.locator("body").get_attribute("data-timezone") == "Asia/Shanghai"
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'scan-input'")
    assert page.evaluate("() => new Date().getHours()") == 18  # the device's own clock says 18:04

    scan(page, world.codes[0])
    assert wait_for_log(page, "#presence-log", 1) == ["scan-ok"]
    assert _last_time(page) == ("02:04:05", "2026-12-06T18:04:05.000Z")

    # A zone this browser does not know: the device's clock, rather than no time or a broken page.
    monkeypatch.setitem(app.config, "CUSTODY_TIMEZONE", "Nowhere/Atlantis")
    page.reload()
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'scan-input'")
    scan(page, world.codes[1])
    assert wait_for_log(page, "#presence-log", 1) == ["scan-ok"]
    assert _last_time(page) == ("18:04:05", "2026-12-06T18:04:05.000Z")
    assert page.problems == []
