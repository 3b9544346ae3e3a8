"""Check-outs (design §5.3, rules 4, 8, 10): request, approve, release by scanning, return noting the seal."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from custody import clock
from custody.errors import Forbidden, InvalidInput, InvalidState, ItemsUnavailable, NotFound, WrongAgency
from custody.extensions import db
from custody.ledger import verify_chain
from custody.models import CheckoutItem, Item, LedgerEntry, User
from custody.services import checkouts, scanning
from tests.services.test_concurrency import _run_together


class World:
    """A police agency (handler, approver, a colleague who carries items), a centre keeper and 3 stored items."""

    def __init__(self, make: Any) -> None:
        self.make = make
        self.police = make.agency("police")
        self.handler = make.user("handler", agency=self.police)
        self.approver = make.user("approver", agency=self.police)
        self.carrier = make.user("handler", agency=self.police)
        self.keeper = make.keeper()
        self.shelf = make.location(self.keeper, name="Shelf A")
        self.case = make.case(self.handler)
        self.items = make.stored_items(self.handler, self.keeper, self.shelf, 3, case=self.case)
        self.codes = [i.code for i in self.items]

    def request(self, codes: list[str] | None = None, **kw: Any) -> Any:
        args: dict[str, Any] = {
            "purpose": "appraisal",
            "due_at": clock.now() + timedelta(days=2),
            "taken_by": self.carrier.username,
        }
        args.update(kw)
        actor = args.pop("actor", self.handler)
        return checkouts.request_checkout(actor, codes or self.codes, args.pop("purpose"), args.pop("due_at"), **args)

    def released(self, codes: list[str] | None = None, **kw: Any) -> Any:
        number = self.request(codes, **kw).number
        checkouts.approve_checkout(self.approver, number)
        return checkouts.release_checkout(self.keeper, number, codes or self.codes)


@pytest.fixture
def world(make: Any) -> World:
    return World(make)


def _entries_after(seq: int) -> list[LedgerEntry]:
    return list(db.session.scalars(select(LedgerEntry).where(LedgerEntry.seq > seq).order_by(LedgerEntry.seq)))


def _head() -> int:
    return db.session.scalar(select(func.max(LedgerEntry.seq))) or 0


def _codes_of(entry: LedgerEntry) -> list[str]:
    return [i["code"] for i in json.loads(entry.body)["items"]]


def _status(code: str) -> str:
    db.session.rollback()
    return db.session.scalars(select(Item.status).where(Item.code == code)).one()


def test_full_flow_each_act_one_entry_listing_its_items(world: World) -> None:
    start = _head()
    requested = world.request(note="Price appraisal")
    assert requested.status == "requested" and requested.number.startswith("C")
    assert [checkouts.line_state(requested, line) for line in requested.lines] == ["requested"] * 3
    approved = checkouts.approve_checkout(world.approver, requested.number)
    assert approved.status == "approved" and approved.approved_by_id == world.approver.id
    released = checkouts.release_checkout(world.keeper, requested.number, [c.lower() for c in world.codes])
    assert released.status == "released" and released.released_at is not None
    assert {_status(c) for c in world.codes} == {"checked_out"}
    returned = checkouts.return_items(world.keeper, requested.number, seal_intact=True)
    assert returned.status == "returned" and returned.closed_at is not None
    assert {_status(c) for c in world.codes} == {"in_storage"}
    assert all(i.location_id == world.shelf.id for i in db.session.scalars(select(Item)))  # back where it was

    entries = _entries_after(start)
    kinds = ["checkout.requested", "checkout.approved", "checkout.released", "checkout.returned"]
    assert [e.kind for e in entries] == kinds
    for entry in entries:
        assert entry.case_no == world.case.case_no and _codes_of(entry) == sorted(world.codes)
        assert json.loads(entry.body)["data"]["number"] == requested.number
    data = json.loads(entries[0].body)["data"]
    assert data["purpose"] == "appraisal" and data["taken_by"] == world.carrier.username and data["due_at"]
    assert verify_chain(db.session).ok


def test_partial_returns_then_complete_recording_a_broken_seal(world: World) -> None:
    number = world.released().number
    start = _head()
    first = checkouts.return_items(world.keeper, number, [world.codes[0]], seal_intact=False, note="Seal torn")
    assert first.status == "partially_returned" and first.closed_at is None
    assert [checkouts.line_state(first, line) for line in first.lines] == ["returned", "out", "out"]
    line = first.lines[0]
    assert line.seal_intact is False and line.return_note == "Seal torn" and line.returned_at is not None
    assert [_status(c) for c in world.codes] == ["in_storage", "checked_out", "checked_out"]
    done = checkouts.return_items(world.keeper, number, seal_intact=True)
    assert done.status == "returned" and done.closed_at is not None
    first_entry, second_entry = _entries_after(start)
    assert _codes_of(first_entry) == [world.codes[0]] and _codes_of(second_entry) == sorted(world.codes[1:])
    assert json.loads(first_entry.body)["data"]["seal_intact"] is False
    assert json.loads(second_entry.body)["data"]["seal_intact"] is True


def test_release_without_approval_is_refused_and_changes_nothing(world: World) -> None:
    number = world.request().number
    start = _head()
    with pytest.raises(InvalidState):
        checkouts.release_checkout(world.keeper, number)
    assert _head() == start and {_status(c) for c in world.codes} == {"in_storage"}
    assert checkouts.get_checkout(world.keeper, number).status == "requested"


def test_released_twice_the_second_loses(world: World) -> None:
    number = world.released().number
    with pytest.raises(InvalidState):
        checkouts.release_checkout(world.keeper, number)


def test_scanned_codes_must_be_exactly_the_checkouts_items(world: World, make: Any) -> None:
    number = world.request(world.codes[:2]).number
    checkouts.approve_checkout(world.approver, number)
    with pytest.raises(InvalidInput) as missing:
        checkouts.release_checkout(world.keeper, number, [world.codes[0]])
    assert "Not scanned" in missing.value.errors["items"][0] and world.codes[1] in missing.value.errors["items"][0]
    with pytest.raises(InvalidInput) as extra:
        checkouts.release_checkout(world.keeper, number, world.codes)
    assert world.codes[2] in extra.value.errors["items"][0]
    assert checkouts.release_checkout(world.keeper, number, world.codes[:2]).status == "released"


def test_returning_an_item_that_is_not_out_is_refused(world: World) -> None:
    number = world.released(world.codes[:2]).number
    checkouts.return_items(world.keeper, number, [world.codes[0]], seal_intact=True)
    start = _head()
    for code in (world.codes[0], world.codes[2]):  # already back; never in this check-out
        with pytest.raises(InvalidState):
            checkouts.return_items(world.keeper, number, [code], seal_intact=True)
    assert _head() == start
    requested = world.request([world.codes[2]]).number
    with pytest.raises(InvalidState):  # not released yet
        checkouts.return_items(world.keeper, requested, seal_intact=True)


def test_approval_only_by_an_approver_of_the_requesting_agency(world: World, make: Any) -> None:
    number = world.request().number
    with pytest.raises(Forbidden):  # a handler is not an approver
        checkouts.approve_checkout(world.handler, number)
    seeing = make.user("approver", "auditor", kind="procuratorate")  # sees every case, belongs elsewhere
    with pytest.raises(WrongAgency):
        checkouts.approve_checkout(seeing, number)
    with pytest.raises(NotFound):  # may not see the case at all
        checkouts.approve_checkout(make.user("approver"), number)
    with pytest.raises(NotFound):
        checkouts.approve_checkout(world.approver, "C00000000X")


def test_request_rules(world: World, make: Any) -> None:
    with pytest.raises(Forbidden):
        world.request(actor=world.keeper)
    with pytest.raises(NotFound):  # another agency's handler cannot see the items
        world.request(actor=make.user("handler"))
    with pytest.raises(InvalidInput) as past:
        world.request(due_at=clock.now() - timedelta(minutes=1))
    assert set(past.value.errors) == {"due_at"}
    with pytest.raises(InvalidInput) as taker:
        world.request(taken_by=make.user("handler").username)  # not of this agency
    assert set(taker.value.errors) == {"taken_by"}
    with pytest.raises(InvalidInput) as purpose:
        world.request(purpose="moves_with_case")
    assert set(purpose.value.errors) == {"purpose"}
    other_case = make.case(world.handler)
    (other,) = make.stored_items(world.handler, world.keeper, world.shelf, 1, case=other_case)
    with pytest.raises(InvalidInput) as mixed:
        world.request([world.codes[0], other.code])
    assert set(mixed.value.errors) == {"items"}
    (fresh,) = make.items(world.handler, world.case, 1)  # registered, not yet taken in
    with pytest.raises(ItemsUnavailable) as unstored:
        world.request([fresh.code])
    assert fresh.code in unstored.value.detail
    assert db.session.scalar(select(func.count(CheckoutItem.id))) == 0


def test_an_item_in_an_open_checkout_cannot_be_requested_again(world: World) -> None:
    number = world.request(world.codes[:1]).number
    with pytest.raises(ItemsUnavailable) as refused:
        world.request(world.codes[:2])
    assert world.codes[0] in refused.value.detail and number in refused.value.detail
    assert world.codes[1] not in refused.value.detail


def test_moves_with_case_is_for_the_handover_only_and_has_no_due_time(world: World) -> None:
    checkout = world.request(purpose="moves_with_case", due_at=None, allow_moves_with_case=True)
    assert checkout.purpose == "moves_with_case" and checkout.due_at is None


def test_cancel_frees_the_items(world: World, make: Any) -> None:
    number = world.request().number
    checkouts.approve_checkout(world.approver, number)
    with pytest.raises(Forbidden):
        checkouts.cancel_checkout(world.keeper, number)
    cancelled = checkouts.cancel_checkout(world.handler, number)
    assert cancelled.status == "cancelled" and cancelled.closed_at is not None
    assert [checkouts.line_state(cancelled, line) for line in cancelled.lines] == ["cancelled"] * 3
    entry = _entries_after(_head() - 1)[0]
    assert entry.kind == "checkout.cancelled" and _codes_of(entry) == sorted(world.codes)
    with pytest.raises(InvalidState):
        checkouts.cancel_checkout(world.handler, number)
    again = world.released()
    with pytest.raises(InvalidState):  # out on the street: it comes back through the keeper
        checkouts.cancel_checkout(world.approver, again.number)


def test_overdue_list(world: World) -> None:
    late = world.released(world.codes[:2], due_at=clock.now() + timedelta(hours=1)).number
    later = world.released(world.codes[2:], due_at=clock.now() + timedelta(days=5)).number
    real = clock.now()
    clock.set_clock(lambda: real + timedelta(hours=2))
    overdue = checkouts.list_checkouts(world.handler, overdue=True)
    assert [c.number for c in overdue.items] == [late] and checkouts.is_overdue(overdue.items[0])
    assert [c.number for c in checkouts.list_checkouts(world.handler, overdue=False).items] == [later]
    checkouts.return_items(world.keeper, late, [world.codes[0]], seal_intact=True)
    assert [c.number for c in checkouts.list_checkouts(world.keeper, overdue=True).items] == [late]  # one still out
    checkouts.return_items(world.keeper, late, seal_intact=True)
    assert checkouts.list_checkouts(world.keeper, overdue=True).items == []
    assert [c.number for c in checkouts.out_by_due(world.handler)] == [later]


def test_visibility(world: World, make: Any) -> None:
    number = world.request().number
    assert checkouts.get_checkout(world.keeper, number).number == number  # centre keeper
    assert checkouts.get_checkout(make.user("auditor", kind="supervision"), number).number == number
    with pytest.raises(NotFound):
        checkouts.get_checkout(make.user("handler"), number)
    assert checkouts.list_checkouts(make.user("handler")).items == []
    page = checkouts.list_checkouts(world.handler, limit=1, case_no=world.case.case_no, status="requested")
    assert [c.number for c in page.items] == [number] and page.next is None


def test_scan_actions(world: World) -> None:
    code = world.codes[0]
    assert "check_out" in scanning.resolve(world.handler, code).actions
    assert "check_out" not in scanning.resolve(world.approver, code).actions  # not a handler
    number = world.request([code]).number
    assert "check_out" not in scanning.resolve(world.handler, code).actions
    assert "release" not in scanning.resolve(world.keeper, code).actions  # not approved yet
    checkouts.approve_checkout(world.approver, number)
    assert "release" in scanning.resolve(world.keeper, code).actions
    checkouts.release_checkout(world.keeper, number)
    assert scanning.resolve(world.keeper, code).actions == ["return"]


@pytest.mark.postgresql
def test_two_handlers_requesting_the_same_item_at_once_one_wins(app: Any, world: World) -> None:
    other = world.make.user("handler", agency=world.police)
    ids, codes = [world.handler.id, other.id], list(world.codes)
    taker = world.carrier.username
    db.session.rollback()

    def work(i: int) -> Any:
        user = db.session.get(User, ids[i])
        due = clock.now() + timedelta(days=1)
        order = codes if i == 0 else codes[::-1]  # other order: must not deadlock
        return checkouts.request_checkout(user, order, "appraisal", due, taker).number

    for _ in range(3):  # the race is decided by the database every time, whoever is first
        results = _run_together(app, work, 2)
        assert sorted(type(r).__name__ for r in results) == ["ItemsUnavailable", "str"], results
        winner = next(r for r in results if isinstance(r, str))
        checkouts.cancel_checkout(db.session.get(User, ids[0]), winner)
    assert db.session.scalar(select(func.count(CheckoutItem.id)).where(CheckoutItem.active)) == 0
    assert verify_chain(db.session).ok


@pytest.mark.postgresql
def test_two_keepers_releasing_at_once_one_wins(app: Any, world: World, make: Any) -> None:
    number = world.request().number
    checkouts.approve_checkout(world.approver, number)
    ids = [world.keeper.id, make.keeper().id]
    start = _head()
    db.session.rollback()

    def work(i: int) -> Any:
        return checkouts.release_checkout(db.session.get(User, ids[i]), number).status

    results = _run_together(app, work, 2)
    assert sorted(type(r).__name__ for r in results) == ["InvalidState", "str"], results
    assert [e.kind for e in _entries_after(start)] == ["checkout.released"]


@pytest.mark.postgresql
def test_two_keepers_returning_different_items_at_once_close_it(app: Any, world: World, make: Any) -> None:
    number = world.released(world.codes[:2]).number
    ids = [world.keeper.id, make.keeper().id]
    db.session.rollback()

    def work(i: int) -> Any:
        user = db.session.get(User, ids[i])
        return checkouts.return_items(user, number, [world.codes[i]], seal_intact=True).status

    results = _run_together(app, work, 2)
    assert sorted(results) == ["partially_returned", "returned"], results
    assert checkouts.get_checkout(world.keeper, number).status == "returned"
