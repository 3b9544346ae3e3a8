"""Dispositions (design §5.6, §4 rule 9): legal basis, approval, the centre keeper's execution; disposed is final."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from custody import clock
from custody.errors import (
    Forbidden,
    InvalidInput,
    InvalidState,
    ItemsUnavailable,
    NotFound,
    WrongAgency,
)
from custody.extensions import db
from custody.ledger import verify_chain
from custody.models import Disposition, DispositionItem, Item, LedgerEntry
from custody.services import checkouts, dispositions, handovers, scanning
from tests.worlds import HandoverWorld

BASIS = "(2026) Jing 0105 Xing Chu 123"


class DispositionWorld(HandoverWorld):
    """HandoverWorld's cast (police handler/approver, procuratorate, court, centre keeper, auditor, a police case
    with 3 items on one shelf), with helpers that take a disposition of its items step by step."""

    def request_disposal(self, kind: str = "destroy", items: list[str] | None = None, **kw: Any) -> Disposition:
        kw.setdefault("basis_doc_no", BASIS)
        if kind in ("return_to_owner", "transfer_out"):
            kw.setdefault("recipient", "Zhang San")
        return dispositions.request_disposition(self.handler, items or self.codes, kind, **kw)

    def requested_disposal(self, **kw: Any) -> str:
        return self.request_disposal(**kw).number

    def approved_disposal(self, **kw: Any) -> str:
        number = self.requested_disposal(**kw)
        dispositions.approve_disposition(self.approver, number)
        return number

    def executed_disposal(self, **kw: Any) -> str:
        """Requested, approved, every item scanned out and executed by the centre's keeper."""
        number = self.approved_disposal(**kw)
        for code in dispositions.line_codes(dispositions.get_disposition(self.keeper, number).id):
            dispositions.scan_out(self.keeper, number, code)
        dispositions.execute_disposition(self.keeper, number)
        return number


@pytest.fixture
def world(make: Any) -> DispositionWorld:
    return DispositionWorld(make)


def _head() -> int:
    return db.session.scalar(select(func.max(LedgerEntry.seq))) or 0


def _entries_after(seq: int) -> list[LedgerEntry]:
    return list(db.session.scalars(select(LedgerEntry).where(LedgerEntry.seq > seq).order_by(LedgerEntry.seq)))


def _items(codes: list[str]) -> dict[str, Item]:
    db.session.expire_all()
    return {i.code: i for i in db.session.scalars(select(Item).where(Item.code.in_(codes)))}


# --- the whole way and the ledger ---------------------------------------------------------------------------------


def test_the_whole_way_disposes_of_the_items_and_they_leave_the_shelf(world: DispositionWorld) -> None:
    requested = world.request_disposal("return_to_owner", recipient="Li Si, the owner")
    assert requested.status == "requested" and requested.number.startswith("D")
    assert requested.agency_id == world.police.id and requested.case_id == world.case.id
    dispositions.approve_disposition(world.approver, requested.number)
    for code in world.codes:
        dispositions.scan_out(world.keeper, requested.number, code)
    done = dispositions.execute_disposition(world.keeper, requested.number)
    assert done.status == "executed" and done.executed_by_id == world.keeper.id
    assert done.approved_by_id == world.approver.id and done.executed_at is not None
    items = _items(world.codes)
    assert {i.status for i in items.values()} == {"disposed"}
    assert {i.location_id for i in items.values()} == {None}  # they left the centre
    assert all(i.disposed_at == done.executed_at for i in items.values())
    lines = db.session.scalars(select(DispositionItem).where(DispositionItem.disposition_id == done.id)).all()
    assert {(line.active, line.location) for line in lines} == {(False, world.shelf.code)}  # the shelf stays on record
    entry = db.session.get(LedgerEntry, done.execution_seq)
    assert entry is not None and entry.kind == "disposition.executed" and entry.hash == done.execution_hash
    assert verify_chain(db.session).ok


