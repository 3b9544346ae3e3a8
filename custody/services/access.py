"""Who may see and do what. Every query that returns cases, items or entries filters through here.

A user sees a case when their agency holds it or held it before, or when they
are an auditor; the centre's keepers see every item in the centre (they handle
them) but not the cases' files. Anything else is reported as not found, so
that a 404 never reveals that a case exists.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, select, true
from sqlalchemy.orm import aliased, defaultload, undefer

from custody.db import AnySession
from custody.errors import Forbidden, NotFound, WrongAgency
from custody.models import AgencyKind, Case, CaseHolder, Item, LedgerEntry, LedgerEntryItem, Role, User


def is_auditor(user: User) -> bool:
    return user.has_role(Role.AUDITOR)


def is_centre_keeper(user: User) -> bool:
    return user.has_role(Role.KEEPER) and user.agency.kind == AgencyKind.CENTRE


def _held_case_ids(user: User):  # type: ignore[no-untyped-def]
    return select(CaseHolder.case_id).where(CaseHolder.agency_id == user.agency_id)


def case_filter(user: User) -> ColumnElement[bool]:
    if is_auditor(user):
        return true()
    return Case.id.in_(_held_case_ids(user))


def item_filter(user: User) -> ColumnElement[bool]:
    if is_auditor(user) or is_centre_keeper(user):
        return true()
    return Item.case_id.in_(_held_case_ids(user))


def entry_filter(user: User) -> ColumnElement[bool]:
    """Auditors see every entry; others the entries of cases (and, for keepers, items) they see."""
    if is_auditor(user):
        return true()
    visible = LedgerEntry.case_no.in_(select(Case.case_no).where(case_filter(user)))
    if is_centre_keeper(user):
        # An alias, so the test correlates with the entry alone even in queries that join the index.
        indexed = aliased(LedgerEntryItem)
        return visible | exists().where(indexed.seq == LedgerEntry.seq)
    return visible


def storable(text: str) -> bool:
    """False for text no database row can hold (NUL, lone surrogates): such a lookup finds nothing.

    PostgreSQL refuses NUL in text outright, so asking would be a 500, not a 404.
    """
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def visible_case(session: AnySession, user: User, case_no: str) -> Case:
    """Raises NotFound for a case that does not exist or that the user may not see."""
    if not storable(case_no):
        raise NotFound("No such case")
    case = session.scalars(
        select(Case).where(Case.case_no == case_no, case_filter(user)).options(undefer(Case.item_count))  # type: ignore[attr-defined]  # models/item.py
    ).one_or_none()
    if case is None:
        raise NotFound(f"No case {case_no}")
    return case


def visible_item(session: AnySession, user: User, code: str) -> Item:
    if not storable(code):
        raise NotFound("No such item")
    # The case comes joined; its holders (selectin) are not needed to act on an item, and loading
    # them cost a query per lookup: a third of a scan's time (bench/scan_load.py).
    item = session.scalars(
        select(Item).where(Item.code == code, item_filter(user)).options(defaultload(Item.case).lazyload(Case.holders))
    ).one_or_none()
    if item is None:
        raise NotFound(f"No item {code}")
    return item


def require_role(user: User, *roles: Role) -> None:
    if not user.has_role(*roles):
        raise Forbidden(f"This needs the role {' or '.join(roles)}")


def require_holder(user: User, case: Case) -> None:
    """Only the agency holding a case may act on it (design §4 rule 4)."""
    if case.agency_id != user.agency_id:
        raise WrongAgency(f"Case {case.case_no} is held by {case.agency.code}, not {user.agency.code}")
