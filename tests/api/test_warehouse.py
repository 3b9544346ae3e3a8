"""Intake, moves and the location list (API.md "Warehouse"; design §5.1, §5.2, §4 rules 1, 3, 5, 10)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from custody import clock
from custody.extensions import db
from custody.ledger import verify_chain
from custody.models import Item, LedgerEntry, User
from custody.services import warehouse
from tests.services.test_concurrency import _run_together


@pytest.fixture
def floor(make: Any) -> dict[str, Any]:
    """A centre keeper, a handler with a case of three registered items, and a warehouse with two shelves."""
    keeper = make.keeper()
    handler = make.user("handler")
    case = make.case(handler)
    store = make.location(keeper, name="一号库")
    shelves = [make.location(keeper, "shelf", parent=store, name=f"A-0{i}") for i in (1, 2)]
    return {
        "keeper": keeper,
        "handler": handler,
        "case": case,
        "items": make.items(handler, case, 3),
        "store": store,
        "shelves": shelves,
    }


def head() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.max(LedgerEntry.seq))) or 0


def body_for(act: str, location: str) -> dict[str, Any]:
    return {"location": location, "seal_intact": True} if act == "intake" else {"location": location}


def took_in(client: Any, code: str, location: str) -> bool:
    response = client.post(f"/api/v1/items/{code}/intake", json={"location": location, "seal_intact": True})
    return response.status_code == 200


def history(client: Any, code: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/items/{code}/history")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["entries"]


def test_intake_shelves_a_registered_item_with_one_entry(api, floor):
    client = api(floor["keeper"])
    item, shelf = floor["items"][0], floor["shelves"][0]
    before = head()
    response = client.post(
        f"/api/v1/items/{item.code}/intake", json={"location": shelf.code, "seal_intact": True, "note": " 封条完好 "}
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["code"], body["status"], body["location"], body["late_intake"]) == (
        item.code,
        "in_storage",
        shelf.code,
        False,
    )
    assert head() == before + 1
    entry = history(client, item.code)[-1]
    assert entry["seq"] == before + 1 and entry["kind"] == "item.intake" and entry["items"] == [item.code]
    assert entry["case_no"] == floor["case"].case_no and entry["actor"] == floor["keeper"].username
    assert entry["data"] == {"location": shelf.code, "seal_intact": True, "late": False, "note": "封条完好"}
    stored = db.session.scalars(select(Item).where(Item.code == item.code)).one()
    assert stored.intake_at is not None and stored.location_id == shelf.id


def test_intake_accepts_a_scanned_location_label_and_a_broken_seal(api, floor):
    client = api(floor["keeper"])
    item, shelf = floor["items"][0], floor["shelves"][1]
    response = client.post(
        f"/api/v1/items/{item.code.lower()}/intake",
        json={"location": f"http://custody.test/s/{shelf.code}", "seal_intact": False},
    )
    assert response.status_code == 200 and response.get_json()["location"] == shelf.code
    assert history(client, item.code)[-1]["data"]["seal_intact"] is False


def test_late_intake_is_marked_on_the_item_and_in_the_entry(api, make, floor):
    (late,) = make.items(floor["handler"], floor["case"], 1, seized_at=clock.now() - timedelta(hours=30))
    client = api(floor["keeper"])
    response = client.post(
        f"/api/v1/items/{late.code}/intake", json={"location": floor["shelves"][0].code, "seal_intact": True}
    )
    assert response.status_code == 200 and response.get_json()["late_intake"] is True
    assert history(client, late.code)[-1]["data"]["late"] is True


def test_intake_twice_is_refused_and_changes_nothing(api, floor):
    client = api(floor["keeper"])
    item, first, second = floor["items"][0], *floor["shelves"]
    assert took_in(client, item.code, first.code)
    before = head()
    again = client.post(f"/api/v1/items/{item.code}/intake", json={"location": second.code, "seal_intact": True})
    assert again.status_code == 409 and again.get_json()["code"] == "invalid_state"
    assert again.mimetype == "application/problem+json"
    assert head() == before
    assert client.get(f"/api/v1/items/{item.code}").get_json()["location"] == first.code


def test_move_records_from_and_to_in_one_entry_per_item(api, floor):
    client = api(floor["keeper"])
    first, second = floor["shelves"]
    codes = [i.code for i in floor["items"][:2]]
    for code in codes:
        assert took_in(client, code, first.code)
    before = head()
    for code in codes:
        response = client.post(f"/api/v1/items/{code}/move", json={"location": second.code})
        assert response.status_code == 200 and response.get_json()["location"] == second.code
        entry = history(client, code)[-1]
        assert entry["kind"] == "item.moved" and entry["items"] == [code]
        assert entry["data"] == {"from": first.code, "to": second.code}
    assert head() == before + 2
    assert verify_chain(db.session).ok


def test_moves_that_make_no_sense_are_refused(api, floor):
    client = api(floor["keeper"])
    registered, stored = floor["items"][0], floor["items"][1]
    shelf = floor["shelves"][0]
    assert took_in(client, stored.code, shelf.code)
    before = head()
    not_in = client.post(f"/api/v1/items/{registered.code}/move", json={"location": shelf.code})
    assert not_in.status_code == 409 and not_in.get_json()["code"] == "invalid_state"
    same = client.post(f"/api/v1/items/{stored.code}/move", json={"location": shelf.code})
    assert same.status_code == 409 and same.get_json()["code"] == "invalid_state"
    assert head() == before
    assert client.get(f"/api/v1/items/{registered.code}").get_json()["status"] == "registered"


@pytest.mark.parametrize("act", ["intake", "move"])
def test_unknown_location_is_invalid_input_naming_the_field(api, floor, act):
    client = api(floor["keeper"])
    item = floor["items"][0]
    if act == "move":
        assert took_in(client, item.code, floor["store"].code)
    before = head()
    for location in ("LNOWHERE", "no such place", ""):
        response = client.post(f"/api/v1/items/{item.code}/{act}", json=body_for(act, location))
        assert response.status_code == 422, location
        assert response.get_json()["code"] == "invalid_input" and "location" in response.get_json()["errors"]
    assert head() == before


def test_intake_needs_the_seal_answer(api, floor):
    client = api(floor["keeper"])
    item = floor["items"][0]
    for body in ({"location": floor["store"].code}, {"location": floor["store"].code, "seal_intact": "yes"}):
        response = client.post(f"/api/v1/items/{item.code}/intake", json=body)
        assert response.status_code == 422 and "seal_intact" in response.get_json()["errors"]


def test_only_keepers_take_in_and_move(api, floor):
    item, shelf = floor["items"][0], floor["shelves"][0]
    before = head()
    for act in ("intake", "move"):
        response = api(floor["handler"]).post(f"/api/v1/items/{item.code}/{act}", json=body_for(act, shelf.code))
        assert response.status_code == 403 and response.get_json()["code"] == "forbidden"
    assert head() == before


def test_a_keeper_who_may_not_see_the_item_gets_404(api, make, floor):
    police_keeper = make.user("keeper", kind="police")
    item, shelf = floor["items"][0], floor["shelves"][0]
    for act in ("intake", "move"):
        response = api(police_keeper).post(f"/api/v1/items/{item.code}/{act}", json=body_for(act, shelf.code))
        assert response.status_code == 404 and response.get_json()["code"] == "not_found"
    assert api(floor["keeper"]).get(f"/api/v1/items/{item.code}").get_json()["status"] == "registered"


def test_location_list_counts_own_and_subtree_items(api, make, floor):
    keeper, handler = floor["keeper"], floor["handler"]
    store, (a1, a2) = floor["store"], floor["shelves"]
    bin_ = make.location(keeper, "bin", parent=a1, name="A-01-1")
    other = make.location(keeper, name="二号库")
    make.stored_items(handler, keeper, store, 1)
    make.stored_items(handler, keeper, a1, 2)
    make.stored_items(handler, keeper, bin_, 3)
    client = api(make.user("handler"))  # any signed-in user may read the places and their counts

    top = client.get("/api/v1/locations").get_json()
    assert top["next"] is None
    by_code = {row["code"]: row for row in top["items"]}
    assert set(by_code) == {store.code, other.code}
    assert by_code[store.code] == {
        "code": store.code,
        "name": "一号库",
        "kind": "warehouse",
        "parent": None,
        "item_count": 1,
        "total_count": 6,
    }
    assert (by_code[other.code]["item_count"], by_code[other.code]["total_count"]) == (0, 0)

    inside = client.get("/api/v1/locations", query_string={"parent": store.code.lower()}).get_json()["items"]
    assert {(r["code"], r["item_count"], r["total_count"]) for r in inside} == {(a1.code, 2, 5), (a2.code, 0, 0)}
    assert all(r["parent"] == store.code for r in inside)
    (only,) = client.get("/api/v1/locations", query_string={"parent": a1.code}).get_json()["items"]
    assert (only["code"], only["item_count"], only["total_count"]) == (bin_.code, 3, 3)
    assert client.get("/api/v1/locations", query_string={"parent": "LNOPE"}).get_json() == {"items": [], "next": None}

    first = client.get("/api/v1/locations", query_string={"limit": 1}).get_json()
    second = client.get("/api/v1/locations", query_string={"limit": 1, "cursor": first["next"]}).get_json()
    assert len(first["items"]) == len(second["items"]) == 1 and first["items"] != second["items"]


def test_location_list_counts_in_a_fixed_number_of_queries(api, make, floor):
    """Counting is SQL (a recursive CTE), not a query per location walked."""
    from sqlalchemy import event

    keeper = floor["keeper"]
    for i in range(6):
        make.location(keeper, name=f"库 {i}")
    client = api(keeper)
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert len(client.get("/api/v1/locations").get_json()["items"]) == 7
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len([s for s in statements if "locations" in s]) <= 3, statements


@pytest.mark.postgresql
def test_two_keepers_taking_in_the_same_item_at_once_one_wins(app, make, floor):
    other = make.keeper()
    ids = [floor["keeper"].id, other.id]
    item, shelves = floor["items"][0], floor["shelves"]
    before = head()

    def work(i: int) -> Any:
        keeper = db.session.get(User, ids[i])
        return warehouse.intake(keeper, item.code, location=shelves[i].code, seal_intact=True).location.code

    results = _run_together(app, work, 2)
    assert sorted(type(r).__name__ for r in results) == ["InvalidState", "str"], results
    assert head() == before + 1
    winner = next(r for r in results if isinstance(r, str))
    stored = db.session.scalars(select(Item).where(Item.code == item.code)).one()
    assert stored.location.code == winner and stored.status == "in_storage"
    assert verify_chain(db.session).ok
