"""Races are decided by the database: concurrent appends never fork or leave gaps; duplicates lose cleanly."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from custody.errors import CaseExists
from custody.extensions import db
from custody.ledger import verify_chain
from custody.models import LedgerEntry, LedgerEntryItem, User
from custody.services import cases, items
from tests.factories import Factory

WRITERS = 8


def _run_together(app: Any, work: Callable[[int], Any], n: int) -> list[Any]:
    """Run ``work(i)`` in ``n`` threads, each in its own app context and session, released at once."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def target(i: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                results[i] = work(i)
            except Exception as exc:
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def test_concurrent_writers_give_one_gap_free_fork_free_chain(app, make):
    handlers = [make.user("handler") for _ in range(WRITERS)]
    case_nos = [make.case(h).case_no for h in handlers]
    ids = [h.id for h in handlers]
    before = db.session.scalar(select(LedgerEntry.seq).order_by(LedgerEntry.seq.desc()).limit(1))
    db.session.rollback()

    def work(i: int) -> list[str]:
        user = db.session.get(User, ids[i])
        codes: list[str] = []
        for _ in range(5):
            codes += [
                item.code for item in items.register_items(user, case_nos[i], [Factory().item_row() for _ in range(3)])
            ]
        return codes

    results = _run_together(app, work, WRITERS)
    assert not [r for r in results if isinstance(r, Exception)], results
    entries = list(db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.seq)))
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert len(entries) == before + WRITERS * 5
    assert len({e.prev_hash for e in entries}) == len(entries)  # no two entries share a parent: no fork
    indexed = set(db.session.scalars(select(LedgerEntryItem.item_code)))
    assert {code for codes in results for code in codes} <= indexed
    assert verify_chain(db.session).ok


def test_two_handlers_opening_the_same_case_number_one_wins(app, make):
    agency = make.agency("police")
    ids = [make.user("handler", agency=agency).id for _ in range(2)]
    db.session.rollback()

    def work(i: int) -> Any:
        return cases.open_case(db.session.get(User, ids[i]), "RACE-1", "same").case_no

    results = _run_together(app, work, 2)
    assert sorted(type(r).__name__ for r in results) == ["CaseExists", "str"], results
    assert any(isinstance(r, CaseExists) for r in results)
    assert db.session.scalar(select(LedgerEntry.seq).where(LedgerEntry.case_no == "RACE-1")) is not None
    assert len(list(db.session.scalars(select(LedgerEntry).where(LedgerEntry.case_no == "RACE-1")))) == 1
    assert verify_chain(db.session).ok
