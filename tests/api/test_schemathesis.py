"""Property-based API test: schemathesis generates requests from the served OpenAPI document.

Every operation of /api/v1/openapi.json is called with generated valid and invalid input (schemathesis'
examples, coverage and fuzzing phases), as a user holding every role, against a little real data (a
location, a case with items). Checks, on every response:

* no request ever answers 5xx (``not_a_server_error``; an unhandled exception fails with its traceback);
* every error is RFC 9457 ``application/problem+json`` with the contract's ``code`` (``problem_json`` below);
* the response matches the document: status code, content type, headers, body schema; invalid input
  is refused; an operation that needs auth refuses a request without it.

Not checked: ``positive_data_acceptance`` (schema-valid input must be accepted). The contract refuses
schema-valid input on purpose: ``/scan?code=<not ours>`` is 422 ``malformed_code``, a bin needs a shelf,
a filter may name nothing, a quantity below 0.001 rounds to 0.

Bounded and deterministic: at most ``MAX_EXAMPLES`` generated cases per operation and phase, schemathesis'
``deterministic`` generation (hypothesis ``derandomize``) and no example database, so CI sends the same
requests every run.
"""

from __future__ import annotations

import contextvars
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from flask import Flask

from custody.extensions import db
from custody.services.auth import issue_token
from tests.factories import Factory, api_item

MAX_EXAMPLES = 25
CODE = re.compile(r"^[a-z][a-z0-9_]*$")


@schemathesis.check
def problem_json(ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case) -> None:
    """Errors are ``application/problem+json`` carrying the stable snake_case ``code`` (API.md, Conventions)."""
    if response.status_code < 400:
        return
    media_type = response.headers.get("content-type", [""])[0].split(";")[0].strip()
    assert media_type == "application/problem+json", f"{response.status_code} answered as {media_type!r}"
    body = json.loads(response.content)
    assert isinstance(body, dict), body
    assert isinstance(body.get("code"), str) and CODE.match(body["code"]), f"bad code in {body}"
    assert body.get("status") == response.status_code, f"status {body.get('status')} in a {response.status_code}"
    for key in ("type", "title", "detail"):
        assert isinstance(body.get(key), str), f"{key!r} missing in {body}"
    if "errors" in body:
        assert isinstance(body["errors"], dict) and body["errors"], f"errors must map fields to messages: {body}"


def _isolated(wsgi_app: Callable[..., Any]) -> Callable[..., Any]:
    """Each request in its own contextvars context, so its own app context, session and ``g``.

    The test holds an app context (see conftest) which Flask would reuse for every request: one database
    session, and flask-login's cached user even for the requests sent without credentials.
    """

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        db.session.rollback()  # the test's own session: let it see what the request commits
        try:
            return contextvars.Context().run(wsgi_app, environ, start_response)
        finally:
            db.session.rollback()

    return app


@pytest.fixture
def world(app: Flask) -> dict[str, Any]:
    """A user holding every role, its token, a location and a case with items (tables are emptied afterwards)."""
    make = Factory()
    user = make.user("handler", "approver", "keeper", "auditor", "admin")
    warehouse = make.location(user, name="Main warehouse")
    case = make.case(user, case_no="CASE-2026-001")
    items = make.items(user, case, 3)
    token, _row = issue_token(user)
    return {"user": user, "token": token, "location": warehouse, "case": case, "items": items}