def test_each_step_is_one_entry_listing_every_item_with_the_terms(world: DispositionWorld) -> None:
    before = _head()
    number = world.executed_disposal(kind="transfer_out", recipient="Customs, Beijing")
    entries = _entries_after(before)
    assert [e.kind for e in entries] == ["disposition.requested", "disposition.approved", "disposition.executed"]
    for entry in entries:
        body = json.loads(entry.body)
        assert sorted(item["code"] for item in body["items"]) == sorted(world.codes)
        assert entry.case_no == world.case.case_no
        data = body["data"]
        assert data["number"] == number and data["kind"] == "transfer_out"
        assert data["basis_doc_no"] == BASIS and data["recipient"] == "Customs, Beijing"
    executed = json.loads(entries[-1].body)["data"]
    assert executed["from"] == dict.fromkeys(sorted(world.codes), world.shelf.code)
    assert executed["agency"] == world.police.code
    assert verify_chain(db.session).ok


def test_scans_record_progress_and_a_second_scan_is_a_duplicate(world: DispositionWorld) -> None:
    number = world.approved_disposal()
    first = dispositions.scan_out(world.keeper, number, f"http://custody.test/s/{world.codes[0].lower()}")
    assert (first.code, first.result, first.scanned, first.total) == (world.codes[0], "scanned", 1, 3)
    again = dispositions.scan_out(world.keeper, number, world.codes[0])
    assert (again.result, again.scanned) == ("duplicate", 1)
    assert dispositions.progress(dispositions.get_disposition(world.keeper, number)) == (1, 3)
    rows = {r["code"]: r for r in dispositions.line_rows(dispositions.get_disposition(world.keeper, number).id)}
    assert rows[world.codes[0]]["scanned"] and rows[world.codes[0]]["location"] == world.shelf.code
    assert not rows[world.codes[1]]["scanned"]
    with pytest.raises(InvalidInput):
        dispositions.scan_out(world.keeper, number, world.make.items(world.handler, world.case, 1)[0].code)


def test_scans_are_working_notes_not_ledger_entries(world: DispositionWorld) -> None:
    number = world.approved_disposal()
    before = _head()
    dispositions.scan_out(world.keeper, number, world.codes[0])
    assert _head() == before


# --- the request's rules ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "fields", "bad"),
    [
        ("destroy", {"basis_doc_no": "  "}, "basis_doc_no"),
        ("return_to_owner", {"recipient": None}, "recipient"),
        ("transfer_out", {"recipient": " "}, "recipient"),
        ("melt_down", {}, "kind"),
        ("early_sale", {"reason": "Fruit rots"}, "items"),  # not flagged perishable
    ],
)
def test_a_request_needs_its_terms(world: DispositionWorld, kind: str, fields: dict[str, Any], bad: str) -> None:
    before = _head()
    fields.setdefault("basis_doc_no", BASIS)
    with pytest.raises(InvalidInput) as caught:
        dispositions.request_disposition(world.handler, world.codes, kind, **fields)
    assert bad in (caught.value.errors or {})
    assert _head() == before and db.session.scalar(select(func.count(Disposition.id))) == 0


def test_early_sale_needs_perishable_items_and_a_reason(world: DispositionWorld, make: Any) -> None:
    fruit = make.stored_items(world.handler, world.keeper, world.shelf, 2, case=world.case, flags=["perishable"])
    fruit_codes = [i.code for i in fruit]
    with pytest.raises(InvalidInput) as caught:
        dispositions.request_disposition(world.handler, [*fruit_codes, world.codes[0]], "early_sale", BASIS, None, "x")
    assert caught.value.errors == {
        "items": [f"{world.codes[0]} is not flagged perishable or depreciating: no early sale"]
    }
    with pytest.raises(InvalidInput) as caught:
        dispositions.request_disposition(world.handler, fruit_codes, "early_sale", BASIS)
    assert set(caught.value.errors or {}) == {"reason"}
    sale = dispositions.request_disposition(world.handler, fruit_codes, "early_sale", BASIS, None, " Rotting ")
    assert sale.kind == "early_sale" and sale.reason == "Rotting"


def test_a_closed_case_still_lets_its_items_go(world: DispositionWorld) -> None:
    """Closing a case is what usually calls for the disposition of what it still holds."""
    from custody.services import closing

    closing.close_case(world.handler, world.case.case_no, "judgment_executed")
    number = world.executed_disposal(kind="confiscate")
    assert dispositions.get_disposition(world.auditor, number).status == "executed"


