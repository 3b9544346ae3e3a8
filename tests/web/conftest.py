"""Helpers for page tests: compiled catalogs, CSRF-carrying posts, and registration form rows."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient

from custody import clock
from custody.web.i18n import compile_catalogs


def pytest_configure(config: pytest.Config) -> None:
    """Compile the catalogs before any page is rendered: Flask-Babel caches a missing catalog as "no translation"."""
    compile_catalogs()


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


@pytest.fixture
def post_form(client: FlaskClient) -> Callable[..., Any]:
    """``post_form(page, data, to=None)``: open ``page`` like a browser, then post ``data`` with its CSRF token."""

    def post(page: str, data: dict[str, Any], to: str | None = None, **kw: Any) -> Any:
        token = csrf_from(client.get(page).get_data(as_text=True))
        return client.post(to or page, data={"csrf_token": token, **data}, **kw)

    return post


def local_input(moment: datetime) -> str:
    """A UTC moment as a ``datetime-local`` input holds it: Asia/Shanghai wall time, no offset."""
    return moment.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")


def row_fields(i: int, **values: Any) -> dict[str, Any]:
    """One form row: a valid phone unless overridden; ``None`` removes a field."""
    row: dict[str, Any] = {
        "name": "手机",
        "category": "electronics",
        "quantity": "1",
        "unit": "部",
        "seal_no": "FT000001",
        "seizure_doc_no": "公扣字〔2026〕7号",
        "seized_at": local_input(clock.now() - timedelta(hours=2)),
    }
    row.update(values)
    return {f"rows-{i}-{k}": v for k, v in row.items() if v is not None}


@pytest.fixture
def as_user(client: FlaskClient, login: Any) -> Callable[[Any], Any]:
    """``as_user(user)``: sign out whoever is signed in, then sign ``user`` in (pages seen by several people)."""

    def switch(user: Any) -> Any:
        home = client.get("/")
        if home.status_code == 200:  # someone is signed in
            client.post("/logout", data={"csrf_token": csrf_from(home.get_data(as_text=True))})
        return login(user)

    return switch