@pytest.fixture
def api_schema(
    app: Flask, world: dict[str, Any], request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    # schemathesis 4.32's from_fixture reads and writes ``node._nodeid``, which pytest 9.2 no longer has
    # (it keeps the id in ``node._id``): give it one to read. Reports keep pytest's own node id.
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid
    monkeypatch.setattr(app, "wsgi_app", _isolated(app.wsgi_app))
    config = schemathesis.Config.from_dict(
        {
            "seed": 20261123,
            "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
            "auth": {"openapi": {"bearer": {"bearer": world["token"]}}},
            "checks": {"positive_data_acceptance": {"enabled": False}},
            "operations": [
                {
                    # Generated ids include the world token's own: revoking it would leave every later
                    # operation to run signed out. test_real_objects_match_the_document revokes a spare one.
                    "include-name": "DELETE /api/v1/auth/tokens/{token_id}",
                    "enabled": False,
                },
                {
                    # KNOWN BUG (custody/api/cases.py, reported): ``/cases/<path:case_no>`` also matches
                    # ``/cases/X/items`` and ``/cases/X/close``, so OPTIONS there advertises GET
                    # (which answers 404 "No case X/items").
                    "include-name": "POST /api/v1/cases/{case_no}/items",
                    "checks": {"allow_header_conformance": {"enabled": False}},
                },
                {
                    "include-name": "POST /api/v1/cases/{case_no}/close",  # the same path converter
                    "checks": {"allow_header_conformance": {"enabled": False}},
                },
            ],
        }
    )
    # Loaded from the app, as clients see it (the document is built when the app starts).
    yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.slow  # 15–20 s on SQLite, 25–50 s on PostgreSQL (busy machine)
@schema.parametrize()
@hypothesis.settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None)
def test_api_never_fails_and_errors_are_problems(case: Any) -> None:
    case.call_and_validate(additional_checks=[problem_json])


