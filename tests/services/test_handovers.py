"""Handovers (design §5.4, rules 6 and 7): request, approve, presence check, accept, reject, cancel."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from custody import clock
from custody.errors import Forbidden, HandoverOpen, InvalidInput, InvalidState, ItemsUnavailable, NotFound, WrongAgency
from custody.extensions import db
from custody.ledger import verify_chain
from custody.models import Handover, Item, LedgerEntry
from custody.services import checkouts, handovers, scanning
from tests.worlds import HandoverWorld as World


@pytest.fixture
def world(make: Any) -> World:
    return World(make)


def test_the_whole_way_moves_custody_and_the_case(world: World) -> None:
    h = handovers.get_handover(world.keeper, world.checked(moves_with_case=[world.codes[0]]))
    assert h.status == "checked"
    done = handovers.accept_handover(world.prosecutor, h.number, [{"code": world.codes[2], "reason": "not evidence"}])
    assert done.status == "partially_accepted"
    assert done.case.agency_id == world.procuratorate.id
    assert done.case.stage == "prosecution_review"
    custodians = dict(db.session.execute(select(Item.code, Item.custodian_id).where(Item.code.in_(world.codes))).all())
    assert custodians == {
        world.codes[0]: world.procuratorate.id,
        world.codes[1]: world.procuratorate.id,
        world.codes[2]: world.police.id,
    }
    assert done.checkout_number
    kinds = list(db.session.scalars(select(LedgerEntry.kind).order_by(LedgerEntry.seq)))[-5:]
    assert kinds == [
        "handover.requested",
        "handover.approved",
        "handover.checked",
        "handover.accepted",
        "checkout.requested",  # approved already: by the handover's approver (no second entry by the acceptor)
    ]
    assert verify_chain(db.session).ok


def _entries_after(seq: int) -> list[LedgerEntry]:
    return list(db.session.scalars(select(LedgerEntry).where(LedgerEntry.seq > seq).order_by(LedgerEntry.seq)))


def _head() -> int:
    return db.session.scalar(select(func.max(LedgerEntry.seq))) or 0


def _custodian(code: str) -> int:
    return db.session.scalar(select(Item.custodian_id).where(Item.code == code))  # type: ignore[return-value]


def test_each_step_is_one_entry_listing_every_item(world: World) -> None:
    before = _head()
    h = handovers.get_handover(world.keeper, world.checked())
    handovers.accept_handover(world.chief, h.number)
    entries = _entries_after(before)
    assert [e.kind for e in entries] == [
        "handover.requested",
        "handover.approved",
        "handover.checked",
        "handover.accepted",
    ]
    for entry in entries:
        body = json.loads(entry.body)
        assert sorted(item["code"] for item in body["items"]) == sorted(world.codes)
        assert body["data"]["number"] == h.number
        assert entry.case_no == world.case.case_no
    assert verify_chain(db.session).ok


def test_the_kind_follows_the_agencies_and_the_stage_the_kind(world: World, make: Any) -> None:
    court = make.agency("court")
    other_court = make.agency("court")
    other_police = make.agency("police")
    police, pro = world.police, world.procuratorate
    expected = {
        (police, pro): ("prosecution_review", "prosecution_review"),
        (pro, police): ("supplementary_investigation", "investigation"),
        (pro, court): ("indictment", "trial"),
        (court, other_court): ("appeal", "trial"),
        (police, other_police): ("transfer", None),
    }
    for (sender, receiver), (kind, _) in expected.items():
        assert handovers.kind_between(sender, receiver) == kind
    for kind, stage in handovers.STAGE_AFTER.items():
        assert stage == dict(expected.values()).get(kind, stage)


def test_a_transfer_keeps_the_stage(world: World, make: Any) -> None:
    other = make.agency("police")
    receiver = make.user("handler", agency=other)
    h = handovers.request_handover(world.handler, world.case.case_no, other.code)
    assert h.kind == "transfer"
    handovers.approve_handover(world.approver, h.number)
    handovers.check_presence(world.keeper, h.number, world.codes)
    done = handovers.accept_handover(receiver, h.number)
    assert done.case.stage == "investigation"
    assert done.case.agency_id == other.id


def test_supplementary_investigation_goes_back_and_the_case_remembers_every_holder(world: World) -> None:
    h = handovers.get_handover(world.keeper, world.checked())
    handovers.accept_handover(world.prosecutor, h.number)
    back = handovers.request_handover(world.prosecutor, world.case.case_no, world.police.code)
    assert back.kind == "supplementary_investigation"
    handovers.approve_handover(world.chief, back.number)
    handovers.check_presence(world.keeper, back.number, world.codes)
    done = handovers.accept_handover(world.handler, back.number)
    assert done.case.stage == "investigation"
    db.session.refresh(done.case)
    assert [h.agency_id for h in done.case.holders] == [world.police.id, world.procuratorate.id, world.police.id]
    assert all(_custodian(code) == world.police.id for code in world.codes)


def test_missing_items_are_refused_on_acceptance_and_stay_with_the_sender(world: World) -> None:
    h = world.request()
    handovers.approve_handover(world.approver, h.number)
    handovers.scan_present(world.keeper, h.number, world.codes[0])
    handovers.scan_present(world.keeper, h.number, world.codes[1])
    checked = handovers.check_presence(world.keeper, h.number, [], missing=[world.codes[2]])
    assert {line.item.code: line.presence for line in checked.lines} == {
        world.codes[0]: "present",
        world.codes[1]: "present",
        world.codes[2]: "missing",
    }
    done = handovers.accept_handover(world.prosecutor, h.number)
    assert done.status == "partially_accepted"
    states = {line.item.code: (line.state, line.reason) for line in done.lines}
    assert states[world.codes[2]] == ("rejected", handovers.MISSING_REASON)
    assert _custodian(world.codes[2]) == world.police.id
    assert _custodian(world.codes[0]) == world.procuratorate.id
    assert {line.location for line in done.lines if line.presence == "present"} == {world.shelf.code}


def test_a_presence_check_must_account_for_every_item(world: World) -> None:
    h = world.request()
    handovers.approve_handover(world.approver, h.number)
    with pytest.raises(InvalidInput) as caught:
        handovers.check_presence(world.keeper, h.number, world.codes[:2])
    assert world.codes[2] in str(caught.value.errors)
    with pytest.raises(InvalidInput):
        handovers.check_presence(world.keeper, h.number, world.codes, missing=[world.codes[0]])
    scan = handovers.scan_present(world.keeper, h.number, f"https://centre.example/s/{world.codes[0]}")
    assert (scan.result, scan.checked, scan.total) == ("present", 1, 3)
    assert handovers.scan_present(world.keeper, h.number, world.codes[0]).result == "duplicate"
    with pytest.raises(InvalidInput):
        handovers.scan_present(world.keeper, h.number, "I-NOT-HERE")


def test_a_rejected_item_stays_with_the_sender_and_out_of_the_next_handover(world: World, make: Any) -> None:
    h = handovers.get_handover(world.keeper, world.checked())
    handovers.accept_handover(world.prosecutor, h.number, [{"code": world.codes[0], "reason": "not needed"}])
    court = make.agency("court")
    onward = handovers.request_handover(world.prosecutor, world.case.case_no, court.code)
    assert sorted(line.item.code for line in onward.lines) == sorted(world.codes[1:])
    handovers.cancel_handover(world.prosecutor, onward.number)
    with pytest.raises(ItemsUnavailable) as caught:
        handovers.request_handover(world.prosecutor, world.case.case_no, court.code, items=world.codes)
    assert world.codes[0] in caught.value.detail
    assert "custody" in caught.value.detail


def test_reject_keeps_case_and_items_and_frees_them(world: World) -> None:
    h = handovers.get_handover(world.keeper, world.checked())
    with pytest.raises(InvalidInput):
        handovers.reject_handover(world.prosecutor, h.number, "  ")
    done = handovers.reject_handover(world.prosecutor, h.number, "Incomplete file")
    assert done.status == "rejected" and done.reason == "Incomplete file"
    assert done.case.agency_id == world.police.id
    assert all(_custodian(code) == world.police.id for code in world.codes)
    assert {line.state for line in done.lines} == {"rejected"}
    assert done.decision_seq == _head()
    again = handovers.request_handover(world.handler, world.case.case_no, world.procuratorate.code)
    assert again.status == "requested"


def test_cancel_frees_the_case_and_items_and_comes_only_from_the_sender(world: World) -> None:
    h = world.request()
    with pytest.raises(WrongAgency):
        handovers.cancel_handover(world.prosecutor, h.number)
    done = handovers.cancel_handover(world.approver, h.number, "Wrong agency chosen")
    assert done.status == "cancelled"
    with pytest.raises(InvalidState):
        handovers.approve_handover(world.approver, h.number)
    assert handovers.request_handover(world.handler, world.case.case_no, world.procuratorate.code).status == "requested"


def test_one_open_handover_per_case(world: World) -> None:
    first = world.request()
    with pytest.raises(HandoverOpen) as caught:
        world.request()
    assert first.number in caught.value.detail


def test_unavailable_items_are_named(world: World, make: Any) -> None:
    checkout = checkouts.request_checkout(
        world.handler, [world.codes[0]], "appraisal", clock.now() + timedelta(days=1), world.handler.username
    )
    with pytest.raises(ItemsUnavailable) as caught:
        world.request()
    assert world.codes[0] in caught.value.detail and checkout.number in caught.value.detail
    h = world.request(items=world.codes[1:])
    assert len(h.lines) == 2
    with pytest.raises(ItemsUnavailable) as busy:
        checkouts.request_checkout(
            world.handler, [world.codes[1]], "appraisal", clock.now() + timedelta(days=1), world.handler.username
        )
    assert h.number in busy.value.detail


def test_request_input_is_checked(world: World, make: Any) -> None:
    other_case = make.case(world.handler)
    stranger = make.items(world.handler, other_case, 1)[0]
    centre = world.keeper.agency
    for to, field in (("NOPE", "to_agency"), (world.police.code, "to_agency"), (centre.code, "to_agency")):
        with pytest.raises(InvalidInput) as caught:
            handovers.request_handover(world.handler, world.case.case_no, to)
        assert field in caught.value.errors
    with pytest.raises(InvalidInput) as caught:
        world.request(items=[stranger.code])
    assert "items" in caught.value.errors
    with pytest.raises(InvalidInput) as caught:
        world.request(items=world.codes[:1], moves_with_case=world.codes[1:2])
    assert "moves_with_case" in caught.value.errors
    assert db.session.scalar(select(func.count(Handover.id))) == 0


def test_each_step_only_by_its_party_and_role(world: World, make: Any) -> None:
    outsider = make.user("handler", agency=make.agency("court"))
    with pytest.raises(Forbidden):
        handovers.request_handover(world.approver, world.case.case_no, world.procuratorate.code)
    with pytest.raises(NotFound):
        handovers.request_handover(outsider, world.case.case_no, world.procuratorate.code)
    h = world.request()
    with pytest.raises(NotFound):
        handovers.get_handover(outsider, h.number)
    with pytest.raises(NotFound):
        handovers.approve_handover(outsider, h.number)
    with pytest.raises(WrongAgency):
        handovers.approve_handover(world.chief, h.number)
    with pytest.raises(Forbidden):
        handovers.approve_handover(world.handler, h.number)
    handovers.approve_handover(world.approver, h.number)
    with pytest.raises(Forbidden):
        handovers.check_presence(world.handler, h.number, world.codes)
    with pytest.raises(InvalidState):
        handovers.accept_handover(world.prosecutor, h.number)
    handovers.check_presence(world.keeper, h.number, world.codes)
    with pytest.raises(WrongAgency):
        handovers.accept_handover(world.handler, h.number)
    assert handovers.get_handover(world.prosecutor, h.number).status == "checked"


def test_items_moving_with_the_case_leave_as_a_checkout_of_the_receiver_and_come_back(world: World) -> None:
    h = handovers.get_handover(world.keeper, world.checked(moves_with_case=world.codes[:2]))
    done = handovers.accept_handover(world.prosecutor, h.number)
    checkout = checkouts.get_checkout(world.prosecutor, done.checkout_number)
    assert (checkout.purpose, checkout.status, checkout.due_at) == ("moves_with_case", "approved", None)
    assert checkout.agency_id == world.procuratorate.id
    assert sorted(line.item.code for line in checkout.lines) == sorted(world.codes[:2])
    checkouts.release_checkout(world.keeper, checkout.number, world.codes[:2])
    assert db.session.scalar(select(Item.status).where(Item.code == world.codes[0])) == "checked_out"
    back = checkouts.return_items(world.keeper, checkout.number, seal_intact=True)
    assert back.status == "returned"
    assert verify_chain(db.session).ok


def test_the_receiver_sees_the_handover_before_it_holds_the_case(world: World) -> None:
    h = world.request()
    assert handovers.get_handover(world.prosecutor, h.number).number == h.number
    counts = handovers.inbox_counts(world.chief)
    assert (counts.incoming, counts.outgoing, counts.to_approve) == (0, 0, 0)
    assert handovers.inbox_counts(world.approver).to_approve == 1
    handovers.approve_handover(world.approver, h.number)
    assert handovers.inbox_counts(world.prosecutor).incoming == 1
    assert handovers.inbox_counts(world.keeper).to_check == 1
    assert [x.number for x in handovers.inbox(world.keeper, "to_check")] == [h.number]
    page = handovers.list_handovers(world.prosecutor, direction="incoming")
    assert [x.number for x in page.items] == [h.number]
    assert handovers.list_handovers(world.prosecutor, direction="outgoing").items == []


def test_a_receipt_needs_a_decision(world: World) -> None:
    h = handovers.get_handover(world.keeper, world.checked())
    with pytest.raises(InvalidState):
        handovers.issue_receipt(world.handler, h.number)


def test_scanning_a_handover_code_lists_the_steps_the_user_may_take_now(world: World) -> None:
    h = world.request()
    assert scanning.resolve(world.keeper, h.number).actions == []
    assert scanning.resolve(world.approver, h.number).actions == ["approve", "cancel"]
    assert scanning.resolve(world.handler, h.number).actions == ["cancel"]
    handovers.approve_handover(world.approver, h.number)
    found = scanning.resolve(world.keeper, f"http://x/s/{h.number}")
    assert (found.kind, found.code, found.actions) == ("handover", h.number, ["presence_check"])
    assert scanning.resolve(world.prosecutor, h.number).actions == ["reject"]  # the check comes before accepting
    handovers.check_presence(world.keeper, h.number, present=[i.code for i in world.items])
    assert scanning.resolve(world.prosecutor, h.number).actions == ["accept", "reject"]
    assert scanning.resolve(world.keeper, h.number).actions == []


def test_a_handler_is_not_offered_a_check_out_of_an_item_in_an_open_handover(world: World) -> None:
    item = world.items[0]
    assert "check_out" in scanning.item_actions(world.handler, item)
    world.request()
    assert "check_out" not in scanning.item_actions(world.handler, item)
