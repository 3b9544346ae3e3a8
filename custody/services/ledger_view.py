"""Reading and verifying the ledger, scoped to what the user may see."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Select, false, select
from sqlalchemy.orm import InstrumentedAttribute

from custody import clock
from custody.errors import Forbidden, NotFound
from custody.extensions import db
from custody.ledger import SYSTEM, VerifyResult, verify_chain
from custody.models import LedgerCheck, LedgerEntry, LedgerEntryItem, LedgerHead, Role, User
from custody.services import access
from custody.services.pagination import Page, bound, check_limit, keyset_page
from custody.services.uow import transactional


@dataclass(frozen=True)
class EntryFilter:
    """What the ledger browser, ``GET /ledger/entries`` and the CSV export narrow the ledger to; None: any.

    ``since`` is inclusive and ``until`` exclusive, both aware datetimes.
    """

    agency: str | None = None
    kind: str | None = None
    case_no: str | None = None
    item: str | None = None
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def active(self) -> bool:
        return any(getattr(self, f.name) is not None for f in fields(self))


ANY = EntryFilter()
Key = InstrumentedAttribute[int]


@dataclass(frozen=True)
class Selection:
    """The entries a user may see that a filter selects: the statement, the key to order and page it by,
    and the seq range a time range comes to (None: open)."""

    stmt: Select[Any]
    key: Key
    first: int | None = None
    last: int | None = None

    def within(self, *, above: int | None = None, below: int | None = None) -> Select[Any]:
        """The statement limited to seq > ``above`` and seq < ``below`` as well as to its own range.

        One bound per side, the tighter one: given two upper bounds (the range's and a cursor's),
        SQLite's planner starts its index range at one of them and only filters by the other, so a
        page deep in a time range would walk everything above it.
        """
        low = max((v for v in (self.first, None if above is None else above + 1) if v is not None), default=None)
        high = min((v for v in (self.last, None if below is None else below - 1) if v is not None), default=None)
        stmt = self.stmt
        if low is not None:
            stmt = stmt.where(self.key >= bound(low))
        if high is not None:
            stmt = stmt.where(self.key <= bound(high))
        return stmt


def filtered(user: User, where: EntryFilter = ANY) -> Selection:
    """The entries ``user`` may see that match ``where``.

    Each filter has an index whose range scan, walked in seq order, serves the page: (agency, seq),
    (kind, seq), (case_no, seq), (actor, seq) on ledger_entries, (item_code, seq) on
    ledger_entry_items; a time range becomes a seq range (see ``_seq_range``). So a page
    10^6 entries deep costs what the first page costs.
    """
    stmt = select(LedgerEntry).where(access.entry_filter(user))
    key: Key = LedgerEntry.seq
    texts = (where.agency, where.kind, where.case_no, where.item, where.actor)
    if not all(access.storable(t) for t in texts if t is not None):
        # No row can hold it (NUL): nothing matches, instead of a database error.
        return Selection(stmt.where(false()), key)
    if where.item is not None:
        stmt = stmt.join(LedgerEntryItem, LedgerEntryItem.seq == LedgerEntry.seq).where(
            LedgerEntryItem.item_code == where.item
        )
        key = LedgerEntryItem.seq
    columns = (LedgerEntry.agency, LedgerEntry.kind, LedgerEntry.case_no, LedgerEntry.actor)
    for column, value in zip(columns, (where.agency, where.kind, where.case_no, where.actor), strict=True):
        if value is not None:
            stmt = stmt.where(column == value)
    first = last = None
    if where.since is not None:
        stmt = stmt.where(LedgerEntry.at >= where.since)
        first = _first_seq(where.since)
        if first is None:
            return Selection(stmt.where(false()), key)
    if where.until is not None:
        stmt = stmt.where(LedgerEntry.at < where.until)
        last = _last_seq_before(where.until)
        if last is None:
            return Selection(stmt.where(false()), key)
    return Selection(stmt, key, first, last)


# A time range as a seq range: ``at`` is read after the ledger head lock is taken (ledger.append), so it
# never decreases along seq, and the entries of a time range are the seqs between two LIMIT 1 lookups on
# (at, seq). Paging then walks the seq index (or the filter's) inside that range; the ``at`` conditions
# stay in the query to keep the answer exact.


def _first_seq(since: datetime) -> int | None:
    stmt = select(LedgerEntry.seq).where(LedgerEntry.at >= since).order_by(LedgerEntry.at, LedgerEntry.seq)
    return db.session.scalar(stmt.limit(1))


def _last_seq_before(until: datetime) -> int | None:
    stmt = select(LedgerEntry.seq).where(LedgerEntry.at < until)
    return db.session.scalar(stmt.order_by(LedgerEntry.at.desc(), LedgerEntry.seq.desc()).limit(1))


def entries(
    user: User, *, after: int | None = None, limit: int | None = None, where: EntryFilter = ANY
) -> Page[LedgerEntry]:
    """Entries oldest first, after ``after``: the API's page."""
    chosen = filtered(user, where)
    return keyset_page(chosen.within(above=after), chosen.key, lambda e: e.seq, limit, None)


