"""Which language a page speaks: the user's choice, else the browser's, else Chinese."""

from __future__ import annotations

import pytest

from tests.web.conftest import csrf_from


def _lang(html: str) -> str:
    return html.split('<html lang="', 1)[1].split('"', 1)[0]


def test_chinese_is_the_default(client):
    html = client.get("/login").get_data(as_text=True)
    assert _lang(html) == "zh-CN" and "<h1>登录</h1>" in html and "用户名" in html


@pytest.mark.parametrize(
    ("header", "expected", "heading"),
    [
        ("en-US,en;q=0.9", "en", "Sign in"),
        ("en", "en", "Sign in"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN", "登录"),
        ("zh-TW", "zh-CN", "登录"),
        ("fr-FR,fr;q=0.9", "zh-CN", "登录"),
        ("fr,en;q=0.5", "en", "Sign in"),
    ],
)
def test_accept_language_picks_the_language(client, header, expected, heading):
    html = client.get("/login", headers={"Accept-Language": header}).get_data(as_text=True)
    assert _lang(html) == expected and f"<h1>{heading}</h1>" in html


def test_language_switch_wins_over_the_browser_and_returns_to_the_page(client, login, make):
    login(make.user("handler"))
    zh = client.get("/scan", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "扫描标签或输入编码" in zh
    response = client.post("/lang/en", data={"csrf_token": csrf_from(zh), "next": "/scan"})
    assert response.status_code == 302 and response.headers["Location"] == "/scan"
    en = client.get("/scan", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert _lang(en) == "en" and "Scan a label or type its code" in en
    back = client.post("/lang/zh", data={"csrf_token": csrf_from(en), "next": "/"})
    assert back.headers["Location"] == "/"
    assert "<h1>案件</h1>" in client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_language_switch_before_signing_in(client):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    client.post("/lang/en", data={"csrf_token": token, "next": "/login"})
    assert "<h1>Sign in</h1>" in client.get("/login").get_data(as_text=True)


def test_language_switch_ignores_unknown_languages_and_off_site_next(client):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/lang/fr", data={"csrf_token": token, "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"
    assert "<h1>登录</h1>" in client.get("/login").get_data(as_text=True)


def test_language_switch_without_csrf_is_rejected(client):
    client.get("/login")
    assert client.post("/lang/en", data={"next": "/login"}).status_code == 400
    assert "<h1>登录</h1>" in client.get("/login").get_data(as_text=True)


def test_english_pages_and_messages(client, login, post_form, make):
    handler = make.user("handler")
    case = make.case(handler, case_no="EN-1", title="Theft")
    login(handler)
    headers = {"Accept-Language": "en"}
    html = client.get(f"/cases/{case.case_no}", headers=headers).get_data(as_text=True)
    assert "Register items" in html and "Seizure document number" in html and "Investigation" in html
    refused = post_form(f"/cases/{case.case_no}", {"row_count": "1", "rows-0-name": "Phone"}, headers=headers)
    text = refused.get_data(as_text=True)
    assert "Nothing was saved: correct the rows marked below." in text and "Required." in text


def test_error_pages_speak_the_users_language(client, login, make):
    login(make.user("handler"))
    assert "未找到，或您无权查看。" in client.get("/items/I00000000X").get_data(as_text=True)
    english = client.get("/no-such-page", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Not found, or you may not see it." in english
