"""In real Chromium: a demo password must be changed before anything else, and an administrator reads the
security log — both pages work under the Content-Security-Policy (the fixture fails on any refusal)."""

from __future__ import annotations

import pytest

from custody.extensions import db
from custody.services import people

pytestmark = pytest.mark.browser
NEW = "lantern-harbour-plum-77"


def _sign_in(page, username: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def test_demo_password_is_changed_first_and_the_admin_sees_it_in_the_log(new_page, make, app, monkeypatch):
    centre = make.agency("centre", code="CTR")
    keeper = make.user("keeper", agency=centre, username="demo.keeper")
    admin = make.user("admin", agency=centre, username="centre.admin")
    people.set_password(keeper, "printed-demo-pass", must_change=True)
    db.session.commit()
    monkeypatch.setitem(app.config, "CUSTODY_DEMO_MODE", False)

    page = new_page()
    _sign_in(page, "demo.keeper", "wrong password")
    assert "用户名或密码错误" in page.locator(".flash.error").inner_text()
    _sign_in(page, "demo.keeper", "printed-demo-pass")
    page.wait_for_url("**/account/password")
    assert page.locator("#must-change").is_visible()
    page.goto("/warehouse")  # anything else sends them back
    page.wait_for_url("**/account/password")
    page.get_by_label("当前密码").fill("printed-demo-pass")
    page.get_by_label("新密码", exact=True).fill("password1234")
    page.get_by_label("再次输入新密码").fill("password1234")
    page.get_by_role("button", name="修改密码").click()
    assert "过于常见" in page.locator(".field-error").inner_text()
    page.get_by_label("当前密码").fill("printed-demo-pass")
    page.get_by_label("新密码", exact=True).fill(NEW)
    page.get_by_label("再次输入新密码").fill(NEW)
    page.get_by_role("button", name="修改密码").click()
    page.wait_for_url(lambda url: url.endswith("/"))
    assert "密码已修改" in page.locator(".flash.ok").inner_text()

    other = new_page()
    _sign_in(other, "centre.admin", make.PASSWORD)
    other.locator("#nav-security").click()
    other.wait_for_selector("#security-events")
    kinds = other.locator("#security-events tbody tr").evaluate_all("rows => rows.map(r => r.dataset.kind)")
    assert {"signin", "signin_failed", "password_changed"} <= set(kinds)
    assert admin.username in other.locator("#security-events").inner_text()  # its own sign-in is listed too
    other.get_by_label("事件").select_option("signin_failed")
    other.get_by_role("button", name="显示").click()
    other.wait_for_selector("#security-events")
    rows = other.locator("#security-events tbody tr")
    assert rows.count() == 1 and "demo.keeper" in rows.inner_text()
