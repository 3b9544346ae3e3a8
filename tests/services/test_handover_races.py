"""Handover races are decided by the database (design §4 rules 6 and 7), with real threads.

Two people deciding the same handover at the same moment: exactly one wins, the other gets
InvalidState (409 over HTTP), and custody moves once. Two handlers asking to hand the same case
over at once: the partial unique index lets exactly one open handover exist. PostgreSQL re-checks
the conditional update after the first commit; SQLite serialises the writers (BEGIN IMMEDIATE);
both are run.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from custody.errors import HandoverOpen
from custody.extensions import db
from custody.ledger import verify_chain
from custody.models import Case, CaseHolder, Checkout, Handover, Item, LedgerEntry, User
from custody.services import handovers
from custody.services.auth import issue_token
from custody.services.handovers import requests as handover_requests
from tests.services.test_concurrency import _run_together

ROUNDS = 3  # each round races afresh: whoever comes first, the database decides


class World:
    """Police (two handlers, an approver), a procuratorate (a handler, an approver), a centre keeper, a shelf."""

    def __init__(self, make: Any) -> None:
        self.make = make
        self.police = make.agency("police")
        self.handlers = [make.user("handler", agency=self.police) for _ in range(2)]
        self.approver = make.user("approver", agency=self.police)
        self.procuratorate = make.agency("procuratorate")
        self.receivers = [
            make.user("handler", agency=self.procuratorate),
            make.user("approver", agency=self.procuratorate),
        ]
        self.keeper = make.keeper()
        self.shelf = make.location(self.keeper, name="Shelf A")

    def case(self) -> tuple[str, list[str]]:
        """A new police case with 3 stored items: (case_no, codes)."""
        case = self.make.case(self.handlers[0])
        items = self.make.stored_items(self.handlers[0], self.keeper, self.shelf, 3, case=case)
        return case.case_no, [i.code for i in items]

    def checked(self, case_no: str, codes: list[str], **kw: Any) -> str:
        """A handover of the case to the procuratorate, approved and checked: ready to accept."""
        number = handovers.request_handover(self.handlers[0], case_no, self.procuratorate.code, **kw).number
        handovers.approve_handover(self.approver, number)
        handovers.check_presence(self.keeper, number, codes)
        return number


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    assert user is not None
    return user


def _numbers(kind: str) -> list[str]:
    """The handover (or check-out) number of each ledger entry of ``kind``, in order."""
    bodies = db.session.scalars(select(LedgerEntry.body).where(LedgerEntry.kind == kind).order_by(LedgerEntry.seq))
    return [json.loads(body)["data"]["number"] for body in bodies]


def _entries(kind: str, number: str) -> int:
    return _numbers(kind).count(number)


def _race(app: Flask, work: Callable[[int], Any]) -> list[Any]:
    db.session.rollback()  # the threads must see what the test committed, and the test what they did
    results = _run_together(app, work, 2)
    db.session.rollback()
    return results


def _assert_moved_once(world: World, case_no: str, codes: list[str], number: str, refused: set[str]) -> None:
    case = db.session.scalars(select(Case).where(Case.case_no == case_no)).one()
    assert case.agency_id == world.procuratorate.id and case.stage == "prosecution_review"
    in_order = select(CaseHolder.agency_id).where(CaseHolder.case_id == case.id).order_by(CaseHolder.ordinal)
    holders = list(db.session.scalars(in_order))  # in order: an unordered SELECT may come back either way
    assert holders == [world.police.id, world.procuratorate.id]  # one new holder, not two
    custodians = dict(db.session.execute(select(Item.code, Item.custodian_id).where(Item.code.in_(codes))).all())
    assert custodians == {c: world.police.id if c in refused else world.procuratorate.id for c in codes}
    assert _entries("handover.accepted", number) == 1
    assert _entries("handover.rejected", number) == 0 and _entries("handover.cancelled", number) == 0


def test_two_receivers_accepting_at_once_one_wins(app: Flask, make: Any) -> None:
    world = World(make)
    ids = [u.id for u in world.receivers]
    for _ in range(ROUNDS):
        case_no, codes = world.case()
        number = world.checked(case_no, codes, moves_with_case=[codes[0]])
        # The two accept differently, so the result shows whose decision stood.
        rejections: list[list[dict[str, str]]] = [[], [{"code": codes[2], "reason": "Not ours"}]]

        def work(i: int, number: str = number, rejections: list[list[dict[str, str]]] = rejections) -> Any:
            return handovers.accept_handover(_user(ids[i]), number, rejections[i]).status

        results = _race(app, work)
        assert sorted(type(r).__name__ for r in results) == ["InvalidState", "str"], results
        winner = next(i for i, r in enumerate(results) if isinstance(r, str))
        assert results[winner] == ("accepted", "partially_accepted")[winner]
        handover = handovers.get_handover(world.receivers[0], number)
        assert handover.status == results[winner] and handover.decided_by_id == ids[winner]
        _assert_moved_once(world, case_no, codes, number, {codes[2]} if winner == 1 else set())
        assert handover.checkout_number is not None
        moving = db.session.scalars(
            select(Checkout).where(Checkout.case_id == handover.case_id, Checkout.purpose == "moves_with_case")
        ).all()
        assert [c.number for c in moving] == [handover.checkout_number]  # one check-out for the moving items
        assert _entries("checkout.requested", handover.checkout_number) == 1
    assert verify_chain(db.session).ok


def test_two_receivers_accepting_at_once_over_http_one_gets_409(app: Flask, make: Any) -> None:
    world = World(make)
    tokens = [issue_token(u)[0] for u in world.receivers]
    for _ in range(ROUNDS):
        case_no, codes = world.case()
        number = world.checked(case_no, codes)

        def work(i: int, number: str = number) -> Any:
            client = app.test_client()
            response = client.post(
                f"/api/v1/handovers/{number}/accept", json={}, headers={"Authorization": f"Bearer {tokens[i]}"}
            )
            return response.status_code, response.get_json()

        results = _race(app, work)
        assert sorted(status for status, _ in results) == [200, 409], results
        (lost,) = [body for status, body in results if status == 409]
        (won,) = [body for status, body in results if status == 200]
        assert lost["code"] == "invalid_state" and won["status"] == "accepted"
        _assert_moved_once(world, case_no, codes, number, set())
    assert verify_chain(db.session).ok


def test_accepting_while_the_sender_cancels_one_wins(app: Flask, make: Any) -> None:
    world = World(make)
    receiver, sender = world.receivers[0].id, world.handlers[1].id
    outcomes = set()
    for _ in range(ROUNDS):
        case_no, codes = world.case()
        number = world.checked(case_no, codes)

        def work(i: int, number: str = number) -> Any:
            if i == 0:
                return handovers.accept_handover(_user(receiver), number).status
            return handovers.cancel_handover(_user(sender), number, "Changed our mind").status

        results = _race(app, work)
        assert sorted(type(r).__name__ for r in results) == ["InvalidState", "str"], results
        (won,) = [r for r in results if isinstance(r, str)]
        outcomes.add(won)
        assert handovers.get_handover(world.keeper, number).status == won
        if won == "accepted":
            _assert_moved_once(world, case_no, codes, number, set())
        else:
            case = db.session.scalars(select(Case).where(Case.case_no == case_no)).one()
            assert case.agency_id == world.police.id and _entries("handover.accepted", number) == 0
            custodians = set(db.session.scalars(select(Item.custodian_id).where(Item.code.in_(codes))))
            assert custodians == {world.police.id} and _entries("handover.cancelled", number) == 1
    assert outcomes <= {"accepted", "cancelled"}
    assert verify_chain(db.session).ok


def test_two_handlers_requesting_handovers_of_the_same_case_at_once_one_wins(app: Flask, make: Any) -> None:
    world = World(make)
    ids = [u.id for u in world.handlers]
    case_no, codes = world.case()
    # Disjoint items, and different receivers: only "one open handover per case" can refuse the second.
    court = make.agency("court")
    wanted = [([codes[0]], world.procuratorate.code), (codes[1:], court.code)]
    for _ in range(ROUNDS):

        def work(i: int) -> Any:
            items, to_agency = wanted[i]
            order = items if i == 0 else items[::-1]
            return handovers.request_handover(_user(ids[i]), case_no, to_agency, order).number

        results = _race(app, work)
        assert sorted(type(r).__name__ for r in results) == ["HandoverOpen", "str"], results
        assert any(isinstance(r, HandoverOpen) for r in results)
        (winner,) = [r for r in results if isinstance(r, str)]
        case_id = db.session.scalar(select(Case.id).where(Case.case_no == case_no))
        open_ones = list(db.session.scalars(select(Handover.number).where(Handover.case_id == case_id, Handover.open)))
        assert open_ones == [winner]
        every = db.session.scalars(select(Handover.number).where(Handover.case_id == case_id).order_by(Handover.id))
        assert _numbers("handover.requested") == list(every)  # one entry each; the loser wrote nothing
        handovers.cancel_handover(world.handlers[0], winner)
    assert verify_chain(db.session).ok


def test_two_handlers_requesting_every_item_at_once_one_wins(app: Flask, make: Any) -> None:
    """The same items too: whichever check refuses the loser, the case's open handover is the reason.

    On PostgreSQL this fails now and then (items_unavailable instead): see the test below.
    """
    world = World(make)
    ids = [u.id for u in world.handlers]
    case_no, _codes = world.case()
    for _ in range(ROUNDS):

        def work(i: int) -> Any:
            return handovers.request_handover(_user(ids[i]), case_no, world.procuratorate.code).number

        results = _race(app, work)
        assert sorted(type(r).__name__ for r in results) == ["HandoverOpen", "str"], results
        (winner,) = [r for r in results if isinstance(r, str)]
        handovers.cancel_handover(world.handlers[0], winner)
    assert verify_chain(db.session).ok


@pytest.mark.postgresql
def test_a_handover_committed_between_the_two_checks_still_answers_handover_open(
    app: Flask, make: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The interleaving the race above meets now and then, made certain.

    Under READ COMMITTED each statement sees what committed before it: B finds no open handover,
    A commits one for every item, then B looks at the items and finds them busy. The case has an
    open handover, so the answer should be handover_open, as it is when B comes a moment later.
    SQLite serialises the two requests, so this interleaving exists only on PostgreSQL.
    """
    world = World(make)
    ids = [u.id for u in world.handlers]
    case_no, _codes = world.case()
    looked, go_on = threading.Event(), threading.Event()
    refuse_open = handover_requests._refuse_open

    def pause_after_looking(case: Case) -> None:
        refuse_open(case)
        if threading.current_thread() is not threading.main_thread():
            looked.set()
            go_on.wait(30)

    monkeypatch.setattr(handover_requests, "_refuse_open", pause_after_looking)
    late: list[Any] = []

    def request_late() -> None:
        with app.app_context():
            try:
                late.append(handovers.request_handover(_user(ids[1]), case_no, world.procuratorate.code))
            except Exception as exc:
                late.append(exc)
            finally:
                db.session.remove()

    db.session.rollback()
    thread = threading.Thread(target=request_late)
    thread.start()
    assert looked.wait(30)
    first = handovers.request_handover(_user(ids[0]), case_no, world.procuratorate.code).number
    go_on.set()
    thread.join(60)
    assert len(late) == 1 and isinstance(late[0], HandoverOpen), late
    assert first in late[0].detail
