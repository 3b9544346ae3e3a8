"""Fixtures shared by every test.

The database is chosen by CUSTODY_TEST_DATABASE_URL: unset → a SQLite file in a
temporary folder; a PostgreSQL URL → a fresh database created on that server for
this run (and each xdist worker) and dropped afterwards. The schema is built
once by running the migrations. Tests commit for real (the services' units of
work, BEGIN IMMEDIATE, and cross-connection races are what we test), and every
table is emptied after each test.
"""

from __future__ import annotations

import contextvars
import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from custody import clock, create_app
from custody.extensions import db
from custody.models import LedgerHead
from tests.factories import Factory

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _database_url(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Any]:
    url = os.environ.get("CUSTODY_TEST_DATABASE_URL", "")
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}", None
    if not url.startswith("postgresql"):
        return url, None
    server = make_url(url)
    name = f"custody_test_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        if os.environ.get("CI") == "true":
            raise RuntimeError(f"PostgreSQL at {server.host}:{server.port} is required in CI: {exc}") from exc
        pytest.exit(f"NOTICE: PostgreSQL unreachable ({exc}); PostgreSQL tests skipped", returncode=0)

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return server.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url, drop = _database_url(tmp_path_factory)
    yield url
    if drop:
        drop()


class IsolatedClient(FlaskClient):
    """Each request gets its own app context, database session and ``g``, as under a real server.

    Flask reuses an active app context for test requests, so without this every
    request in a test would share the test's session and flask-login's cached user.
    The test's own transaction is ended around each request, so that the test
    sees what the request committed (a SQLite read transaction is a snapshot).
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        db.session.rollback()
        try:
            return contextvars.Context().run(super().open, *args, **kwargs)
        finally:
            db.session.rollback()


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    from flask_migrate import upgrade

    instance = tmp_path_factory.mktemp("instance")
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test-secret",
            "CUSTODY_PASSWORD_METHOD": "pbkdf2:sha256:1000",
            "CUSTODY_FILES_DIR": str(instance / "files"),
            "CUSTODY_BASE_URL": "http://custody.test",
            "CUSTODY_LOG_KEY_FILE": str(instance / "log.key"),
        }
    )
    app.test_client_class = IsolatedClient
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


def _empty_tables() -> None:
    """DELETE, children first, then (PostgreSQL) every sequence back to 1, as TRUNCATE … RESTART IDENTITY would:
    TRUNCATE of some thirty tables costs 0.4–0.7 s per test on a loaded machine, DELETE of a test's few rows ~20 ms."""
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        for table in tables:
            conn.execute(text(f"DELETE FROM {table}"))
        if conn.dialect.name == "postgresql":
            conn.execute(
                text(
                    "SELECT setval(format('%I.%I', schemaname, sequencename), 1, false)"
                    " FROM pg_sequences WHERE schemaname = current_schema()"
                )
            )
        conn.execute(LedgerHead.__table__.insert().values(id=1, seq=0, hash="0" * 64))


@pytest.fixture(autouse=True)
def _ctx(request: pytest.FixtureRequest) -> Iterator[None]:
    """An app context per test, and empty tables afterwards (only for tests that use the app)."""
    if "app" not in request.fixturenames:
        yield
        return
    app: Flask = request.getfixturevalue("app")
    with app.app_context():
        yield
        db.session.remove()
        _empty_tables()
    clock.set_clock(None)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def make(app: Flask) -> Factory:
    """Factories: ``make.agency()``, ``make.user("handler")``, ``make.case(user)``, ``make.items(user, case, n)``."""
    return Factory()


@pytest.fixture
def is_postgres(app: Flask) -> bool:
    return db.engine.dialect.name == "postgresql"


class ApiClient:
    """A test client that sends a bearer token for one user."""

    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(path, headers=self.headers, **kw)

    def post(self, path: str, **kw: Any) -> Any:
        return self.client.post(path, headers=self.headers, **kw)


@pytest.fixture
def api(client: FlaskClient) -> Any:
    """``api(user)`` → a client authenticated as ``user`` by a real token."""
    from custody.services.auth import issue_token

    def for_user(user: Any) -> ApiClient:
        token, _row = issue_token(user)
        return ApiClient(client, token)

    return for_user


@pytest.fixture
def login(client: FlaskClient) -> Any:
    """``login(user, password)`` signs the test client in through the real form (with its CSRF token)."""

    def sign_in(user: Any, password: str = Factory.PASSWORD) -> FlaskClient:
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
            r'name="csrf_token" value="([^"]+)"', page
        )
        assert token, "login form has no CSRF token"
        response = client.post(
            "/login", data={"username": user.username, "password": password, "csrf_token": token.group(1)}
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return sign_in


def csrf_token_of(client: FlaskClient, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    on_postgres = os.environ.get("CUSTODY_TEST_DATABASE_URL", "").startswith("postgresql")
    for item in items:
        if "postgresql" in item.keywords and not on_postgres:
            item.add_marker(
                pytest.mark.skip(reason="runs in the PostgreSQL pass (CUSTODY_TEST_DATABASE_URL=postgresql…)")
            )


# --- one Playwright driver per test process ------------------------------------------------------------------
# Its sync API allows one driver per thread: the browser journeys (tests/browser/) and the API docs page test
# share this one, whatever order a worker runs them in.
CHROMIUM = Path(os.environ.get("CUSTODY_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (required when CI=true)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Any]:
    """One Playwright driver for the session (a browser test skips without Chromium, except under CI=true)."""
    if not CHROMIUM.exists():
        _unavailable(f"Chromium not found at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - it is in requirements-dev
        _unavailable("Playwright for Python is not installed")
    driver = sync_playwright().start()
    try:
        yield driver
    finally:
        driver.stop()
