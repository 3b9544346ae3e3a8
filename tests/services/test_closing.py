"""Closing a case (issue 6): by its holder, once; no new items or handovers after; its items await disposition."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from custody.errors import Forbidden, HandoverOpen, InvalidInput, InvalidState, NotFound, WrongAgency
from custody.extensions import db
from custody.ledger import verify_chain
from custody.models import LedgerEntry
from custody.services import closing, handovers, items
from tests.factories import api_item
from tests.worlds import HandoverWorld


@pytest.fixture
def world(make: Any) -> HandoverWorld:
    return HandoverWorld(make)


def test_the_holder_closes_the_case_once_and_the_ledger_says_so(world: HandoverWorld) -> None:
    case = closing.close_case(world.approver, world.case.case_no, "judgment_executed", "  Judgment No. 12 executed ")
    assert case.stage == "closed" and case.closed_reason == "judgment_executed"
    assert case.closed_at is not None and case.closed_note == "Judgment No. 12 executed"
    entry = db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.seq.desc()).limit(1)).one()
    assert (entry.kind, entry.case_no) == ("case.closed", world.case.case_no)
    data = json.loads(entry.body)["data"]
    assert data == {
        "reason": "judgment_executed",
        "note": "Judgment No. 12 executed",
        "was": "investigation",
        "items_not_disposed": 3,
    }
    with pytest.raises(InvalidState):
        closing.close_case(world.handler, world.case.case_no, "withdrawn")
    assert verify_chain(db.session).ok


def test_a_closed_case_takes_no_new_items_and_no_handover(world: HandoverWorld) -> None:
    closing.close_case(world.handler, world.case.case_no, "withdrawn")
    with pytest.raises(InvalidState):
        items.register_items(world.handler, world.case.case_no, [api_item()])
    with pytest.raises(InvalidState):
        world.request()


def test_only_the_holder_with_the_right_role_closes(world: HandoverWorld, make: Any) -> None:
    with pytest.raises(NotFound):
        closing.close_case(world.judge, world.case.case_no, "withdrawn")
    with pytest.raises(Forbidden):
        closing.close_case(world.keeper, world.case.case_no, "withdrawn")
    with pytest.raises(InvalidInput):
        closing.close_case(world.handler, world.case.case_no, "because")
    number = handovers.get_handover(world.keeper, world.checked()).number
    with pytest.raises(HandoverOpen):
        closing.close_case(world.handler, world.case.case_no, "withdrawn")
    handovers.accept_handover(world.prosecutor, number)
    with pytest.raises(WrongAgency):  # the police held it before: it still sees the case, but no longer holds it
        closing.close_case(world.handler, world.case.case_no, "withdrawn")
    assert closing.close_case(world.chief, world.case.case_no, "not_prosecuted").stage == "closed"
