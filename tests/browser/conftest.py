"""A live server and a real headless Chromium for journeys through the pages.

The server runs the session's ``app`` (same database as the test) with werkzeug's
``make_server`` in a background thread on 127.0.0.1 and a free port. Chromium is
Debian's ``/usr/bin/chromium`` (never a downloaded one); without it these tests
skip, except under ``CI=true``, where a missing browser is a failure.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from custody.web.i18n import compile_catalogs
from tests.conftest import CHROMIUM, CHROMIUM_ARGS


def pytest_configure(config: pytest.Config) -> None:
    compile_catalogs()  # the journeys assert Chinese text


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[str]:
    """The app served over real HTTP; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="session")
def browser(playwright: Any) -> Iterator[Any]:
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture
def camera_browser(playwright: Any) -> Iterator[Any]:
    """``camera_browser(video)`` → a Chromium of its own whose camera films ``video`` (a .y4m file), in a loop.

    Chromium's fake capture device takes its file at launch, so each test that films something launches one;
    it is closed at the end of the test.
    """
    launched: list[Any] = []

    def launch(video: Path) -> Any:
        args = [
            *CHROMIUM_ARGS,
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ]
        launched.append(playwright.chromium.launch(executable_path=str(CHROMIUM), args=args))
        return launched[-1]

    yield launch
    for chromium in launched:
        chromium.close()


@pytest.fixture
def new_page(browser: Any, live_server: str) -> Iterator[Any]:
    """``new_page(locale="zh-CN", width=1280, height=900, javascript=True)`` → a page in a fresh context.

    ``chromium=`` opens it in another browser (``camera_browser``'s), ``permissions=["camera"]`` grants those.
    """
    contexts: list[Any] = []

    def open_page(
        locale: str = "zh-CN",
        width: int = 1280,
        height: int = 900,
        javascript: bool = True,
        chromium: Any = None,
        permissions: list[str] | None = None,
    ) -> Any:
        context = (chromium or browser).new_context(
            base_url=live_server,
            locale=locale,
            viewport={"width": width, "height": height},
            java_script_enabled=javascript,
            permissions=permissions or [],
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.errors = []  # uncaught JavaScript errors, checked by the tests
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.on("console", lambda message: _note_csp_violation(message, refused))
        return page

    refused: list[str] = []  # what the Content-Security-Policy blocked, on any page of the test
    yield open_page
    for context in contexts:
        context.close()
    assert refused == [], f"the Content-Security-Policy refused: {refused}"


def _note_csp_violation(message: Any, refused: list[str]) -> None:
    if "Content Security Policy" in message.text:
        refused.append(message.text)
