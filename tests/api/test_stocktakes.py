"""The stocktake endpoints: open, scan, close, read, list, and the CSV report."""

from __future__ import annotations

import csv
import io
import json
from types import SimpleNamespace
from typing import Any

import pytest

from custody import codes


@pytest.fixture
def floor(make: Any, api: Any) -> SimpleNamespace:
    keeper = make.keeper()
    handler = make.user("handler")
    warehouse = make.location(keeper, name="一号库")
    shelf = make.location(keeper, "shelf", warehouse, name="-B区")  # a name a spreadsheet would run as a formula
    other = make.location(keeper, name="二号库")
    return SimpleNamespace(
        keeper=keeper, handler=handler, warehouse=warehouse, shelf=shelf, other=other, client=api(keeper)
    )


def test_a_stocktake_from_open_to_close(make, floor):
    stored = make.stored_items(floor.handler, floor.keeper, floor.shelf, 3)
    stray = make.stored_items(floor.handler, floor.keeper, floor.other, 1)[0]
    client = floor.client

    opened = client.post("/api/v1/stocktakes", json={"location": floor.warehouse.code})
    assert opened.status_code == 201, opened.get_json()
    body = opened.get_json()
    number = body["number"]
    assert codes.parse(number).kind is codes.CodeKind.STOCKTAKE
    assert {k: body[k] for k in ("status", "expected", "location", "opened_by", "scanned", "found")} == {
        "status": "open",
        "expected": 3,
        "location": floor.warehouse.code,
        "opened_by": floor.keeper.username,
        "scanned": 0,
        "found": 0,
    }
    assert body["opened_at"].endswith("Z") and body["closed_at"] is None

    def scan(code: str) -> Any:
        return client.post(f"/api/v1/stocktakes/{number}/scans", json={"code": code})

    first = scan(stored[0].code)
    assert first.status_code == 200
    assert first.get_json() == {
        "result": "expected",
        "code": stored[0].code,
        "item": stored[0].name,
        "recorded_location": floor.shelf.code,
        "item_status": "in_storage",
    }
    assert scan(f"http://custody.test/s/{stored[0].code}").get_json()["result"] == "duplicate"
    assert scan(stray.code).get_json()["result"] == "unexpected"

    progress = client.get(f"/api/v1/stocktakes/{number}").get_json()
    assert (progress["status"], progress["found"], progress["scanned"]) == ("open", 1, 2)
    assert progress["missing"] == sorted(i.code for i in stored[1:]) and progress["unexpected"] == [stray.code]

    closed = client.post(f"/api/v1/stocktakes/{number}/close")
    assert closed.status_code == 200
    got = closed.get_json()
    assert {k: got[k] for k in ("number", "status", "expected", "found", "missing", "unexpected")} == {
        "number": number,
        "status": "closed",
        "expected": 3,
        "found": 1,
        "missing": sorted(i.code for i in stored[1:]),
        "unexpected": [stray.code],
    }
    entry = client.get("/api/v1/ledger/entries", query_string={"after": got["close_seq"] - 1, "limit": 1}).get_json()
    assert entry["items"][0]["kind"] == "stocktake.closed"
    assert sorted(entry["items"][0]["items"]) == sorted([i.code for i in stored] + [stray.code])

    late = scan(stored[1].code)
    assert (late.status_code, late.get_json()["code"]) == (409, "invalid_state")
    again = client.post(f"/api/v1/stocktakes/{number}/close")
    assert (again.status_code, again.get_json()["code"]) == (409, "invalid_state")