def test_items_of_one_case_that_exist(world: DispositionWorld, make: Any) -> None:
    other_case = make.case(world.handler)
    stranger = make.stored_items(world.handler, world.keeper, world.shelf, 1, case=other_case)[0]
    with pytest.raises(InvalidInput, match="several cases"):
        world.request_disposal(items=[world.codes[0], stranger.code])
    with pytest.raises(InvalidInput):
        dispositions.request_disposition(world.handler, [], "destroy", BASIS)
    with pytest.raises(NotFound):
        world.request_disposal(items=["I0000000000"])


@pytest.mark.parametrize("role", ["approver", "keeper", "auditor"])
def test_only_handlers_request(world: DispositionWorld, make: Any, role: str) -> None:
    user = make.user(role, agency=world.police)
    with pytest.raises(Forbidden):
        dispositions.request_disposition(user, world.codes, "destroy", BASIS)


def test_another_agency_cannot_see_the_items(world: DispositionWorld, make: Any) -> None:
    other = make.user("handler", agency=make.agency("police"))
    with pytest.raises(NotFound):
        dispositions.request_disposition(other, world.codes, "destroy", BASIS)


def test_the_custodian_requests_even_when_the_case_has_moved_on(world: DispositionWorld) -> None:
    """A rejected handover item stays with the sender, which answers for it while the case is elsewhere."""
    world.decided(reject=world.codes[2])  # the procuratorate holds the case; item 2 stays with the police
    with pytest.raises(WrongAgency, match=world.codes[0]):
        dispositions.request_disposition(world.handler, [world.codes[0]], "destroy", BASIS)
    with pytest.raises(WrongAgency, match=world.codes[2]):
        dispositions.request_disposition(world.prosecutor, [world.codes[2]], "destroy", BASIS)
    mine = dispositions.request_disposition(world.handler, [world.codes[2]], "return_to_owner", BASIS, "Owner")
    assert mine.agency_id == world.police.id
    theirs = dispositions.request_disposition(world.prosecutor, world.codes[:2], "confiscate", BASIS)
    assert theirs.agency_id == world.procuratorate.id
    dispositions.approve_disposition(world.approver, mine.number)
    with pytest.raises(WrongAgency):
        dispositions.approve_disposition(world.approver, theirs.number)
    dispositions.approve_disposition(world.chief, theirs.number)


def test_items_not_on_the_shelf_or_busy_are_refused_each_named(world: DispositionWorld, make: Any) -> None:
    registered = make.items(world.handler, world.case, 1)[0].code
    out = checkouts.request_checkout(
        world.handler, [world.codes[0]], "appraisal", clock.now() + timedelta(days=1), world.handler.username
    )
    checkouts.approve_checkout(world.approver, out.number)
    checkouts.release_checkout(world.keeper, out.number)  # codes[0] is checked out
    promised = checkouts.request_checkout(
        world.handler, [world.codes[1]], "appraisal", clock.now() + timedelta(days=1), world.handler.username
    )
    taken = world.request_disposal(items=[world.codes[2]])
    before = _head()
    with pytest.raises(ItemsUnavailable) as caught:
        world.request_disposal(items=[registered, *world.codes])
    detail = caught.value.detail
    assert f"{registered} is registered, not in storage" in detail
    assert f"{world.codes[0]} is checked_out, not in storage" in detail
    assert f"{world.codes[1]} is in open check-out {promised.number}" in detail
    assert f"{world.codes[2]} is in open disposition {taken.number}" in detail
    assert len(caught.value.errors["items"]) == 4  # type: ignore[index]
    assert _head() == before


def test_an_item_in_an_open_handover_is_refused(world: DispositionWorld) -> None:
    handover = world.request()
    with pytest.raises(ItemsUnavailable, match=f"open handover {handover.number}"):
        world.request_disposal(items=[world.codes[0]])


