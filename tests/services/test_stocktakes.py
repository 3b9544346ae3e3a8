"""Stocktakes: the expected snapshot, scans decided by the database, and the one entry of the close."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select, update

from custody import codes
from custody.errors import (
    BadCheckCharacter,
    Forbidden,
    InvalidInput,
    InvalidState,
    MalformedCode,
    NotFound,
    UnknownCode,
)
from custody.extensions import db
from custody.ledger import verify_chain
from custody.models import Item, LedgerEntry, LedgerEntryItem, Stocktake, StocktakeItem, StocktakeScan, User
from custody.services import stocktakes
from custody.services.uow import unit_of_work
from tests.services.test_concurrency import _run_together


@pytest.fixture
def floor(make: Any) -> SimpleNamespace:
    """A warehouse → zone → shelf, another warehouse, a keeper and a handler."""
    keeper = make.keeper()
    handler = make.user("handler")
    warehouse = make.location(keeper, name="一号库")
    zone = make.location(keeper, "zone", warehouse, name="A区")
    shelf = make.location(keeper, "shelf", zone, name="A-01")
    other = make.location(keeper, name="二号库")
    return SimpleNamespace(keeper=keeper, handler=handler, warehouse=warehouse, zone=zone, shelf=shelf, other=other)


def _set_status(item: Item, status: str) -> None:
    """Test set-up only: put an item in a state another workflow (check-out, disposal) would."""
    with unit_of_work():
        db.session.execute(update(Item).where(Item.id == item.id).values(status=status))


def _snapshot(number: str) -> set[str]:
    return set(
        db.session.scalars(
            select(Item.code)
            .join(StocktakeItem, StocktakeItem.item_id == Item.id)
            .join(Stocktake, Stocktake.id == StocktakeItem.stocktake_id)
            .where(Stocktake.number == number)
        )
    )


def test_expected_snapshot_covers_children_and_only_stored_items(make, floor):
    on_warehouse = make.stored_items(floor.handler, floor.keeper, floor.warehouse, 2)
    on_shelf = make.stored_items(floor.handler, floor.keeper, floor.shelf, 2)
    make.stored_items(floor.handler, floor.keeper, floor.other, 1)
    out = make.stored_items(floor.handler, floor.keeper, floor.shelf, 1)[0]
    _set_status(out, "checked_out")
    make.items(floor.handler, make.case(floor.handler), 1)  # registered, never taken in

    opened = stocktakes.open_stocktake(floor.keeper, floor.warehouse.code)

    assert opened.status == "open" and opened.expected == 4 and opened.scanned == 0
    assert codes.parse(opened.number).kind is codes.CodeKind.STOCKTAKE
    assert _snapshot(opened.number) == {i.code for i in on_warehouse + on_shelf}
    entry = db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.seq.desc()).limit(1)).one()
    assert entry.kind == "stocktake.opened"
    assert json.loads(entry.body)["data"] == {"number": opened.number, "location": floor.warehouse.code, "expected": 4}
    # A count of the zone alone sees only the shelf's items; its label URL works as well as its code.
    zone = stocktakes.open_stocktake(floor.keeper, f"http://custody.test/s/{floor.zone.code}")
    assert zone.expected == 2 and _snapshot(zone.number) == {i.code for i in on_shelf}


def test_one_open_stocktake_per_location(floor):
    first = stocktakes.open_stocktake(floor.keeper, floor.shelf.code)
    with pytest.raises(InvalidState):
        stocktakes.open_stocktake(floor.keeper, floor.shelf.code.lower())
    stocktakes.close_stocktake(floor.keeper, first.number)
    again = stocktakes.open_stocktake(floor.keeper, floor.shelf.code)
    assert again.number != first.number and again.expected == 0


@pytest.mark.parametrize("raw", ["", "NOPE", "L" + "0" * 7, "\x00"])
def test_unknown_location_is_invalid_input_naming_it(floor, raw):
    with pytest.raises(InvalidInput) as caught:
        stocktakes.open_stocktake(floor.keeper, raw)
    assert set(caught.value.errors or {}) == {"location"}


def test_only_keepers_count_and_auditors_read(make, floor):
    handler, auditor = floor.handler, make.user("auditor")
    with pytest.raises(Forbidden):
        stocktakes.open_stocktake(handler, floor.warehouse.code)
    with pytest.raises(Forbidden):
        stocktakes.open_stocktake(auditor, floor.warehouse.code)
    opened = stocktakes.open_stocktake(floor.keeper, floor.warehouse.code)
    assert stocktakes.get_stocktake(auditor, opened.number).number == opened.number
    for act in (stocktakes.get_stocktake, stocktakes.report, stocktakes.close_stocktake):
        with pytest.raises(Forbidden):
            act(handler, opened.number)
    with pytest.raises(Forbidden):
        stocktakes.record_scan(auditor, opened.number, "x")


def test_scans_expected_unexpected_and_duplicate(make, floor):
    expected = make.stored_items(floor.handler, floor.keeper, floor.shelf, 3)
    elsewhere = make.stored_items(floor.handler, floor.keeper, floor.other, 1)[0]
    number = stocktakes.open_stocktake(floor.keeper, floor.warehouse.code).number

    first = stocktakes.record_scan(floor.keeper, number, expected[0].code)
    assert (first.result, first.code, first.item, first.recorded_location) == (
        "expected",
        expected[0].code,
        expected[0].name,
        floor.shelf.code,
    )
    again = stocktakes.record_scan(floor.keeper, number, f"http://custody.test/s/{expected[0].code.lower()}")
    assert again.result == "duplicate"
    stray = stocktakes.record_scan(floor.keeper, number, elsewhere.code)
    assert (stray.result, stray.recorded_location, stray.item_status) == ("unexpected", floor.other.code, "in_storage")
    assert stocktakes.record_scan(floor.keeper, number, elsewhere.code).result == "duplicate"
    assert db.session.scalar(select(func.count()).select_from(StocktakeScan)) == 2
    found = db.session.scalars(select(StocktakeItem.found).order_by(StocktakeItem.item_id))
    assert sorted(found) == [False, False, True]
    summary = stocktakes.get_stocktake(floor.keeper, number)
    assert (summary.expected, summary.found, summary.scanned, summary.unexpected_count) == (3, 1, 2, 1)


def test_scan_errors(make, floor):
    number = stocktakes.open_stocktake(floor.keeper, floor.warehouse.code).number
    unknown = codes.new_code(codes.CodeKind.ITEM)
    mistyped = unknown[:-1] + ("0" if unknown[-1] != "0" else "1")
    cases = {
        unknown: UnknownCode,
        mistyped: BadCheckCharacter,
        "hello": MalformedCode,
        floor.shelf.code: MalformedCode,  # a location label: not something to count
        number: MalformedCode,
    }
    for raw, error in cases.items():
        with pytest.raises(error):
            stocktakes.record_scan(floor.keeper, number, raw)
    # Another agency's keeper may not use the centre's count at all; in their own count they see only their own
    # agency's items: another's is unknown, not "unexpected".
    item = make.stored_items(floor.handler, floor.keeper, floor.shelf, 1)[0]
    police_keeper = make.user("keeper")
    with pytest.raises(NotFound):
        stocktakes.record_scan(police_keeper, number, item.code)
    own = stocktakes.open_stocktake(police_keeper, floor.other.code).number
    with pytest.raises(UnknownCode):
        stocktakes.record_scan(police_keeper, own, item.code)
    assert db.session.scalar(select(func.count()).select_from(StocktakeScan)) == 0


def test_close_reports_and_writes_one_entry(make, floor):
    stored = make.stored_items(floor.handler, floor.keeper, floor.shelf, 3)
    stray = make.stored_items(floor.handler, floor.keeper, floor.other, 1)[0]
    number = stocktakes.open_stocktake(floor.keeper, floor.zone.code).number
    stocktakes.record_scan(floor.keeper, number, stored[0].code)
    stocktakes.record_scan(floor.keeper, number, stray.code)

    closed = stocktakes.close_stocktake(floor.keeper, number)

    missing = sorted(i.code for i in stored[1:])
    assert (closed.status, closed.expected, closed.found, closed.missing, closed.unexpected) == (
        "closed",
        3,
        1,
        missing,
        [stray.code],
    )
    entry = db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.seq.desc()).limit(1)).one()
    assert entry.kind == "stocktake.closed" and entry.actor == floor.keeper.username
    assert json.loads(entry.body)["data"] == {
        "number": number,
        "location": floor.zone.code,
        "expected": 3,
        "found": 1,
        "missing": missing,
        "unexpected": [stray.code],
    }
    named = set(db.session.scalars(select(LedgerEntryItem.item_code).where(LedgerEntryItem.seq == entry.seq)))
    assert named == {i.code for i in stored} | {stray.code}
    row = db.session.scalars(select(Stocktake).where(Stocktake.number == number)).one()
    assert (row.close_seq, row.found, row.closed_by_id) == (entry.seq, 1, floor.keeper.id)
    assert verify_chain(db.session).ok

    with pytest.raises(InvalidState):
        stocktakes.record_scan(floor.keeper, number, stored[1].code)
    with pytest.raises(InvalidState):
        stocktakes.close_stocktake(floor.keeper, number)
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.seq > entry.seq)) == 0


def test_report_rows(make, floor):
    stored = make.stored_items(floor.handler, floor.keeper, floor.shelf, 2)
    stray = make.stored_items(floor.handler, floor.keeper, floor.other, 1)[0]
    number = stocktakes.open_stocktake(floor.keeper, floor.shelf.code).number
    stocktakes.record_scan(floor.keeper, number, stored[1].code)
    stocktakes.record_scan(floor.keeper, number, stray.code)
    stocktakes.close_stocktake(floor.keeper, number)

    report = stocktakes.report(make.user("auditor"), number)

    got = [(r.code, r.result, r.location, r.case_no, r.scanned_at is not None) for r in report.rows]
    assert got == [
        (stored[0].code, "missing", floor.shelf.code, stored[0].case.case_no, False),
        (stray.code, "unexpected", floor.other.code, stray.case.case_no, True),
        (stored[1].code, "found", floor.shelf.code, stored[1].case.case_no, True),
    ]
    assert report.rows[0].name == stored[0].name and report.summary.status == "closed"


def test_list_filters_and_pages(floor):
    numbers = [stocktakes.open_stocktake(floor.keeper, place.code).number for place in (floor.shelf, floor.other)]
    stocktakes.close_stocktake(floor.keeper, numbers[0])
    page = stocktakes.list_stocktakes(floor.keeper, limit=1)
    assert [s.number for s in page.items] == numbers[:1] and page.next
    rest = stocktakes.list_stocktakes(floor.keeper, limit=1, cursor=page.next)
    assert [s.number for s in rest.items] == numbers[1:] and rest.next is None
    assert [s.number for s in stocktakes.list_stocktakes(floor.keeper, status="open").items] == numbers[1:]
    newest = stocktakes.list_stocktakes(floor.keeper, newest_first=True)
    assert [s.number for s in newest.items] == numbers[::-1]
    by_place = stocktakes.list_stocktakes(floor.keeper, location=floor.other.code.lower())
    assert [s.number for s in by_place.items] == numbers[1:]


def test_the_same_label_scanned_at_once_is_stored_once(app, make, floor):
    item = make.stored_items(floor.handler, floor.keeper, floor.shelf, 1)[0]
    number = stocktakes.open_stocktake(floor.keeper, floor.warehouse.code).number
    keeper_id = floor.keeper.id
    db.session.rollback()

    def work(_i: int) -> str:
        return stocktakes.record_scan(db.session.get(User, keeper_id), number, item.code).result

    results = _run_together(app, work, 6)
    assert sorted(results) == ["duplicate"] * 5 + ["expected"], results
    assert db.session.scalar(select(func.count()).select_from(StocktakeScan)) == 1


def test_racing_opens_and_closes_one_wins(app, floor):
    keeper_id, shelf = floor.keeper.id, floor.shelf.code
    db.session.rollback()

    def opening(_i: int) -> Any:
        return stocktakes.open_stocktake(db.session.get(User, keeper_id), shelf).number

    opened = _run_together(app, opening, 4)
    winners = [r for r in opened if isinstance(r, str)]
    assert len(winners) == 1 and all(isinstance(r, InvalidState) for r in opened if r not in winners), opened

    def closing(_i: int) -> Any:
        return stocktakes.close_stocktake(db.session.get(User, keeper_id), winners[0]).status

    closed = _run_together(app, closing, 4)
    assert sorted(type(r).__name__ for r in closed) == ["InvalidState"] * 3 + ["str"], closed
    assert (
        db.session.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.kind == "stocktake.closed"))
        == 1
    )


def test_a_close_racing_scans_reports_exactly_the_scans_that_were_recorded(app, make, floor):
    stored = make.stored_items(floor.handler, floor.keeper, floor.shelf, 8)
    number = stocktakes.open_stocktake(floor.keeper, floor.warehouse.code).number
    keeper_id, codes_ = floor.keeper.id, [i.code for i in stored]
    db.session.rollback()

    def work(i: int) -> Any:
        keeper = db.session.get(User, keeper_id)
        if i == len(codes_):
            return stocktakes.close_stocktake(keeper, number)
        return stocktakes.record_scan(keeper, number, codes_[i]).code

    results = _run_together(app, work, len(codes_) + 1)
    closed = results[-1]
    recorded = {r for r in results[:-1] if isinstance(r, str)}
    refused = [r for r in results[:-1] if not isinstance(r, str)]
    assert all(isinstance(r, InvalidState) for r in refused), refused
    assert set(codes_) - set(closed.missing) == recorded and closed.found == len(recorded)
    assert db.session.scalar(select(func.count()).select_from(StocktakeScan)) == len(recorded)


def test_another_agencys_count_does_not_exist_for_its_keepers(make, floor):
    """A count names the items on the shelf, of cases the other agency never held: hidden, as such a case is."""
    make.stored_items(floor.handler, floor.keeper, floor.shelf, 2)
    number = stocktakes.open_stocktake(floor.keeper, floor.zone.code).number
    police_keeper = make.user("keeper")
    for read in (stocktakes.get_stocktake, stocktakes.report, stocktakes.close_stocktake):
        with pytest.raises(NotFound):
            read(police_keeper, number)
    assert [s.number for s in stocktakes.list_stocktakes(police_keeper).items] == []
    auditor = make.user("auditor", kind="supervision")
    assert stocktakes.get_stocktake(auditor, number).number == number
    assert [s.number for s in stocktakes.list_stocktakes(auditor).items] == [number]