def test_errors(make, floor):
    client = floor.client
    bad = client.post("/api/v1/stocktakes", json={"location": "NOWHERE"})
    assert (bad.status_code, bad.get_json()["code"], list(bad.get_json()["errors"])) == (
        422,
        "invalid_input",
        ["location"],
    )
    assert client.post("/api/v1/stocktakes", json={}).status_code == 422
    number = client.post("/api/v1/stocktakes", json={"location": floor.shelf.code}).get_json()["number"]
    twice = client.post("/api/v1/stocktakes", json={"location": floor.shelf.code})
    assert (twice.status_code, twice.get_json()["code"]) == (409, "invalid_state")

    unknown = codes.new_code(codes.CodeKind.ITEM)
    mistyped = unknown[:-1] + ("0" if unknown[-1] != "0" else "1")
    for raw, expected in {
        unknown: (404, "unknown_code"),
        mistyped: (422, "bad_check_character"),
        "hello": (422, "malformed_code"),
        floor.other.code: (422, "malformed_code"),
    }.items():
        response = client.post(f"/api/v1/stocktakes/{number}/scans", json={"code": raw})
        assert (response.status_code, response.get_json()["code"]) == expected, raw
    item = make.stored_items(floor.handler, floor.keeper, floor.shelf, 1)[0]
    missing = client.post(
        f"/api/v1/stocktakes/{codes.new_code(codes.CodeKind.STOCKTAKE)}/scans", json={"code": item.code}
    )
    assert (missing.status_code, missing.get_json()["code"]) == (404, "not_found")
    assert client.get("/api/v1/stocktakes/S0").status_code == 404


def test_who_may(make, api, floor):
    number = floor.client.post("/api/v1/stocktakes", json={"location": floor.shelf.code}).get_json()["number"]
    handler, auditor = api(floor.handler), api(make.user("auditor"))
    for client in (handler, auditor):
        refused = client.post("/api/v1/stocktakes", json={"location": floor.other.code})
        assert (refused.status_code, refused.get_json()["code"]) == (403, "forbidden")
        assert client.post(f"/api/v1/stocktakes/{number}/close").status_code == 403
    assert handler.get(f"/api/v1/stocktakes/{number}").status_code == 403
    assert handler.get("/api/v1/stocktakes").status_code == 403
    assert handler.get(f"/api/v1/stocktakes/{number}/report.csv").status_code == 403
    assert auditor.get(f"/api/v1/stocktakes/{number}").status_code == 200
    assert auditor.get(f"/api/v1/stocktakes/{number}/report.csv").status_code == 200


def test_list(floor):
    client = floor.client
    first = client.post("/api/v1/stocktakes", json={"location": floor.shelf.code}).get_json()["number"]
    second = client.post("/api/v1/stocktakes", json={"location": floor.other.code}).get_json()["number"]
    client.post(f"/api/v1/stocktakes/{first}/close")
    page = client.get("/api/v1/stocktakes", query_string={"limit": 1}).get_json()
    assert [s["number"] for s in page["items"]] == [first] and page["next"]
    rest = client.get("/api/v1/stocktakes", query_string={"limit": 1, "cursor": page["next"]}).get_json()
    assert [s["number"] for s in rest["items"]] == [second] and rest["next"] is None
    open_ones = client.get("/api/v1/stocktakes", query_string={"status": "open"}).get_json()
    assert [s["number"] for s in open_ones["items"]] == [second]
    assert client.get("/api/v1/stocktakes", query_string={"status": "lost"}).status_code == 422


def test_csv_report_is_excel_safe(make, floor):
    case = make.case(floor.handler, case_no="+86-CASE")
    risky = ['=HYPERLINK("http://evil")', "@SUM(A1)", "\tpadded", "普通手机"]
    stored = [make.stored_items(floor.handler, floor.keeper, floor.shelf, 1, case=case, name=name)[0] for name in risky]
    client = floor.client
    number = client.post("/api/v1/stocktakes", json={"location": floor.shelf.code}).get_json()["number"]
    client.post(f"/api/v1/stocktakes/{number}/scans", json={"code": stored[3].code})

    response = client.get(f"/api/v1/stocktakes/{number}/report.csv")

    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert f'filename="stocktake-{number}.csv"' in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel read UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["code", "name", "case_no", "location", "location_name", "result", "scanned_at"]
    by_code = {r[0]: r for r in rows[1:]}
    assert len(by_code) == 4
    names = {by_code[i.code][1] for i in stored}
    assert names == {'\'=HYPERLINK("http://evil")', "'@SUM(A1)", "'\tpadded", "普通手机"}
    for item in stored:
        row = by_code[item.code]
        assert row[2:5] == ["'+86-CASE", floor.shelf.code, "'-B区"]
    assert by_code[stored[3].code][5] == "found" and by_code[stored[3].code][6].endswith("Z")
    assert {by_code[i.code][5] for i in stored[:3]} == {"missing"}
    assert all(not cell.startswith(("=", "+", "-", "@", "\t")) for row in rows for cell in row)