def test_the_partial_unique_index_decides_when_both_checks_pass(
    world: DispositionWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two requests that both found the item free (as at the same moment): the index refuses the second."""
    from custody.services.dispositions import acts

    first = world.request_disposal(items=[world.codes[0]])
    monkeypatch.setattr(acts, "_unavailable", lambda items: {})
    before = _head()
    with pytest.raises(ItemsUnavailable):
        world.request_disposal(items=[world.codes[0], world.codes[1]])
    assert _head() == before
    numbers = list(db.session.scalars(select(Disposition.number)))
    assert numbers == [first.number]  # the second stored nothing


# --- approval, execution, cancelling ------------------------------------------------------------------------------


def test_approval_is_for_an_approver_of_the_requesting_agency(world: DispositionWorld, make: Any) -> None:
    number = world.requested_disposal()
    with pytest.raises(Forbidden):
        dispositions.approve_disposition(world.handler, number)
    with pytest.raises(NotFound):  # the procuratorate cannot see the police case yet
        dispositions.approve_disposition(world.chief, number)
    with pytest.raises(Forbidden):
        dispositions.approve_disposition(world.keeper, number)
    approved = dispositions.approve_disposition(world.approver, number)
    assert approved.status == "approved"
    with pytest.raises(InvalidState):
        dispositions.approve_disposition(world.approver, number)


def test_execution_is_for_a_keeper_of_the_centre_once_approved(world: DispositionWorld, make: Any) -> None:
    number = world.requested_disposal()
    with pytest.raises(InvalidState):
        dispositions.execute_disposition(world.keeper, number, world.codes)
    with pytest.raises(InvalidState):
        dispositions.scan_out(world.keeper, number, world.codes[0])
    dispositions.approve_disposition(world.approver, number)
    police_keeper = make.user("keeper", agency=world.police)  # sees it (its agency asked), is not the centre
    for someone in (world.handler, world.approver, police_keeper):
        with pytest.raises(Forbidden):
            dispositions.execute_disposition(someone, number, world.codes)
        with pytest.raises(Forbidden):
            dispositions.scan_out(someone, number, world.codes[0])
    assert dispositions.execute_disposition(world.keeper, number, world.codes).status == "executed"
    with pytest.raises(InvalidState):
        dispositions.execute_disposition(world.keeper, number, world.codes)
    with pytest.raises(InvalidState):
        dispositions.scan_out(world.keeper, number, world.codes[0])


def test_every_item_must_be_scanned_and_nothing_else(world: DispositionWorld, make: Any) -> None:
    number = world.approved_disposal()
    dispositions.scan_out(world.keeper, number, world.codes[0])
    with pytest.raises(InvalidInput) as caught:
        dispositions.execute_disposition(world.keeper, number)
    assert caught.value.errors == {"items": [f"Not scanned: {', '.join(sorted(world.codes[1:]))}"]}
    stranger = make.items(world.handler, world.case, 1)[0].code
    with pytest.raises(InvalidInput) as caught:
        dispositions.execute_disposition(world.keeper, number, [*world.codes, stranger])
    assert caught.value.errors == {"items": [f"Not in this disposition: {stranger}"]}
    assert dispositions.get_disposition(world.keeper, number).status == "approved"
    # The earlier scan and the codes given now cover every item.
    done = dispositions.execute_disposition(world.keeper, number, world.codes[1:])
    assert done.status == "executed"


def test_an_item_changed_behind_the_executions_back_stops_it(world: DispositionWorld) -> None:
    number = world.approved_disposal()
    db.session.execute(update(Item).where(Item.code == world.codes[1]).values(status="checked_out"))
    db.session.commit()
    before = _head()
    with pytest.raises(InvalidState, match="no longer in storage"):
        dispositions.execute_disposition(world.keeper, number, world.codes)
    assert dispositions.get_disposition(world.keeper, number).status == "approved"
    assert {i.status for c, i in _items(world.codes).items() if c != world.codes[1]} == {"in_storage"}
    assert _head() == before


def test_cancelling_frees_the_items(world: DispositionWorld, make: Any) -> None:
    number = world.approved_disposal()
    with pytest.raises(Forbidden):
        dispositions.cancel_disposition(world.keeper, number)
    with pytest.raises(Forbidden):
        dispositions.cancel_disposition(make.user("keeper", agency=world.police), number)
    before = _head()
    done = dispositions.cancel_disposition(world.handler, number, "Appeal lodged")
    assert done.status == "cancelled" and done.cancelled_by_id == world.handler.id
    (entry,) = _entries_after(before)
    body = json.loads(entry.body)
    assert entry.kind == "disposition.cancelled" and body["data"]["was"] == "approved"
    assert body["data"]["reason"] == "Appeal lodged" and len(body["items"]) == 3
    with pytest.raises(InvalidState):
        dispositions.cancel_disposition(world.approver, number)
    with pytest.raises(InvalidState):
        dispositions.execute_disposition(world.keeper, number, world.codes)
    again = world.request_disposal()  # the items are free for the next one
    assert again.status == "requested"


def test_another_agency_that_sees_the_case_cannot_cancel(world: DispositionWorld) -> None:
    world.decided(reject=world.codes[2])
    number = dispositions.request_disposition(world.handler, [world.codes[2]], "destroy", BASIS).number
    assert dispositions.get_disposition(world.prosecutor, number)  # the holder of the case sees it
    with pytest.raises(WrongAgency):
        dispositions.cancel_disposition(world.prosecutor, number)


def test_an_executed_disposition_cannot_be_cancelled(world: DispositionWorld) -> None:
    number = world.executed_disposal()
    with pytest.raises(InvalidState):
        dispositions.cancel_disposition(world.handler, number)


# --- who sees what ------------------------------------------------------------------------------------------------


def test_visibility(world: DispositionWorld, make: Any) -> None:
    number = world.requested_disposal()
    stranger = make.user("handler", agency=make.agency("police"))
    other_keeper = make.user("keeper", agency=make.agency("police"))
    for user in (world.handler, world.approver, world.keeper, world.auditor):
        assert dispositions.get_disposition(user, number).number == number
        assert [d.number for d in dispositions.list_dispositions(user).items] == [number]
    for user in (stranger, other_keeper, world.prosecutor):
        with pytest.raises(NotFound):
            dispositions.get_disposition(user, number)
        assert list(dispositions.list_dispositions(user).items) == []
    with pytest.raises(NotFound):
        dispositions.get_disposition(world.handler, "D\x00")
    d = dispositions.get_disposition(world.handler, number)
    assert dispositions.may_see(world.auditor, d) and not dispositions.may_see(stranger, d)
    assert not dispositions.may_see(None, d)


def test_lists_filter_by_status_and_case_and_page(world: DispositionWorld, make: Any) -> None:
    first = world.approved_disposal(items=[world.codes[0]])
    second = world.requested_disposal(items=[world.codes[1]])
    other_case = make.case(world.handler)
    third = world.requested_disposal(
        items=[make.stored_items(world.handler, world.keeper, world.shelf, 1, case=other_case)[0].code]
    )
    assert [d.number for d in dispositions.list_dispositions(world.auditor, status="requested").items] == [
        second,
        third,
    ]
    assert [d.number for d in dispositions.list_dispositions(world.auditor, case_no=world.case.case_no).items] == [
        first,
        second,
    ]
    page = dispositions.list_dispositions(world.auditor, limit=2)
    assert [d.number for d in page.items] == [first, second] and page.next
    rest = dispositions.list_dispositions(world.auditor, limit=2, cursor=page.next)
    assert [d.number for d in rest.items] == [third] and rest.next is None
    assert [d.number for d in dispositions.case_dispositions(world.case)] == [second, first]


def test_what_waits_for_whom(world: DispositionWorld, make: Any) -> None:
    asked = world.requested_disposal(items=[world.codes[0]])
    agreed = world.approved_disposal(items=[world.codes[1]])
    approver = dispositions.pending_for(world.approver)
    assert [d.number for d in approver.to_approve] == [asked] and approver.to_execute == []
    keeper = dispositions.pending_for(world.keeper)
    assert [d.number for d in keeper.to_execute] == [agreed] and keeper.to_approve == [] and keeper.total == 1
    assert dispositions.pending_for(world.handler).total == 0
    assert dispositions.pending_for(world.chief).total == 0  # another agency's approver
    assert dispositions.pending_counts(world.approver) == (1, 0)
    assert dispositions.pending_counts(world.keeper) == (0, 1)
    assert dispositions.pending_counts(world.handler) == (0, 0)


def test_the_steps_a_page_may_offer(world: DispositionWorld) -> None:
    number = world.requested_disposal()
    d = dispositions.get_disposition(world.keeper, number)
    assert dispositions.steps_for(world.approver, d) == {"approve", "cancel"}
    assert dispositions.steps_for(world.handler, d) == {"cancel"}
    assert dispositions.steps_for(world.keeper, d) == set()
    dispositions.approve_disposition(world.approver, number)
    d = dispositions.get_disposition(world.keeper, number)
    assert dispositions.steps_for(world.keeper, d) == {"execute"}
    assert dispositions.steps_for(world.auditor, d) == set()
    dispositions.execute_disposition(world.keeper, number, world.codes)
    d = dispositions.get_disposition(world.keeper, number)
    assert dispositions.steps_for(world.handler, d) == {"record"}


def test_candidates_are_the_free_items_the_agency_answers_for(world: DispositionWorld, make: Any) -> None:
    assert [i.code for i in dispositions.candidates(world.handler, world.case)] == world.codes
    world.requested_disposal(items=[world.codes[0]])
    make.items(world.handler, world.case, 1)  # registered, not on a shelf
    assert [i.code for i in dispositions.candidates(world.handler, world.case)] == world.codes[1:]
    assert dispositions.candidates(world.approver, world.case) == []
    assert dispositions.may_request(world.handler, world.case)
    assert not dispositions.may_request(world.keeper, world.case)
    item = db.session.scalars(select(Item).where(Item.code == world.codes[0])).one()
    open_one = dispositions.open_disposition_of(item)
    assert open_one is not None and open_one.status == "requested"


# --- a disposed item is read-only forever (rule 9) ----------------------------------------------------------------


def test_every_later_act_on_a_disposed_item_is_refused(world: DispositionWorld, make: Any) -> None:
    from custody.services import labels, photos, scanning, warehouse
    from tests.factories import image_bytes

    world.executed_disposal(items=[world.codes[0]])
    gone = world.codes[0]
    other_shelf = make.location(world.keeper, name="Shelf B")
    before = _head()
    with pytest.raises(InvalidState):
        warehouse.intake(world.keeper, gone, location=world.shelf.code, seal_intact=True)
    with pytest.raises(InvalidState):
        warehouse.move(world.keeper, gone, location=other_shelf.code)
    with pytest.raises(ItemsUnavailable, match=gone):
        checkouts.request_checkout(
            world.handler, [gone], "appraisal", clock.now() + timedelta(days=1), world.handler.username
        )
    with pytest.raises(ItemsUnavailable, match=f"{gone} is disposed"):
        handovers.request_handover(world.handler, world.case.case_no, world.procuratorate.code, [gone])
    with pytest.raises(ItemsUnavailable, match=f"{gone} is already disposed"):
        world.request_disposal(items=[gone])
    with pytest.raises(InvalidState):
        photos.add_photo(world.handler, gone, image_bytes("JPEG"))
    item = db.session.scalars(select(Item).where(Item.code == gone)).one()
    assert scanning.item_actions(world.keeper, item) == [] and scanning.item_actions(world.handler, item) == []
    assert not photos.may_add(world.handler, item)
    assert _head() == before
    with pytest.raises(InvalidState):  # a fresh label for an item that left the centre could go on something else
        labels.item_labels(world.handler, [gone])
    # A handover by default takes the case's items that are not disposed.
    handover = handovers.request_handover(world.handler, world.case.case_no, world.procuratorate.code)
    assert sorted(line.item.code for line in handovers.get_handover(world.handler, handover.number).lines) == sorted(
        world.codes[1:]
    )


def test_a_disposed_item_found_in_a_stocktake_is_unexpected_not_an_error(world: DispositionWorld) -> None:
    """It left the centre: the count does not expect it, and finding it is news, not a refusal."""
    from custody.services import stocktakes

    world.executed_disposal(items=[world.codes[0]])
    counting = stocktakes.open_stocktake(world.keeper, world.shelf.code)
    assert counting.expected == 2
    assert stocktakes.record_scan(world.keeper, counting.number, world.codes[0]).result == "unexpected"


def test_items_in_an_open_disposition_are_not_checked_out_or_handed_over(world: DispositionWorld) -> None:
    number = world.requested_disposal(items=[world.codes[0]])
    with pytest.raises(ItemsUnavailable, match=f"open disposition {number}"):
        checkouts.request_checkout(
            world.handler, [world.codes[0]], "appraisal", clock.now() + timedelta(days=1), world.handler.username
        )
    with pytest.raises(ItemsUnavailable, match=f"open disposition {number}"):
        world.request()


# --- the record (处置清单) ----------------------------------------------------------------------------------------


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The record's drawing replaced by a stand-in that prints its data: the service's part is what is tested here
    (tests/documents/test_disposition_record.py tests the drawing)."""
    from custody.documents import disposition_record

    seen: list[Any] = []

    def render(record: Any) -> bytes:
        seen.append(record)
        return f"%PDF-1.4 {record.number} {record.execution_seq} {len(record.lines)}".encode()

    monkeypatch.setattr(disposition_record, "render", render)
    return seen


def test_the_record_is_issued_once_executed_and_ledgered_once(world: DispositionWorld, drawn: list[Any]) -> None:
    number = world.approved_disposal(kind="return_to_owner", recipient="Li Si")
    with pytest.raises(InvalidState):
        dispositions.issue_record(world.handler, number)
    dispositions.scan_out(world.keeper, number, world.codes[0])
    dispositions.execute_disposition(world.keeper, number, world.codes[1:])
    before = _head()
    pdf = dispositions.issue_record(world.handler, number)
    (entry,) = _entries_after(before)
    d = dispositions.get_disposition(world.auditor, number)
    assert entry.kind == "disposition.record_issued" and d.record_seq == entry.seq
    data = json.loads(entry.body)["data"]
    assert data["sha256"] == d.record_sha256 and data["number"] == number and data["bytes"] == len(pdf)
    assert dispositions.issue_record(world.auditor, number) == pdf  # served from the store
    assert _head() == entry.seq and len(drawn) == 1
    record = drawn[0]
    assert record.kind == "return_to_owner" and record.recipient == "Li Si" and record.basis_doc_no == BASIS
    assert record.execution_seq == d.execution_seq and record.execution_hash == d.execution_hash
    assert [line.location for line in record.lines] == [world.shelf.code] * 3
    assert record.verify_url == f"http://custody.test/verify/{number}"
    assert record.executed.username == world.keeper.username and record.approved.username == world.approver.username
    assert verify_chain(db.session).ok


def test_the_record_is_checked_by_its_hash(world: DispositionWorld, drawn: list[Any]) -> None:
    number = world.executed_disposal()
    found = dispositions.find_executed(number.lower())
    assert found is not None
    assert not dispositions.check_upload(found, b"anything").issued
    pdf = dispositions.issue_record(world.handler, number)
    found = dispositions.find_executed(number)
    assert found is not None
    verdict = dispositions.check_upload(found, pdf)
    assert verdict.issued and verdict.genuine
    assert not dispositions.check_upload(found, pdf + b" ").genuine
    disposition, verdict2 = dispositions.verify_upload(number, pdf)
    assert disposition is not None and verdict2 is not None and verdict2.genuine
    assert dispositions.verify_upload("DNOPE", pdf) == (None, None)
    assert dispositions.find_executed("D\x00") is None


def test_an_open_disposition_has_no_public_record(world: DispositionWorld) -> None:
    number = world.approved_disposal()
    assert dispositions.find_executed(number) is None


# --- races, with real threads: the database decides -----------------------------------------------------------------

ROUNDS = 3


def _race(app: Any, work: Any) -> list[Any]:
    from tests.services.test_concurrency import _run_together

    db.session.rollback()  # the threads must see what the test committed, and the test what they did
    results = _run_together(app, work, 2)
    db.session.rollback()
    return results


def _user(user_id: int) -> Any:
    from custody.models import User

    return db.session.get(User, user_id)


def _count(kind: str, number: str) -> int:
    bodies = db.session.scalars(select(LedgerEntry.body).where(LedgerEntry.kind == kind))
    return sum(json.loads(body)["data"]["number"] == number for body in bodies)


def test_two_keepers_executing_at_once_one_wins(app: Any, world: DispositionWorld, make: Any) -> None:
    keepers = [world.keeper.id, make.user("keeper", agency=world.centre).id]
    for _ in range(ROUNDS):
        codes = [i.code for i in make.stored_items(world.handler, world.keeper, world.shelf, 2, case=world.case)]
        number = world.approved_disposal(items=codes)

        def work(i: int, number: str = number, codes: list[str] = codes) -> Any:
            return dispositions.execute_disposition(_user(keepers[i]), number, codes).executed_by_id

        results = _race(app, work)
        assert sorted(type(r).__name__ for r in results) == ["InvalidState", "int"], results
        (winner,) = [r for r in results if isinstance(r, int)]
        done = dispositions.get_disposition(world.auditor, number)
        assert done.status == "executed" and done.executed_by_id == winner
        assert _count("disposition.executed", number) == 1
        assert {i.status for i in _items(codes).values()} == {"disposed"}
    assert verify_chain(db.session).ok


def test_executing_while_the_requester_cancels_one_wins(app: Any, world: DispositionWorld, make: Any) -> None:
    ids = [world.keeper.id, world.handler.id]
    outcomes = set()
    for _ in range(ROUNDS):
        codes = [i.code for i in make.stored_items(world.handler, world.keeper, world.shelf, 2, case=world.case)]
        number = world.approved_disposal(items=codes)

        def work(i: int, number: str = number, codes: list[str] = codes) -> Any:
            if i == 0:
                return dispositions.execute_disposition(_user(ids[0]), number, codes).status
            return dispositions.cancel_disposition(_user(ids[1]), number).status

        results = _race(app, work)
        assert sorted(type(r).__name__ for r in results) == ["InvalidState", "str"], results
        (won,) = [r for r in results if isinstance(r, str)]
        outcomes.add(won)
        assert dispositions.get_disposition(world.auditor, number).status == won
        statuses = {i.status for i in _items(codes).values()}
        assert statuses == ({"disposed"} if won == "executed" else {"in_storage"})
        assert _count("disposition.executed", number) + _count("disposition.cancelled", number) == 1
    assert outcomes <= {"executed", "cancelled"}
    assert verify_chain(db.session).ok


def test_two_handlers_asking_for_the_same_items_at_once_one_wins(app: Any, world: DispositionWorld, make: Any) -> None:
    ids = [world.handler.id, make.user("handler", agency=world.police).id]
    for _ in range(ROUNDS):
        codes = [i.code for i in make.stored_items(world.handler, world.keeper, world.shelf, 3, case=world.case)]

        def work(i: int, codes: list[str] = codes) -> Any:
            order = codes if i == 0 else codes[::-1]
            kind = ("destroy", "confiscate")[i]
            return dispositions.request_disposition(_user(ids[i]), order, kind, BASIS).number

        results = _race(app, work)
        assert sorted(type(r).__name__ for r in results) == ["ItemsUnavailable", "str"], results
        (winner,) = [r for r in results if isinstance(r, str)]
        active = db.session.scalars(
            select(Disposition.number)
            .join(DispositionItem, DispositionItem.disposition_id == Disposition.id)
            .join(Item, Item.id == DispositionItem.item_id)
            .where(Item.code.in_(codes), DispositionItem.active)
        ).all()
        assert set(active) == {winner} and len(active) == len(codes)
        assert _count("disposition.requested", winner) == 1
    requested = db.session.scalar(select(func.count()).where(LedgerEntry.kind == "disposition.requested"))
    assert requested == db.session.scalar(select(func.count(Disposition.id)))  # the losers wrote nothing
    assert verify_chain(db.session).ok


def test_the_real_record_is_a_pdf_made_again_byte_for_byte(world: DispositionWorld) -> None:
    """With the real drawing: the stored file lost, the record is drawn again to the same bytes and hash."""
    import hashlib
    import os

    from custody import files

    number = world.executed_disposal(kind="confiscate")
    pdf = dispositions.issue_record(world.handler, number)
    assert pdf.startswith(b"%PDF")
    found = dispositions.find_executed(number)
    assert found is not None and found.record_sha256 == hashlib.sha256(pdf).hexdigest()
    os.remove(files.path(found.record_sha256))
    before = _head()
    assert dispositions.issue_record(world.auditor, number) == pdf
    assert _head() == before  # issued once, ledgered once
    assert dispositions.check_upload(found, pdf).genuine


def test_a_handler_is_not_offered_a_check_out_of_an_item_being_disposed_of(world: DispositionWorld) -> None:
    item = world.items[0]
    assert "check_out" in scanning.item_actions(world.handler, item)
    world.request_disposal(items=[item.code])
    assert "check_out" not in scanning.item_actions(world.handler, item)
    assert "check_out" in scanning.item_actions(world.handler, world.items[1])
