"""The pages: changing one's password, the forced change of demo passwords, the security log, idle sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from custody import clock
from custody.extensions import db
from custody.models import SecurityEvent
from custody.services import people
from tests.web.conftest import csrf_from

STRONG = "plum-harbour-lantern-42"


def _kinds():
    db.session.rollback()
    return list(db.session.scalars(select(SecurityEvent.kind).order_by(SecurityEvent.id)))


def _change(client, current, new, confirm=None):
    token = csrf_from(client.get("/account/password").get_data(as_text=True))
    return client.post(
        "/account/password",
        data={"current_password": current, "new_password": new, "confirm": confirm or new, "csrf_token": token},
    )


def test_change_password_page_applies_the_rules(login, make, client):
    user = make.user("handler")
    login(user)
    page = client.get("/account/password").get_data(as_text=True)
    assert "修改密码" in page and "10" in page
    refused = _change(client, make.PASSWORD, "123456789a")
    assert refused.status_code == 200 and "Too common" not in refused.get_data(as_text=True)
    assert "常见" in refused.get_data(as_text=True)  # the rule, in the user's language
    mismatch = _change(client, make.PASSWORD, STRONG, confirm=STRONG + "x")
    assert "两次输入的新密码不一致" in mismatch.get_data(as_text=True)
    done = _change(client, make.PASSWORD, STRONG)
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert "password_changed" in _kinds()


def test_demo_password_forces_a_change_before_anything_else(login, make, client, app, monkeypatch):
    user = make.user("keeper")
    people.set_password(user, "printed-demo-pass", must_change=True)
    db.session.commit()
    monkeypatch.setitem(app.config, "CUSTODY_DEMO_MODE", False)
    login(user, "printed-demo-pass")
    for path in ("/", "/warehouse", "/account/tokens"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"] == "/account/password", path
    page = client.get("/account/password").get_data(as_text=True)
    assert 'id="must-change"' in page
    assert _change(client, "printed-demo-pass", STRONG).status_code == 302
    assert client.get("/").status_code == 200


def test_security_log_page_is_for_administrators(login, make, client):
    centre = make.agency("centre", code="CTR")
    admin = make.user("admin", agency=centre)
    handler = make.user("handler")
    login(handler)
    assert client.get("/admin/security").status_code == 403
    token = csrf_from(client.get("/").get_data(as_text=True))
    client.post("/logout", data={"csrf_token": token})
    token = csrf_from(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": "ghost", "password": "guess", "csrf_token": token})
    login(admin)
    page = client.get("/admin/security").get_data(as_text=True)
    assert 'id="security-events"' in page and "ghost" in page and handler.username in page
    assert "登录失败" in page and "请求被拒绝" in page and "已退出" in page
    filtered = client.get("/admin/security?kind=signin_failed").get_data(as_text=True)
    assert "ghost" in filtered and 'data-kind="forbidden"' not in filtered
    assert 'id="nav-security"' in page


def test_login_page_answers_429_while_throttled(make, client, app):
    user = make.user("handler")
    for _ in range(app.config["CUSTODY_SIGNIN_FREE"] + 1):
        token = csrf_from(client.get("/login").get_data(as_text=True))
        response = client.post("/login", data={"username": user.username, "password": "wrong", "csrf_token": token})
    assert response.status_code == 429
    assert "登录失败次数过多" in response.get_data(as_text=True)


def test_idle_session_is_signed_out(login, make, client, app):
    user = make.user("handler")
    start = datetime.now(UTC)
    clock.set_clock(lambda: start)
    try:
        login(user)
        assert client.get("/").status_code == 200
        idle = app.config["CUSTODY_SESSION_IDLE_MINUTES"]
        clock.set_clock(lambda: start + timedelta(minutes=idle - 1))
        assert client.get("/").status_code == 200  # activity keeps it alive
        clock.set_clock(lambda: start + timedelta(minutes=2 * idle - 2))
        assert client.get("/").status_code == 200
        clock.set_clock(lambda: start + timedelta(minutes=3 * idle))
        response = client.get("/cases/new")
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
        assert client.get("/").status_code == 302
        assert "session_expired" in _kinds()
        clock.set_clock(lambda: start + timedelta(minutes=3 * idle + 1))
        login(user)  # and a new session works
        assert client.get("/").status_code == 200
    finally:
        clock.set_clock(None)


def test_sessions_end_after_their_maximum_age_even_when_busy(login, make, client, app):
    user = make.user("handler")
    start = datetime.now(UTC)
    clock.set_clock(lambda: start)
    try:
        login(user)
        hours = app.config["CUSTODY_SESSION_MAX_HOURS"]
        step = timedelta(minutes=app.config["CUSTODY_SESSION_IDLE_MINUTES"] - 1)
        moment = start
        while moment < start + timedelta(hours=hours) - step:
            moment += step
            clock.set_clock(lambda m=moment: m)
            assert client.get("/").status_code == 200
        clock.set_clock(lambda: start + timedelta(hours=hours, minutes=1))
        assert client.get("/").status_code == 302
    finally:
        clock.set_clock(None)


def test_session_cookie_is_httponly_samesite_and_permanent(login, make, client, app):
    user = make.user("handler")
    login(user)
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax" and cookie.expires is not None
    lifetime = cookie.expires - datetime.now(UTC)
    assert timedelta(hours=11) < lifetime <= timedelta(hours=app.config["CUSTODY_SESSION_MAX_HOURS"])


def test_a_new_password_ends_the_other_sessions_but_not_this_one(login, make, app):
    user = make.user("handler")
    elsewhere = _signed_in_client(app, user.username, make.PASSWORD)
    assert elsewhere.get("/").status_code == 200
    here = login(user)
    assert _change(here, make.PASSWORD, STRONG).status_code == 302
    assert here.get("/").status_code == 200  # the session that changed it goes on
    assert elsewhere.get("/").status_code == 302  # the other one was signed in with the old password
    assert _signed_in_client(app, user.username, STRONG).get("/").status_code == 200


def _signed_in_client(app, username, password):
    """A second browser: its own cookies."""
    other = app.test_client()
    token = csrf_from(other.get("/login").get_data(as_text=True))
    other.post("/login", data={"username": username, "password": password, "csrf_token": token})
    return other
