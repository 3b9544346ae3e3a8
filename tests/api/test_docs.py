"""The API reference: /api/v1/docs (vendored Swagger UI, no CDN, no inline script) and the OpenAPI document."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import CHROMIUM, CHROMIUM_ARGS

VENDOR = Path(__file__).resolve().parents[2] / "static" / "vendor" / "swagger-ui"
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "init.js": "text/javascript",
    "LICENSE": None,
    "NOTICE": None,
    "README.md": None,
}
# Every path of API.md implemented so far (grows with the API; all must be in the served document).
PATHS = {
    "/api/v1/me": {"get"},
    "/api/v1/agencies": {"get"},
    "/api/v1/auth/tokens": {"post"},
    "/api/v1/locations": {"post"},
    "/api/v1/locations/{code}": {"get"},
    "/api/v1/cases": {"get", "post"},
    "/api/v1/cases/{case_no}": {"get"},
    "/api/v1/cases/{case_no}/items": {"post"},
    "/api/v1/items": {"get"},
    "/api/v1/items/{code}": {"get"},
    "/api/v1/items/{code}/history": {"get"},
    "/api/v1/scan": {"get"},
    "/api/v1/ledger/entries": {"get"},
    "/api/v1/ledger/head": {"get"},
    "/api/v1/ledger/verify": {"post"},
}
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture
def document(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")  # no credentials: the document is public
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_json()


def test_docs_page_is_public_and_has_no_inline_script(client: FlaskClient) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", page, flags=re.S | re.I)
    assert [re.search(r'src="([^"]+)"', attrs).group(1) for attrs, _ in scripts] == [
        "/static/vendor/swagger-ui/swagger-ui-bundle.js",
        "/static/vendor/swagger-ui/init.js",
    ]
    assert all(not body.strip() for _, body in scripts), "inline script: a CSP without 'unsafe-inline' blocks it"
    assert not re.search(r"\son[a-z]+\s*=", page, flags=re.I), "inline event handler"
    assert "<style" not in page and "style=" not in page
    assert 'href="/static/vendor/swagger-ui/swagger-ui.css"' in page
    assert 'data-spec-url="/api/v1/openapi.json"' in page
    assert not re.search(r"(src|href)=\"(https?:)?//", page), "nothing from another host: centres are air-gapped"


def test_smorest_swagger_page_is_off(app: Flask) -> None:
    """Its template has an inline script; ours replaces it at the same address."""
    assert app.config["OPENAPI_SWAGGER_UI_PATH"] is None
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.rule == "/api/v1/docs"}
    assert endpoints == {"api_docs.docs"}


@pytest.mark.parametrize("name", sorted(ASSETS))
def test_vendored_assets_are_served(client: FlaskClient, name: str) -> None:
    with client.get(f"/static/vendor/swagger-ui/{name}") as response:  # closes the file it streams
        assert response.status_code == 200
        assert response.get_data() == (VENDOR / name).read_bytes()
        if ASSETS[name]:
            assert response.mimetype == ASSETS[name]


def test_vendored_copy_is_what_the_readme_says() -> None:
    readme = (VENDOR / "README.md").read_text(encoding="utf-8")
    version = re.search(r"`swagger-ui-dist`\S* \*\*(5\.\d+\.\d+)\*\*", readme)
    assert version, "README names the package and its version"
    assert f'"{version.group(1)}"' in (VENDOR / "swagger-ui-bundle.js").read_text(encoding="utf-8")
    assert "Apache-2.0" in readme
    assert "Apache License" in (VENDOR / "LICENSE").read_text(encoding="utf-8")
    assert not list(VENDOR.glob("*.map")), "source maps are not vendored"
    init = (VENDOR / "init.js").read_text(encoding="utf-8")
    assert "data-spec-url" in init and "validatorUrl: null" in init  # no call to validator.swagger.io


def test_document_lists_every_implemented_path(document: dict[str, Any]) -> None:
    paths = document["paths"]
    missing = {path: sorted(methods - set(paths.get(path, {}))) for path, methods in PATHS.items()}
    assert {path: methods for path, methods in missing.items() if methods} == {}


def test_document_declares_bearer_auth(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"] == {"type": "http", "scheme": "bearer"}
    assert {"bearer": []} in document["security"]
    assert document["paths"]["/api/v1/auth/tokens"]["post"]["security"] == []  # how to get a token


def test_every_operation_is_described(document: dict[str, Any]) -> None:
    undescribed = [
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS and not (operation.get("summary") or operation.get("description"))
    ]
    assert undescribed == []


def test_errors_are_documented_as_problem_json(document: dict[str, Any]) -> None:
    problem = document["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "code"} <= set(problem["required"])
    assert problem["properties"]["code"]["type"] == "string"
    for name, response in document["components"]["responses"].items():
        assert set(response.get("content", {})) <= {"application/problem+json"}, name
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                assert "default" in operation["responses"], f"{method.upper()} {path} documents no error"


def test_numbers_and_bounds_are_json_numbers(document: dict[str, Any]) -> None:
    """Decimal bounds rendered as strings ("0.000") make the document invalid for validators and generators."""
    bad: list[str] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("minimum", "maximum", "multipleOf") and not isinstance(value, (int, float)):
                    bad.append(f"{where}/{key}={value!r}")
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}/{i}")

    walk(document, "")
    assert bad == []
    quantity = document["components"]["schemas"]["ItemCreate"]["properties"]["quantity"]
    assert [alt["type"] for alt in quantity["anyOf"]] == ["number", "string"]  # API.md: a decimal string or number


@pytest.fixture
def live_docs(app: Flask) -> Iterator[str]:
    """The app on a local port, behind the strictest CSP the docs page should need."""
    from werkzeug.serving import make_server

    policy = (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )

    def with_csp(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        def start(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            return start_response(status, [*headers, ("Content-Security-Policy", policy)], *args)

        return app(environ, start)

    server = make_server("127.0.0.1", 0, with_csp, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


def test_bearer_token_works_for_a_browser_holding_a_session_cookie(client: FlaskClient, api: Any, make: Any) -> None:
    """A session cookie without a sign-in (any page with a form sets one) must not hide a valid token."""
    token = api(make.user("handler")).headers
    assert client.get("/api/v1/me", headers=token).status_code == 200
    client.get("/login")  # sets the session cookie (CSRF token), as any web page with a form does
    assert client.get("/api/v1/me", headers=token).status_code == 200
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer cst_wrong"}).status_code == 401


def test_a_bearer_token_decides_alone_beside_a_signed_in_session(client: FlaskClient, login: Any, make: Any) -> None:
    login(make.user("handler"))
    assert client.get("/api/v1/me").status_code == 200
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer cst_wrong"}).status_code == 401


@pytest.mark.browser
def test_docs_render_offline_under_a_strict_csp(live_docs: str, api: Any, make: Any, playwright: Any) -> None:
    """The page renders from local files only, breaks no CSP rule, and 'Try it out' works with a bearer token."""
    token = api(make.user("handler")).headers["Authorization"].split()[1]
    problems: list[str] = []
    elsewhere: list[str] = []
    # The session's one driver (tests/conftest.py): a second sync_playwright() in this thread would fail.
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    try:
        page = browser.new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: problems.append(str(e)))

        def offline(route: Any) -> None:
            if route.request.url == f"{live_docs}/favicon.ico":
                route.fulfill(status=204)  # keep the browser's console free of a 404
            elif route.request.url.startswith(live_docs):
                route.continue_()
            else:  # an air-gapped centre: anything off-site fails
                elsewhere.append(route.request.url)
                route.abort()

        page.route("**/*", offline)
        page.goto(f"{live_docs}/api/v1/docs")
        page.wait_for_selector(".opblock", timeout=20_000)
        paths = page.locator(".opblock-summary-path")
        shown = {paths.nth(i).inner_text() for i in range(paths.count())}
        # Authorize with the bearer token, then Try it out: GET /api/v1/me.
        page.locator("button.authorize").first.click()
        bearer = page.locator(".auth-container").filter(has_text="bearer")
        bearer.locator("input").fill(token)
        bearer.locator("button.authorize").click()
        page.locator(".modal-ux button.close-modal").first.click()
        me = page.locator("#operations-identity-get_api_v1_me")
        me.locator(".opblock-summary").click()
        me.locator(".try-out__btn").click()
        me.locator(".execute").click()
        status = me.locator(".live-responses-table tr.response .response-col_status").first
        status.wait_for(timeout=10_000)
        answered = status.inner_text().strip()
    finally:
        browser.close()
    assert {p.replace("\u200b", "") for p in shown} >= set(PATHS)
    assert elsewhere == []
    assert problems == []  # CSP violations are reported as console errors
    assert answered == "200"
