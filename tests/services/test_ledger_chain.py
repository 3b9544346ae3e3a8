"""Design §4 rules 1-2 and §7: every act has its entry; the chain verifies; tampering is named."""

import hashlib
import json

import pytest
from sqlalchemy import func, select, text

from custody.extensions import db
from custody.ledger import verify_chain
from custody.models import LedgerEntry, LedgerEntryItem, LedgerHead


def _entries():
    return list(db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.seq)))


def test_acts_append_entries_linked_by_sha256(make):
    handler = make.user("handler")
    case = make.case(handler)
    make.items(handler, case, 3)
    entries = _entries()
    assert [e.kind for e in entries][-2:] == ["case.opened", "item.registered"]
    prev = "0" * 64
    for seq, entry in enumerate(entries, start=1):
        assert entry.seq == seq
        assert entry.prev_hash == prev
        assert entry.hash == hashlib.sha256(bytes.fromhex(prev) + entry.body.encode()).hexdigest()
        prev = entry.hash
    head = db.session.get(LedgerHead, 1)
    assert (head.seq, head.hash) == (entries[-1].seq, entries[-1].hash)


def test_one_entry_covers_every_item_of_an_act_and_the_index_names_them(make):
    handler = make.user("handler")
    case = make.case(handler)
    items = make.items(handler, case, 5)
    entry = _entries()[-1]
    body = json.loads(entry.body)
    assert [i["code"] for i in body["items"]] == sorted(i.code for i in items)
    assert all(i["prev"] is None for i in body["items"])
    indexed = db.session.scalars(select(LedgerEntryItem.item_code).where(LedgerEntryItem.seq == entry.seq))
    assert sorted(indexed) == sorted(i.code for i in items)


def test_body_is_canonical_text(make):
    handler = make.user("handler")
    make.case(handler, case_no="示范〔2026〕1号", title="标题 title")
    entry = _entries()[-1]
    parsed = json.loads(entry.body)
    assert entry.body == json.dumps(parsed, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert parsed["case_no"] == "示范〔2026〕1号" and parsed["at"].endswith("Z")


def test_verify_passes_on_an_untouched_ledger(make):
    handler = make.user("handler")
    make.items(handler, make.case(handler), 3)
    result = verify_chain(db.session)
    assert result.ok and result.checked == result.head_seq == len(_entries())


def _tamper(sql, **params):
    db.session.execute(text(sql), params)
    db.session.commit()


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("UPDATE ledger_entries SET body = replace(body, 'Phone', 'Fhone') WHERE seq = :seq", "hash_mismatch"),
        ("UPDATE ledger_entries SET hash = :zero WHERE seq = :seq", "hash_mismatch"),
        ("UPDATE ledger_entries SET prev_hash = :zero WHERE seq = :seq", "link_mismatch"),
        ("UPDATE ledger_entries SET actor = 'someone' WHERE seq = :seq", "index_mismatch"),
        ("UPDATE ledger_entries SET kind = 'case.opened' WHERE seq = :seq", "index_mismatch"),
        ("UPDATE ledger_entries SET case_no = 'OTHER' WHERE seq = :seq", "index_mismatch"),
        (
            "DELETE FROM ledger_entry_items WHERE seq = :seq AND item_code = "
            "(SELECT min(item_code) FROM ledger_entry_items WHERE seq = :seq)",
            "index_mismatch",
        ),
        ("UPDATE ledger_entry_items SET prev_seq = 1 WHERE seq = :seq", "index_mismatch"),
    ],
)
def test_tampering_with_a_row_names_that_row(make, sql, reason):
    handler = make.user("handler")
    case = make.case(handler)
    make.items(handler, case, 2)
    target = _entries()[-1].seq
    make.items(handler, case, 2)  # entries after the tampered one
    _tamper(sql, seq=target, zero="0" * 64)
    result = verify_chain(db.session)
    assert not result.ok
    assert (result.first_bad_seq, result.reason) == (target, reason)


def test_tampering_with_the_time_column_is_detected(make):
    handler = make.user("handler")
    make.items(handler, make.case(handler), 1)
    target = _entries()[-1].seq
    entry = db.session.get(LedgerEntry, target)
    db.session.expire_all()
    _tamper(
        "UPDATE ledger_entries SET at = :at WHERE seq = :seq",
        seq=target,
        at=entry.at.replace(year=2020).replace(tzinfo=None),
    )
    result = verify_chain(db.session)
    assert (result.ok, result.first_bad_seq, result.reason) == (False, target, "index_mismatch")


def test_a_deleted_entry_is_reported_missing(make):
    handler = make.user("handler")
    case = make.case(handler)
    make.items(handler, case, 1)
    make.items(handler, case, 1)
    target = _entries()[-2].seq
    _tamper("DELETE FROM ledger_entry_items WHERE seq = :seq", seq=target)
    _tamper("DELETE FROM ledger_entries WHERE seq = :seq", seq=target)
    result = verify_chain(db.session)
    assert (result.first_bad_seq, result.reason) == (target, "missing_entry")


def test_a_deleted_tail_is_reported_missing(make):
    handler = make.user("handler")
    make.items(handler, make.case(handler), 1)
    last = _entries()[-1].seq
    _tamper("DELETE FROM ledger_entry_items WHERE seq = :seq", seq=last)
    _tamper("DELETE FROM ledger_entries WHERE seq = :seq", seq=last)
    result = verify_chain(db.session)
    assert (result.first_bad_seq, result.reason) == (last, "missing_entry")


def test_an_index_row_for_a_foreign_entry_is_detected(make):
    handler = make.user("handler")
    items = make.items(handler, make.case(handler), 1)
    first = _entries()[0].seq
    _tamper(
        "INSERT INTO ledger_entry_items (seq, item_code, prev_seq) VALUES (:seq, :code, NULL)",
        seq=first,
        code=items[0].code,
    )
    result = verify_chain(db.session)
    assert (result.first_bad_seq, result.reason) == (first, "index_mismatch")


def test_a_failed_act_leaves_no_entry(make):
    from custody.errors import InvalidInput
    from custody.services import items as item_service

    handler = make.user("handler")
    case = make.case(handler)
    before = db.session.scalar(select(func.count()).select_from(LedgerEntry))
    with pytest.raises(InvalidInput):
        item_service.register_items(
            handler,
            case.case_no,
            [make.item_row(), make.item_row(seized_at=make.item_row()["seized_at"].replace(year=2999))],
        )
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == before
    assert verify_chain(db.session).ok


def test_case_entries_are_the_cases_own_acts_and_scoped(make):
    from custody.errors import NotFound
    from custody.services import ledger_view

    handler = make.user("handler")
    case = make.case(handler)
    make.items(handler, case, 2)
    make.items(handler, make.case(handler), 1)  # another case's act
    page = ledger_view.case_entries(handler, case.case_no)
    assert [e.kind for e in page.items] == ["case.opened", "item.registered"] and page.next is None
    with pytest.raises(NotFound):
        ledger_view.case_entries(make.user("handler", kind="court"), case.case_no)


def test_every_reason_verify_gives_is_one_the_contract_names() -> None:
    """API.md: ``reason`` ∈ hash_mismatch, link_mismatch, index_mismatch, checkpoint_mismatch, missing_entry."""
    from custody.ledger import verify

    contract = {"hash_mismatch", "link_mismatch", "index_mismatch", "checkpoint_mismatch", "missing_entry"}
    given = {verify.MISSING, verify.LINK, verify.HASH, verify.COLUMN, verify.INDEX, verify.CHECKPOINT}
    assert given <= contract