def test_documented(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in (
        "/api/v1/stocktakes",
        "/api/v1/stocktakes/{number}",
        "/api/v1/stocktakes/{number}/scans",
        "/api/v1/stocktakes/{number}/close",
        "/api/v1/stocktakes/{number}/report.csv",
    ):
        assert path in paths, path
    assert "text/csv" in paths["/api/v1/stocktakes/{number}/report.csv"]["get"]["responses"]["200"]["content"]


def test_real_answers_match_the_document(app, make, floor, monkeypatch):
    """Fuzzing rarely hits a real stocktake: check real answers against the served document here."""
    import schemathesis

    from custody.services.auth import issue_token
    from tests.api.test_schemathesis import _isolated, problem_json

    item = make.stored_items(floor.handler, floor.keeper, floor.shelf, 1)[0]
    token, _row = issue_token(floor.keeper)
    monkeypatch.setattr(app, "wsgi_app", _isolated(app.wsgi_app))
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    auth = {"Authorization": f"Bearer {token}"}

    def call(method: str, path: str, status: int, body: Any = None, **params: str) -> Any:
        kwargs: dict[str, Any] = {"path_parameters": params}
        if body is not None:
            kwargs["body"] = body
        response = schema[path][method].Case(**kwargs).call_and_validate(headers=auth, additional_checks=[problem_json])
        assert response.status_code == status, (method, path, response.text)
        return response

    number = call("POST", "/api/v1/stocktakes", 201, {"location": floor.warehouse.code}).json()["number"]
    call("POST", "/api/v1/stocktakes/{number}/scans", 200, {"code": item.code}, number=number)
    call("GET", "/api/v1/stocktakes/{number}", 200, number=number)
    call("GET", "/api/v1/stocktakes", 200)
    call("GET", "/api/v1/stocktakes/{number}/report.csv", 200, number=number)
    call("POST", "/api/v1/stocktakes/{number}/close", 200, number=number)
    call("POST", "/api/v1/stocktakes/{number}/close", 409, number=number)
    call("GET", "/api/v1/stocktakes/{number}", 200, number=number)


def test_a_handler_never_reads_other_agencies_items_in_a_stocktake_entry(make, api):
    """The close entry names items of every case on the shelf and no case: only keepers and auditors see it."""
    from custody.services import stocktakes

    keeper = make.keeper()
    shelf = make.location(keeper)
    mine, theirs = make.user("handler"), make.user("handler")
    (my_item,) = make.stored_items(mine, keeper, shelf, 1)
    (their_item,) = make.stored_items(theirs, keeper, shelf, 1)
    count = stocktakes.open_stocktake(keeper, shelf.code)
    stocktakes.close_stocktake(keeper, count.number)

    def kinds(user):
        history = api(user).get(f"/api/v1/items/{my_item.code}/history").get_json()
        assert "entries" in history, history
        return [e["kind"] for e in history["entries"]], json.dumps(history)

    handler_kinds, handler_text = kinds(mine)
    assert "stocktake.closed" not in handler_kinds and their_item.code not in handler_text
    assert "stocktake.closed" in kinds(keeper)[0]
    assert "stocktake.closed" in kinds(make.user("auditor", kind="supervision"))[0]


def test_a_cursor_past_the_integer_range_is_an_empty_page(make, api):
    keeper = make.keeper()
    for path in ("/api/v1/stocktakes", "/api/v1/checkouts", "/api/v1/items", "/api/v1/cases", "/api/v1/locations"):
        response = api(keeper).get(f"{path}?cursor=37106796560221")
        assert response.status_code == 200, (path, response.get_json())
        assert response.get_json() == {"items": [], "next": None}