@dataclass(frozen=True)
class Window:
    """A page of the browser, newest first, with the cursors of the pages on either side (None: none)."""

    entries: list[LedgerEntry]
    older: int | None  # pass as ``before``
    newer: int | None  # pass as ``after``


def browse(
    user: User,
    where: EntryFilter = ANY,
    *,
    before: int | None = None,
    after: int | None = None,
    limit: int | None = None,
) -> Window:
    """One page of the ledger browser: newest first; ``before`` pages to older entries, ``after`` to newer.

    Keyset pagination both ways: each page is one range scan from its cursor, so its cost does
    not grow with its depth. Raises InvalidInput for a limit out of range.
    """
    limit = check_limit(limit)
    chosen = filtered(user, where)
    key = chosen.key

    def beyond(seq: int, newer: bool) -> bool:
        """Is there a page on the other side? Asked like a page (in key order, one row), so that the
        planner walks the same index from the cursor instead of, say, the time index from its start."""
        probe = chosen.within(above=seq).order_by(key) if newer else chosen.within(below=seq).order_by(key.desc())
        return db.session.scalar(probe.with_only_columns(key).limit(1)) is not None

    if after is not None and before is None:
        rows = list(db.session.scalars(chosen.within(above=after).order_by(key).limit(limit + 1)))
        more_newer = len(rows) > limit
        rows = rows[:limit][::-1]
        oldest = rows[-1].seq if rows else after + 1
        return Window(rows, oldest if beyond(oldest, newer=False) else None, rows[0].seq if more_newer else None)
    rows = list(db.session.scalars(chosen.within(below=before).order_by(key.desc()).limit(limit + 1)))
    more_older = len(rows) > limit
    rows = rows[:limit]
    newer = None
    if before is not None:
        newest = rows[0].seq if rows else before - 1
        newer = newest if beyond(newest, newer=True) else None
    return Window(rows, rows[-1].seq if more_older and rows else None, newer)


def entry(user: User, seq: int) -> LedgerEntry:
    """One entry the user may see. Raises NotFound otherwise (also for a seq past the head)."""
    found = db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.seq == bound(seq), access.entry_filter(user))
    ).one_or_none()
    if found is None:
        raise NotFound(f"No ledger entry {seq}")
    return found


def case_entries(user: User, case_no: str, *, after: int | None = None, limit: int | None = None) -> Page[LedgerEntry]:
    """A case's own entries (opening, registrations, later handovers), oldest first.

    Raises NotFound when the user may not see the case. Uses ix_ledger_entries_case_no_seq.
    """
    case = access.visible_case(db.session, user, case_no)
    stmt = select(LedgerEntry).where(LedgerEntry.case_no == case.case_no, access.entry_filter(user))
    return keyset_page(stmt, LedgerEntry.seq, lambda e: e.seq, limit, after)


def head() -> LedgerHead:
    return db.session.scalars(select(LedgerHead).where(LedgerHead.id == 1)).one()


def verify(user: User | None) -> VerifyResult:
    """Auditors and admins (and the command line, with no user) may run a full verification."""
    if user is not None and not user.has_role(Role.AUDITOR, Role.ADMIN):
        raise Forbidden("Verification is for auditors and administrators")
    result = verify_chain(db.session)  # a long read: outside any write transaction, so acts go on meanwhile
    _record(user, result)
    return result


@transactional
def _record(user: User | None, result: VerifyResult) -> None:
    """Keep the result: the latest check is what the "verification failed" alert reads."""
    db.session.add(
        LedgerCheck(
            at=clock.now(),
            by=user.username if user is not None else SYSTEM.username,
            ok=result.ok,
            checked=result.checked,
            first_bad_seq=result.first_bad_seq,
            reason=result.reason,
            head_seq=result.head_seq,
        )
    )


def latest_check() -> LedgerCheck | None:
    return db.session.scalars(select(LedgerCheck).order_by(LedgerCheck.id.desc()).limit(1)).first()


def checks(limit: int = 20) -> list[LedgerCheck]:
    """The latest verifications, newest first: the auditors' page shows the ledger is checked, and how it went."""
    return list(db.session.scalars(select(LedgerCheck).order_by(LedgerCheck.id.desc()).limit(limit)))
