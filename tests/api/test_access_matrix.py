"""Design §4 rule 3 for every endpoint: the access matrix, generated from the served OpenAPI document.

Every operation of /api/v1/openapi.json × every role of an agency that never held the case
(tests/access_matrix.py builds that world, tests/access_table.py holds the table). Each operation
is one test, which checks all roles of it against one world (conftest empties the tables after each
test, so the world is restored from its rows each time). A new endpoint fails
``test_the_table_covers_the_document`` until its row is written, which is the point: no endpoint
ships without its scoping tested.

For each cell: the status (and problem code) the table expects; no identifier of A's objects in
the answer unless the role sees everything by design; and, when refused, no ledger entry written.
Without credentials every non-public operation answers 401. The entitled party then performs the
operation, so that an outsider's 404 is known to come from scoping and not from a mistyped path.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from custody.extensions import db
from custody.models import LedgerHead
from tests.access_matrix import ROLES, World, changed_tables, the_world
from tests.access_table import CENTRE_KEEPER_READS, KNOWN_LEAKS, OPERATIONS, SEES_ALL, Expect, Op
from tests.conftest import csrf_token_of
from tests.factories import image_bytes

METHODS = ("get", "post", "put", "patch", "delete")
CONTROL = "(entitled, positive control)"
# Tables that record requests, not custody: they may change when a request is refused.
BOOKKEEPING = frozenset({"security_events"})
CHANGED = "everyone was refused, but these tables changed"


def document_operations(client: FlaskClient) -> set[str]:
    """``METHOD path`` of every operation the served document describes, less the /api/v1 prefix."""
    document = client.get("/api/v1/openapi.json").get_json()
    return {
        f"{method.upper()} {path.removeprefix('/api/v1')}"
        for path, item in document["paths"].items()
        for method in item
        if method in METHODS
    }


def test_the_table_covers_the_document(client: FlaskClient) -> None:
    """Every documented operation has a row, and every row a documented operation."""
    documented = document_operations(client)
    unlisted = sorted(documented - OPERATIONS.keys())
    stale = sorted(OPERATIONS.keys() - documented)
    assert not unlisted, f"add these operations to OPERATIONS in tests/access_table.py: {unlisted}"
    assert not stale, f"OPERATIONS names operations the document lacks: {stale}"


def _head() -> int:
    db.session.rollback()  # a fresh read: a SQLite read transaction is a snapshot
    return db.session.scalar(select(LedgerHead.seq)) or 0


def _call(client: FlaskClient, method: str, path: str, op: Op, world: World, token: str | None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    kwargs: dict[str, Any] = {}
    if op.photo:
        boundary, data = encode_multipart(
            MultiDict({"file": FileStorage(io.BytesIO(image_bytes(size=(40, 30))), filename="p.jpg")})
        )
        kwargs = {"data": data, "content_type": f"multipart/form-data; boundary={boundary}"}
    elif op.body is not None:
        kwargs = {"json": op.body(world)}
    response = client.open(path, method=method, headers=headers, **kwargs)
    response.close()  # file responses (photos) hold their file open until closed
    return response


def _ok(expected: Expect) -> bool:
    status = expected[0] if isinstance(expected, tuple) else expected
    return 200 <= status < 300


def _matches(response: Any, expected: Expect) -> bool:
    status, code = expected if isinstance(expected, tuple) else (expected, None)
    if response.status_code != status:
        return False
    return code is None or (response.get_json(silent=True) or {}).get("code") == code


def _said(response: Any) -> str:
    body = response.get_json(silent=True)
    if response.content_type == "application/problem+json" and isinstance(body, dict):
        return f"{response.status_code} {body['code']}: {str(body.get('detail'))[:120]}"
    return f"{response.status_code} {response.content_type}"


def _leaks(response: Any, world: World, asked: str = "") -> list[str]:
    """A's identifiers in the answer, less those the caller sent (a 404 may echo what was asked for)."""
    text = response.get_data().decode("utf-8", "replace")
    return [secret for secret in world.secrets if secret in text and secret not in asked]


