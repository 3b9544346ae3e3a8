"""Scanning on the web: /s/<code> from a phone camera, and the keyboard-wedge scan page."""

from __future__ import annotations

import re

import pytest

from custody.codes import CodeKind, check_character, new_code


@pytest.fixture
def handler(make):
    return make.user("handler")


@pytest.fixture
def item(make, handler):
    (one,) = make.items(handler, make.case(handler), 1)
    return one


def test_label_url_redirects_to_the_item_page(client, login, handler, item):
    login(handler)
    response = client.get(f"/s/{item.code}")
    assert response.status_code == 302 and response.headers["Location"] == f"/items/{item.code}"
    assert client.get(f"/s/{item.code.lower()}").headers["Location"] == f"/items/{item.code}"


def test_label_url_signs_in_first(client, make, item):
    response = client.get(f"/s/{item.code}")
    assert response.status_code == 302 and response.headers["Location"] == f"/login?next=/s/{item.code}"


def test_label_of_an_item_the_user_may_not_see_is_404(client, login, make, item):
    login(make.user("handler"))
    assert client.get(f"/s/{item.code}").status_code == 404


def test_location_label_opens_the_location(client, login, make, handler):
    keeper = make.user("keeper", kind="centre")
    shelf = make.location(keeper, name="一号库")
    login(handler)
    response = client.get(f"/s/{shelf.code}")
    assert response.headers["Location"] == f"/locations/{shelf.code}"
    assert "一号库" in client.get(response.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("scanned", ["{code}", "{code_lower}", "  {code}  ", "http://custody.test/s/{code}"])
def test_scan_page_opens_what_the_wedge_typed(client, login, handler, item, scanned):
    login(handler)
    raw = scanned.format(code=item.code, code_lower=item.code.lower())
    response = client.get("/scan", query_string={"code": raw})
    assert response.status_code == 302 and response.headers["Location"] == f"/items/{item.code}"


def test_mistyped_code_is_refused_by_its_check_character(client, login, handler, item):
    login(handler)
    body = item.code[:-1]
    wrong = next(c for c in "0123456789ABCDEFGHJKMNPQRSTVWXYZ" if c != check_character(body))
    html = client.get("/scan", query_string={"code": body + wrong}).get_data(as_text=True)
    assert "编码校验位不符" in html and body + wrong in html  # the last scan is shown


def test_unknown_and_foreign_codes_are_explained(client, login, handler):
    login(handler)
    assert "这不是本系统的编码" in client.get("/scan?code=hello").get_data(as_text=True)
    unknown = new_code(CodeKind.ITEM)
    assert "未找到该编码" in client.get("/scan", query_string={"code": unknown}).get_data(as_text=True)


def test_scan_page_is_ready_for_the_next_scan_without_inline_script(client, login, handler):
    login(handler)
    html = client.get("/scan").get_data(as_text=True)
    field = re.search(r'<input name="code"[^>]*>', html, flags=re.S).group(0)
    assert "autofocus" in field and 'autocomplete="off"' in field and 'value=""' in field
    assert 'method="get"' in html and "/static/js/scan.js" in html


@pytest.mark.parametrize(
    ("path", "status"),
    [("/s/%00", 404), ("/items/I%00", 404), ("/locations/%00", 404), ("/cases/C%00", 404), ("/scan?code=%00", 400)],
)
def test_nul_in_a_code_is_refused_not_a_server_error(client, login, handler, path, status):
    login(handler)
    assert client.get(path).status_code == status


@pytest.mark.parametrize("path", ["/login", "/", "/cases/new", "/scan", "CASE", "ITEM"])
def test_pages_have_no_inline_script_handlers_or_styles(client, login, make, path):
    """A Content-Security-Policy will forbid inline script and style; nothing may depend on them."""
    handler = make.user("handler")
    case = make.case(handler)
    (item,) = make.items(handler, case, 1)
    if path != "/login":
        login(handler)
    path = {"CASE": f"/cases/{case.case_no}", "ITEM": f"/items/{item.code}"}.get(path, path)
    html = client.get(path).get_data(as_text=True)
    assert client.get(path).status_code == 200
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert re.findall(r"\son[a-z]+\s*=", html) == []
    assert re.findall(r"\sstyle\s*=", html) == []