def test_real_objects_match_the_document(api_schema: Any, world: dict[str, Any]) -> None:
    """Generated codes and case numbers almost never exist: fetch the real ones, and check those answers too."""
    case_no, item, location = world["case"].case_no, world["items"][0].code, world["location"].code
    agency = world["user"].agency.code
    auth = {"Authorization": f"Bearer {world['token']}"}
    calls: list[tuple[str, str, dict[str, Any], dict[str, Any], Any, int]] = [
        ("GET", "/api/v1/me", {}, {}, None, 200),
        ("GET", "/api/v1/agencies", {}, {}, None, 200),
        ("GET", "/api/v1/cases", {}, {"agency": agency, "stage": "investigation"}, None, 200),
        ("GET", "/api/v1/cases/{case_no}", {"case_no": case_no}, {}, None, 200),
        ("GET", "/api/v1/items", {}, {"case_no": case_no, "limit": 2}, None, 200),
        ("GET", "/api/v1/items/{code}", {"code": item}, {}, None, 200),
        ("GET", "/api/v1/items/{code}/history", {"code": item}, {}, None, 200),
        ("GET", "/api/v1/locations/{code}", {"code": location}, {}, None, 200),
        ("GET", "/api/v1/scan", {}, {"code": item}, None, 200),
        ("GET", "/api/v1/scan", {}, {"code": f"http://custody.test/s/{location}"}, None, 200),
        ("GET", "/api/v1/ledger/entries", {}, {"after": 0, "limit": 2}, None, 200),
        ("GET", "/api/v1/ledger/head", {}, {}, None, 200),
        ("POST", "/api/v1/ledger/verify", {}, {}, None, 200),
        ("POST", "/api/v1/locations", {}, {}, {"name": "Zone A", "kind": "zone", "parent": location}, 201),
        ("POST", "/api/v1/cases", {}, {}, {"case_no": "CASE-2026-002", "title": "Another"}, 201),
        ("POST", "/api/v1/cases", {}, {}, {"case_no": case_no, "title": "Again"}, 409),
        ("POST", "/api/v1/cases/{case_no}/items", {"case_no": case_no}, {}, {"items": [api_item(quantity=2.5)]}, 201),
        ("POST", "/api/v1/cases/{case_no}/items", {"case_no": case_no}, {}, {"items": [api_item(), {}]}, 422),
    ]
    for method, path, path_parameters, query, body, status in calls:
        operation = api_schema[path][method]
        kwargs: dict[str, Any] = {"path_parameters": path_parameters, "query": query}
        if body is not None:
            kwargs["body"] = body
        response = operation.Case(**kwargs).call_and_validate(headers=auth, additional_checks=[problem_json])
        assert response.status_code == status, (method, path, query, response.text)
    page = api_schema["/api/v1/items"]["GET"].Case(query={"case_no": case_no, "limit": 2}).call(headers=auth)
    assert page.json()["next"], "3 items, 2 a page: there is a next page"
    _spare, spare = issue_token(world["user"])
    listing = api_schema["/api/v1/auth/tokens"]["GET"].Case().call_and_validate(headers=auth)
    assert {t["id"] for t in listing.json()} >= {spare.id}
    revoke = api_schema["/api/v1/auth/tokens/{token_id}"]["DELETE"]
    revoked = revoke.Case(path_parameters={"token_id": spare.id}).call_and_validate(headers=auth)
    assert revoked.status_code == 204
    gone = revoke.Case(path_parameters={"token_id": spare.id}).call_and_validate(
        headers=auth, additional_checks=[problem_json]
    )
    assert gone.status_code == 404
    register = api_schema["/api/v1/cases/{case_no}/items"]["POST"]
    batch = register.Case(path_parameters={"case_no": case_no}, body={"items": [api_item(), {}]}).call(headers=auth)
    assert batch.json()["code"] == "invalid_input" and set(batch.json()["errors"]) == {"1"}  # by row index


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        # Each once answered 500 or broke the contract; the schemas and problems.py now refuse them cleanly.
        ("GET", "/api/v1/cases?cursor=99999999999999999999999", None),  # OverflowError binding a 64-bit integer
        ("GET", "/api/v1/items?cursor=99999999999999999999999", None),
        ("GET", "/api/v1/ledger/entries?cursor=99999999999999999999999", None),
        ("GET", "/api/v1/ledger/entries?after=99999999999999999999999", None),
        ("GET", "/api/v1/items?case_no=%00", None),  # PostgreSQL: no NUL in text
        ("GET", "/api/v1/cases?agency=%00", None),
        ("POST", "/api/v1/auth/tokens", {"username": "a\x00b", "password": "x"}),
        ("POST", "/api/v1/auth/tokens", {"username": "u", "password": "\ud800"}),  # a lone surrogate: no UTF-8
        ("POST", "/api/v1/cases", {"case_no": "\ud800", "title": "t"}),
        ("POST", "/api/v1/cases", {"\ud800": 1}),  # echoed in "Unknown field": the problem body must still encode
        ("POST", "/api/v1/locations", {"name": "n\x00", "kind": "warehouse"}),
        ("POST", "/api/v1/cases/CASE-2026-001/items", {"items": [api_item(name="a\x00")]}),
        ("POST", "/api/v1/cases/CASE-2026-001/items", {"items": [api_item(seized_at="0001-01-01T00:00:00+14:00")]}),
        ("POST", "/api/v1/cases/CASE-2026-001/items", {"items": [api_item(quantity="1e3")]}),  # not a decimal string
        ("POST", "/api/v1/cases", b"\x00"),  # unparseable JSON: 422 with errors keyed by field, not a bare list
        ("GET", "/api/v1/items/%00", None),  # PostgreSQL refuses NUL: services answer 404/422 before asking
        ("GET", "/api/v1/cases/%00", None),  # PostgreSQL refuses NUL: services answer 404/422 before asking
        ("GET", "/api/v1/locations/%00", None),  # PostgreSQL refuses NUL: services answer 404/422 before asking
        ("GET", "/api/v1/scan?code=%00", None),  # PostgreSQL refuses NUL: services answer 404/422 before asking
    ],
)
def test_requests_that_once_failed_are_refused_cleanly(
    world: dict[str, Any], client: Any, method: str, path: str, body: Any
) -> None:
    headers = {"Authorization": f"Bearer {world['token']}"}
    if isinstance(body, bytes):
        response = client.open(path, method=method, headers=headers, data=body, content_type="application/json")
    else:
        response = client.open(path, method=method, headers=headers, json=body)
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == response.status_code and CODE.match(problem["code"])
    if response.status_code == 422:
        assert problem["code"] in ("invalid_input", "malformed_code") and isinstance(problem.get("errors", {}), dict)