def check_cell(
    client: FlaskClient, name: str, who: str, op: Op, world: World, token: str | None, expected: Expect
) -> list[str]:
    """The problems with one cell (operation × role), each naming the cell."""
    method, template = name.split(" ", 1)
    cell = f"{name} × {who}"
    before = _head()
    path = op.path(template, world)
    response = _call(client, method, path, op, world, token)
    asked = path + json.dumps(op.body(world) if op.body else None)
    problems = []
    if not _matches(response, expected):
        problems.append(f"{cell}: expected {expected}, got {_said(response)}")
    if who not in SEES_ALL and (leaked := _leaks(response, world, asked)):
        problems.append(f"{cell}: the answer ({response.status_code}) names A's objects {leaked[:3]}")
    if response.status_code >= 300 and _head() != before:
        problems.append(f"{cell}: refused ({response.status_code}) but the ledger grew")
    return problems


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_an_agency_that_never_held_the_case(name: str, client: FlaskClient, make: Any) -> None:
    """Each role of agency B, and no one at all, against one operation on A's objects."""
    op = OPERATIONS[name]
    world = the_world(make)
    problems: list[str] = []
    for role in ROLES:
        problems += check_cell(client, name, role, op, world, world.tokens[role], op.expect[role])
    problems += check_cell(client, name, "no credentials", op, world, None, op.anonymous)
    if not any(_ok(expected) for expected in (*op.expect.values(), op.anonymous)) and (
        changed := changed_tables(BOOKKEEPING)
    ):
        problems.append(f"{name}: {CHANGED}: {changed}")
    owner, expected = op.owner
    response = _call(client, *_method_path(name, op, world), op, world, world.tokens[owner])
    if not _matches(response, expected):
        problems.append(f"{name} × {owner} {CONTROL}: expected {expected}, got {_said(response)}")
    _settle(name, problems)


def _method_path(name: str, op: Op, world: World) -> tuple[str, str]:
    method, template = name.split(" ", 1)
    return method, op.path(template, world)


def _settle(name: str, problems: list[str]) -> None:
    """Fail on problems; known leaks (KNOWN_LEAKS) are expected failures while they last, and must go once fixed."""
    known = {cell: why for cell, why in KNOWN_LEAKS.items() if cell[0] == name}
    leaking = [cell for cell in known if any(p.startswith(f"{cell[0]} × {cell[1]}:") for p in problems)]
    # A leaking write (a stocktake closed by an outsider) changes tables and may leave the entitled party
    # nothing to do: those are its consequences, not further problems.
    explained = tuple(f"{op} × {role}:" for op, role in leaking)
    unexplained = [
        p for p in problems if not p.startswith(explained) and not (leaking and (CONTROL in p or CHANGED in p))
    ]
    assert not unexplained, "\n".join(unexplained)
    gone = sorted(set(known) - set(leaking))
    assert not gone, f"fixed? remove {gone} from KNOWN_LEAKS in tests/access_table.py"
    if known:
        pytest.xfail("; ".join(f"{role}: {why}" for (_op, role), why in known.items()))


SESSION_CELLS = (
    "GET /cases/{case_no}",
    "GET /items/{code}",
    "GET /handovers/{number}",
    "GET /checkouts/{number}",
    "POST /cases/{case_no}/items",
    "POST /handovers/{number}/cancel",
    "POST /dispositions/{number}/cancel",
)


def test_the_session_cookie_is_scoped_like_a_token(client: FlaskClient, make: Any, login: Any) -> None:
    """Signed in through the web form, B's handler gets the same 404s, and a hidden case stays hidden in lists."""
    world = the_world(make)
    login(world.user("handler"))
    csrf = {"X-CSRFToken": csrf_token_of(client, "/")}  # what the pages' scripts send with a cookie
    for name in SESSION_CELLS:
        op = OPERATIONS[name]
        method, path = _method_path(name, op, world)
        before = _head()
        response = client.open(path, method=method, headers=csrf, json=op.body(world) if op.body else None)
        assert response.status_code == 404, f"{name} × handler (session): {_said(response)}"
        assert not _leaks(response, world, path) and _head() == before, name
    for path in ("/api/v1/cases", "/api/v1/items", "/api/v1/handovers", "/api/v1/ledger/entries"):
        response = client.get(path)
        assert response.status_code == 200 and not _leaks(response, world), path


def test_the_centre_keeper_sees_items_not_case_files(client: FlaskClient, make: Any) -> None:
    """Every read, as the centre's keeper (whose agency never held the case either): items yes, case files no."""
    world = the_world(make)
    token = world.tokens["centre_keeper"]
    problems = []
    for name in sorted(n for n in OPERATIONS if n.startswith("GET ")):
        method, path = _method_path(name, OPERATIONS[name], world)
        response = _call(client, method, path, OPERATIONS[name], world, token)
        if not _matches(response, expected := CENTRE_KEEPER_READS.get(name, 200)):
            problems.append(f"{name} × centre keeper: expected {expected}, got {_said(response)}")
    cases = client.get("/api/v1/cases", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert cases["items"] == [], "GET /cases × centre keeper: lists cases"
    assert not problems, "\n".join(problems)
