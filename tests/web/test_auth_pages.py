"""Signing in and out through the pages, with CSRF tokens as a browser sends them."""

from __future__ import annotations

import re

from tests.web.conftest import csrf_from


def test_sign_in_then_dashboard_shows_the_user(client, make):
    handler = make.user("handler", username="zhang")
    page = client.get("/login")
    assert page.status_code == 200
    token = csrf_from(page.get_data(as_text=True))
    response = client.post("/login", data={"username": "zhang", "password": make.PASSWORD, "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    dashboard = client.get("/").get_data(as_text=True)
    assert handler.name in dashboard and handler.agency.name in dashboard


def test_wrong_password_stays_signed_out_with_a_message(client, make):
    make.user("handler", username="li")
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": "li", "password": "wrong", "csrf_token": token})
    assert response.status_code == 200
    assert "用户名或密码错误" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_sign_in_without_csrf_token_is_rejected(client, make):
    make.user("handler", username="wang")
    client.get("/login")  # a session exists, but the form's token is missing
    response = client.post("/login", data={"username": "wang", "password": make.PASSWORD})
    assert response.status_code == 400
    assert "表单已过期或并非来自本系统" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_pages_need_sign_in_and_come_back_after_it(client, make):
    handler = make.user("handler", username="chen")
    case = make.case(handler, case_no="C-NEXT")
    response = client.get(f"/cases/{case.case_no}")
    assert response.status_code == 302 and response.headers["Location"] == "/login?next=/cases/C-NEXT"
    token = csrf_from(client.get(response.headers["Location"]).get_data(as_text=True))
    signed_in = client.post(
        "/login?next=/cases/C-NEXT", data={"username": "chen", "password": make.PASSWORD, "csrf_token": token}
    )
    assert signed_in.headers["Location"] == "/cases/C-NEXT"


def test_next_pointing_off_site_is_ignored(client, make):
    make.user("handler", username="zhao")
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login?next=//evil.example/x", data={"username": "zhao", "password": make.PASSWORD, "csrf_token": token}
    )
    assert response.headers["Location"] == "/"


def test_sign_out_needs_post_with_csrf(client, login, make):
    login(make.user("handler"))
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400  # no token: still signed in
    assert client.get("/").status_code == 200
    token = csrf_from(client.get("/").get_data(as_text=True))
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get("/").status_code == 302


def test_signed_in_user_opening_login_goes_to_the_dashboard(client, login, make):
    login(make.user("handler"))
    assert client.get("/login").headers["Location"] == "/"


def test_every_page_form_carries_a_csrf_token(client, login, make):
    handler = make.user("handler")
    case = make.case(handler)
    login(handler)
    for path in ("/", "/cases/new", f"/cases/{case.case_no}", "/scan"):
        html = client.get(path).get_data(as_text=True)
        forms = re.findall(r'<form[^>]*method="post".*?</form>', html, flags=re.S)
        assert forms, path
        assert all('name="csrf_token"' in f for f in forms), path
