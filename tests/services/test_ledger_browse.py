"""The ledger browser's pages (services.ledger_view.browse): newest first, older and newer both ways."""

from __future__ import annotations

from typing import Any

import pytest

from custody.errors import InvalidInput, NotFound
from custody.services import ledger_view
from custody.services.ledger_view import EntryFilter
from tests.audit_world import AuditWorld


@pytest.fixture
def world(make: Any) -> AuditWorld:
    return AuditWorld(make)


def _walk_older(user: Any, where: EntryFilter, limit: int) -> list[list[int]]:
    pages, before = [], None
    while True:
        window = ledger_view.browse(user, where, before=before, limit=limit)
        pages.append([e.seq for e in window.entries])
        if window.older is None:
            return pages
        before = window.older


def test_pages_go_back_to_the_first_entry_and_forward_again(world: AuditWorld) -> None:
    everything = [e.seq for e in world.all_entries()][::-1]
    pages = _walk_older(world.auditor, ledger_view.ANY, 4)
    assert [s for page in pages for s in page] == everything
    assert all(len(p) == 4 for p in pages[:-1]) and 1 <= len(pages[-1]) <= 4
    first = ledger_view.browse(world.auditor, limit=4)
    assert first.newer is None and first.older == pages[0][-1]
    # From the oldest page, "newer" walks back up to the newest, the same pages seen from the other side.
    window = ledger_view.browse(world.auditor, before=pages[-2][-1], limit=4)
    assert [e.seq for e in window.entries] == pages[-1] and window.older is None
    back = [[e.seq for e in window.entries]]
    while window.newer is not None:
        window = ledger_view.browse(world.auditor, after=window.newer, limit=4)
        back.append([e.seq for e in window.entries])
    assert [s for page in reversed(back) for s in page] == everything
    assert back[-1][0] == everything[0]


def test_pages_of_a_filter_and_their_cursors(world: AuditWorld) -> None:
    item = world.codes_a[0]
    where = EntryFilter(item=item)
    expected = [e.seq for e in world.all_entries() if item in world.items_of(e)][::-1]
    assert len(expected) == 2
    newest = ledger_view.browse(world.auditor, where, limit=1)
    assert [e.seq for e in newest.entries] == expected[:1] and newest.newer is None and newest.older == expected[0]
    oldest = ledger_view.browse(world.auditor, where, before=newest.older, limit=1)
    assert [e.seq for e in oldest.entries] == expected[1:] and oldest.older is None and oldest.newer == expected[1]
    again = ledger_view.browse(world.auditor, where, after=oldest.newer, limit=1)
    assert [e.seq for e in again.entries] == expected[:1] and again.newer is None and again.older == expected[0]
    where = EntryFilter(case_no="A-2026-1", kind="item.intake")
    assert [e.kind for e in ledger_view.browse(world.auditor, where).entries] == ["item.intake", "item.intake"]


def test_cursors_past_either_end_give_empty_pages_that_lead_back(world: AuditWorld) -> None:
    head = ledger_view.head().seq
    beyond = ledger_view.browse(world.auditor, after=head, limit=5)
    assert beyond.entries == [] and beyond.newer is None and beyond.older == head + 1
    before_first = ledger_view.browse(world.auditor, before=1, limit=5)
    assert before_first.entries == [] and before_first.older is None and before_first.newer == 0
    huge = ledger_view.browse(world.auditor, before=2**62, limit=5)
    assert len(huge.entries) == 5 and huge.newer is None
    with pytest.raises(InvalidInput):
        ledger_view.browse(world.auditor, limit=0)


def test_a_handler_browses_only_its_own_cases_entries(world: AuditWorld) -> None:
    seen = [e for page in _walk_older(world.handler_b, ledger_view.ANY, 3) for e in page]
    assert seen == [e.seq for e in world.all_entries() if e.case_no == "B-2026-1"][::-1]
    other = next(e for e in world.all_entries() if e.case_no == "A-2026-1")
    with pytest.raises(NotFound):
        ledger_view.entry(world.handler_b, other.seq)
    assert ledger_view.entry(world.auditor, other.seq).seq == other.seq
    assert ledger_view.browse(world.handler_b, EntryFilter(case_no="A-2026-1")).entries == []


def test_a_time_range_is_a_seq_range(world: AuditWorld) -> None:
    entries = world.all_entries()
    where = EntryFilter(since=entries[2].at, until=entries[6].at)
    assert [e.seq for e in ledger_view.browse(world.auditor, where).entries] == [e.seq for e in entries[2:6]][::-1]
    window = ledger_view.browse(world.auditor, where, limit=2)
    assert window.older == entries[4].seq and window.newer is None
    assert [e.seq for e in ledger_view.browse(world.auditor, where, before=window.older).entries] == [
        entries[3].seq,
        entries[2].seq,
    ]


def test_unstorable_filter_text_matches_nothing(world: AuditWorld) -> None:
    assert ledger_view.browse(world.auditor, EntryFilter(actor="a\x00b")).entries == []


def test_checks_lists_verifications_newest_first(world: AuditWorld) -> None:
    assert ledger_view.checks() == []
    ledger_view.verify(world.auditor)
    ledger_view.verify(None)
    assert [c.by for c in ledger_view.checks()] == ["@cli", "auditor1"]
    assert all(c.ok for c in ledger_view.checks(1)) and len(ledger_view.checks(1)) == 1
