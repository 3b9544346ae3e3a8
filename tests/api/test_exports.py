"""CSV exports: GET /api/v1/ledger/entries.csv and /api/v1/holdings.csv — content, filters, access,
formula neutralisation, the BOM, and that the body is streamed rather than built whole."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from custody.extensions import db
from custody.ledger import canonical
from custody.services import exports, warehouse
from tests.audit_world import AuditWorld


@pytest.fixture
def world(make: Any) -> AuditWorld:
    return AuditWorld(make)


def _table(response: Any) -> list[dict[str, str]]:
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode()), "UTF-8 with a BOM, for Excel"
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8")[1:])))


def test_entries_csv_has_every_entry_as_the_ledger_holds_it(api: Any, world: AuditWorld) -> None:
    response = api(world.auditor).get("/api/v1/ledger/entries.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.is_streamed, "a generator body, never the whole file in memory"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="ledger-')
    assert response.headers["Cache-Control"] == "no-store"
    rows = _table(response)
    entries = world.all_entries()
    assert [int(r["seq"]) for r in rows] == [e.seq for e in entries]
    assert list(rows[0]) == list(exports.ENTRY_COLUMNS)
    for row, entry in zip(rows, entries, strict=True):
        body = json.loads(entry.body)
        assert row["at"] == body["at"].replace(".000000Z", "Z")
        # The command line's actor "@cli" would start a formula: it is written '@cli.
        actor = "'@cli" if entry.actor == "@cli" else entry.actor
        assert (row["kind"], row["actor"], row["agency"], row["case_no"]) == (
            entry.kind,
            actor,
            entry.agency,
            entry.case_no or "",
        )
        assert row["items"].split() == [i["code"] for i in body["items"]]
        assert row["data"] == canonical.encode(body["data"]), "the data exactly as hashed"
        assert (row["prev_hash"], row["hash"]) == (entry.prev_hash, entry.hash)


def test_entries_csv_takes_the_browser_filters(api: Any, world: AuditWorld) -> None:
    client = api(world.auditor)
    rows = _table(client.get("/api/v1/ledger/entries.csv", query_string={"case_no": "A-2026-1", "kind": "item.intake"}))
    assert [r["items"] for r in rows] == world.codes_a
    rows = _table(client.get("/api/v1/ledger/entries.csv", query_string={"item": world.codes_b[0]}))
    assert [r["kind"] for r in rows] == ["item.registered"]
    entries = world.all_entries()
    window = {"from": entries[1].at.isoformat(), "to": entries[4].at.isoformat()}
    assert [int(r["seq"]) for r in _table(client.get("/api/v1/ledger/entries.csv", query_string=window))] == [2, 3, 4]
    bad = client.get("/api/v1/ledger/entries.csv", query_string={"kind": "nope"})
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"


def test_holdings_csv_lists_items_not_disposed_of(api: Any, world: AuditWorld, make: Any) -> None:
    more = make.items(world.handler_b, world.case_b, 1, name="手机 华为", quantity=Decimal("2.500"), unit="部")
    db.session.execute(text("UPDATE items SET status = 'disposed' WHERE code = :c"), {"c": world.codes_b[0]})
    db.session.commit()
    response = api(world.auditor).get("/api/v1/holdings.csv")
    assert response.status_code == 200 and response.is_streamed
    assert response.headers["Content-Disposition"].startswith('attachment; filename="holdings-')
    rows = {r["code"]: r for r in _table(response)}
    assert set(rows) == {*world.codes_a, world.codes_b[1], more[0].code}
    stored = rows[world.codes_a[0]]
    assert stored["status"] == "in_storage" and stored["location"] == world.shelf.code
    assert stored["custodian"] == "PA" and stored["case_no"] == "A-2026-1" and stored["late_intake"] == "false"
    assert stored["intake_at"].startswith("2026-03-01T") and stored["intake_at"].endswith("Z")
    chinese = rows[more[0].code]
    assert (chinese["name"], chinese["quantity"], chinese["unit"]) == ("手机 华为", "2.5", "部")
    assert chinese["status"] == "registered" and chinese["location"] == "" and chinese["intake_at"] == ""
    assert list(next(iter(rows.values()))) == list(exports.HOLDING_COLUMNS)


def test_cells_a_spreadsheet_would_run_get_an_apostrophe(api: Any, world: AuditWorld, make: Any) -> None:
    names = ['=HYPERLINK("http://x")', "+1+1", "-2", "@SUM(A1)", "\tTAB", "\rCR", "plain = fine"]
    made = make.items(world.handler_a, world.case_a, len(names))
    for item, name in zip(made, names, strict=True):
        db.session.execute(text("UPDATE items SET name = :n WHERE code = :c"), {"n": name, "c": item.code})
    db.session.commit()
    rows = {r["code"]: r["name"] for r in _table(api(world.auditor).get("/api/v1/holdings.csv"))}
    assert [rows[i.code] for i in made] == ["'" + n for n in names[:-1]] + ["plain = fine"]
    assert exports.cell("-") == "'-" and exports.cell(None) == "" and exports.cell(3) == "3"


@pytest.mark.parametrize(
    ("role", "entries", "holdings"),
    [("auditor", 200, 200), ("keeper", 403, 200), ("handler", 403, 403), ("admin", 403, 403)],
)
def test_who_may_export(api: Any, world: AuditWorld, make: Any, role: str, entries: int, holdings: int) -> None:
    user = world.keeper if role == "keeper" else make.user(role)
    client = api(user)
    assert client.get("/api/v1/ledger/entries.csv").status_code == entries
    assert client.get("/api/v1/holdings.csv").status_code == holdings


def test_a_keeper_of_an_agency_exports_only_its_cases_items(api: Any, world: AuditWorld, make: Any) -> None:
    keeper_b = make.user("keeper", agency=world.police_b)
    rows = _table(api(keeper_b).get("/api/v1/holdings.csv"))
    assert {r["code"] for r in rows} == set(world.codes_b)


def test_the_file_leaves_in_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exports, "CHUNK_BYTES", 100)
    rows = ([n, "名" * 20] for n in range(50))
    chunks = list(exports.csv_chunks(("n", "name"), rows))
    assert len(chunks) > 10 and all(len(c) < 400 for c in chunks)
    decoded = b"".join(chunks).decode("utf-8")
    assert decoded.startswith("\ufeffn,name\r\n0,") and decoded.count("\r\n") == 51


def test_split_body_reads_data_and_items_without_parsing() -> None:
    data = {"items": [{"code": "X"}], "note": 'a,"items":[ "kind":', "kind": "q"}
    body = canonical.body(
        seq=7,
        at=datetime(2026, 1, 1, tzinfo=UTC),
        kind="item.moved",
        actor="a",
        agency='P"data":',
        case_no='C,"items":[',
        items=[("I0000000A1", 3), ("I0000000B2", None)],
        data=data,
    )
    assert exports.split_body(body) == (canonical.encode(data), ["I0000000A1", "I0000000B2"])
    assert exports.split_body("not json") == ("", [])


def test_entries_after_intake_and_moves_stream_in_seq_order(api: Any, world: AuditWorld, make: Any) -> None:
    other = make.location(world.keeper, name="Shelf B")
    for _ in range(3):
        warehouse.move(world.keeper, world.codes_a[0], location=other.code)
        warehouse.move(world.keeper, world.codes_a[0], location=world.shelf.code)
    rows = _table(api(world.auditor).get("/api/v1/ledger/entries.csv", query_string={"item": world.codes_a[0]}))
    assert [r["kind"] for r in rows] == ["item.registered", "item.intake"] + ["item.moved"] * 6
    assert [int(r["seq"]) for r in rows] == sorted(int(r["seq"]) for r in rows)
