"""Reading and verifying the ledger, scoped to what the user may see."""

from __future__ import annotations

from sqlalchemy import select

from custody.errors import Forbidden
from custody.extensions import db
from custody.ledger import VerifyResult, verify_chain
from custody.models import LedgerEntry, LedgerHead, Role, User
from custody.services import access
from custody.services.pagination import Page, keyset_page


def entries(user: User, *, after: int | None = None, limit: int | None = None) -> Page[LedgerEntry]:
    stmt = select(LedgerEntry).where(access.entry_filter(user))
    return keyset_page(stmt, LedgerEntry.seq, lambda e: e.seq, limit, after)


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
    return verify_chain(db.session)
