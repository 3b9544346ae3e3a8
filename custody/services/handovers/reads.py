"""Reading handovers: who may see which, the kind a pair of agencies makes, inboxes and their counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select, true
from sqlalchemy.orm import joinedload, selectinload

from custody.errors import InvalidInput, NotFound
from custody.extensions import db
from custody.models import (
    Agency,
    AgencyKind,
    Case,
    Handover,
    HandoverItem,
    HandoverKind,
    HandoverStatus,
    Item,
    Role,
    Stage,
    User,
)
from custody.models.handover import DECIDED_HANDOVER, OPEN_HANDOVER, REJECTABLE
from custody.services import access
from custody.services.pagination import Page, keyset_page, parse_cursor

# The kind follows from the pair of agencies (design §5.4); any other pair is a change of jurisdiction.
_KINDS = {
    (AgencyKind.POLICE, AgencyKind.PROCURATORATE): HandoverKind.PROSECUTION_REVIEW,
    (AgencyKind.PROCURATORATE, AgencyKind.POLICE): HandoverKind.SUPPLEMENTARY_INVESTIGATION,
    (AgencyKind.PROCURATORATE, AgencyKind.COURT): HandoverKind.INDICTMENT,
    (AgencyKind.COURT, AgencyKind.COURT): HandoverKind.APPEAL,
}
# The stage a case reaches by each kind; a change of jurisdiction keeps the stage it had.
STAGE_AFTER: dict[str, Stage | None] = {
    HandoverKind.PROSECUTION_REVIEW: Stage.PROSECUTION_REVIEW,
    HandoverKind.SUPPLEMENTARY_INVESTIGATION: Stage.INVESTIGATION,
    HandoverKind.INDICTMENT: Stage.TRIAL,
    HandoverKind.APPEAL: Stage.TRIAL,
    HandoverKind.TRANSFER: None,
}
# Agencies that hold cases; the centre and supervising bodies never do.
CASE_HOLDERS = (AgencyKind.POLICE, AgencyKind.PROCURATORATE, AgencyKind.COURT)
DIRECTIONS = ("incoming", "outgoing")


def kind_between(sender: Agency, receiver: Agency) -> HandoverKind:
    return _KINDS.get((AgencyKind(sender.kind), AgencyKind(receiver.kind)), HandoverKind.TRANSFER)


def visible_filter(user: User) -> ColumnElement[bool]:
    """Both parties see a handover (the receiver before it holds the case), as do auditors and centre keepers."""
    if access.is_auditor(user) or access.is_centre_keeper(user):
        return true()
    return or_(
        Handover.from_agency_id == user.agency_id,
        Handover.to_agency_id == user.agency_id,
        Handover.case_id.in_(select(Case.id).where(access.case_filter(user))),
    )


def query(with_lines: bool = True) -> Select[Handover]:
    stmt = select(Handover).options(
        joinedload(Handover.requested_by),
        joinedload(Handover.approved_by),
        joinedload(Handover.checked_by),
        joinedload(Handover.decided_by),
    )
    if with_lines:
        # The items' own many-to-ones (case, custodian, shelf) load lazily: they are a handful of distinct
        # rows, found in the identity map after the first, where joining them cost five objects per line.
        stmt = stmt.options(selectinload(Handover.lines).joinedload(HandoverItem.item).lazyload("*"))
    return stmt


def normal_number(number: str) -> str:
    return (number or "").strip().upper()


def load(user: User, number: str, *, with_lines: bool = True) -> Handover:
    """The handover as the database has it now. Raises NotFound (also for one the user may not see)."""
    number = normal_number(number)
    if not access.storable(number):
        raise NotFound("No such handover")
    found = db.session.scalars(
        query(with_lines)
        .where(Handover.number == number, visible_filter(user))
        .execution_options(populate_existing=True)
    ).one_or_none()
    if found is None:
        raise NotFound(f"No handover {number}")
    return found


def get_handover(user: User, number: str, *, with_lines: bool = True) -> Handover:
    return load(user, number, with_lines=with_lines)


def line_rows(handover_id: int) -> list[dict[str, Any]]:
    """The lines as the API shows them, read as plain rows: for 10,000 items this is a tenth of the
    time of loading them as objects (bench/handover_flow.py)."""
    rows = db.session.execute(
        select(
            Item.code,
            Item.name,
            HandoverItem.moves,
            HandoverItem.state,
            HandoverItem.reason,
            HandoverItem.presence,
            HandoverItem.location,
        )
        .join(Item, Item.id == HandoverItem.item_id)
        .where(HandoverItem.handover_id == handover_id)
        .order_by(HandoverItem.id)
    )
    return [row._asdict() for row in rows]


def find_decided(number: str) -> Handover | None:
    """A decided handover by number, for anyone holding its receipt (the public verification page)."""
    number = normal_number(number)
    if not access.storable(number):
        return None
    return db.session.scalars(
        select(Handover).where(Handover.number == number, Handover.status.in_(DECIDED_HANDOVER))
    ).one_or_none()


def find_any(number: str) -> Handover | None:
    """A handover by number whatever its status: the public verification page says it exists, with no receipt yet
    (or none, being cancelled), and shows nothing more to those who may not see it."""
    number = normal_number(number)
    if not access.storable(number):
        return None
    return db.session.scalars(select(Handover).where(Handover.number == number)).one_or_none()


def may_see(user: User | None, handover: Handover) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return db.session.scalar(select(Handover.id).where(Handover.id == handover.id, visible_filter(user))) is not None


def line_codes(handover_id: int, **where: object) -> list[str]:
    """Codes of a handover's items (optionally only lines matching ``where``), without loading the items."""
    stmt = select(Item.code).join(HandoverItem, HandoverItem.item_id == Item.id)
    stmt = stmt.where(HandoverItem.handover_id == handover_id)
    for column, value in where.items():
        stmt = stmt.where(getattr(HandoverItem, column) == value)
    return list(db.session.scalars(stmt.order_by(Item.code)))


def item_count(handover_id: int) -> int:
    return db.session.scalar(select(func.count(HandoverItem.id)).where(HandoverItem.handover_id == handover_id)) or 0


def list_handovers(
    user: User,
    *,
    direction: str | None = None,
    status: str | Sequence[str] | None = None,
    case_no: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page[Handover]:
    """Handovers the user may see, oldest first: ``incoming`` to the user's agency, ``outgoing`` from it."""
    stmt = query(with_lines=False).where(visible_filter(user))
    if direction == "incoming":
        stmt = stmt.where(Handover.to_agency_id == user.agency_id)
    elif direction == "outgoing":
        stmt = stmt.where(Handover.from_agency_id == user.agency_id)
    elif direction:
        raise InvalidInput("Bad direction", errors={"direction": ["incoming or outgoing"]})
    if status:
        stmt = stmt.where(Handover.status.in_([status] if isinstance(status, str) else list(status)))
    if case_no:
        stmt = stmt.where(Handover.case_id.in_(select(Case.id).where(Case.case_no == case_no)))
    return keyset_page(stmt, Handover.id, lambda h: h.id, limit, parse_cursor(cursor))


@dataclass(frozen=True)
class Inbox:
    """What waits for the user's agency: incoming to decide, outgoing in progress, to approve, to check."""

    incoming: int
    outgoing: int
    to_approve: int
    to_check: int
    lists: frozenset[str] = frozenset()  # the lists that are the user's business (the others count zero)

    @property
    def total(self) -> int:
        return self.incoming + self.outgoing + self.to_approve + self.to_check


def inbox_filters(user: User) -> dict[str, ColumnElement[bool]]:
    """The where-clauses behind each inbox list; the counts and the lists share them."""
    mine = user.agency_id
    return {
        "incoming": (Handover.to_agency_id == mine)
        & Handover.status.in_([HandoverStatus.APPROVED, HandoverStatus.CHECKED]),
        "outgoing": (Handover.from_agency_id == mine) & Handover.open,
        "to_approve": (Handover.from_agency_id == mine) & (Handover.status == HandoverStatus.REQUESTED),
        "to_check": Handover.status == HandoverStatus.APPROVED,
    }


def inbox_lists(user: User) -> list[str]:
    """The inbox lists this user's roles call for, in the pages' order (the others are not the user's business)."""
    names = []
    if user.has_role(Role.HANDLER, Role.APPROVER):
        names += ["incoming", "outgoing"]
    if user.has_role(Role.APPROVER):
        names.append("to_approve")
    if access.is_centre_keeper(user):
        names.append("to_check")
    return names


def inbox_counts(user: User) -> Inbox:
    """One query with a count per list; lists that are not the user's business count zero."""
    wanted = set(inbox_lists(user))
    filters = inbox_filters(user)
    columns = [func.count().filter(filters[name]).label(name) for name in filters]
    row = db.session.execute(select(*columns).select_from(Handover).where(Handover.open)).one()
    counts = {name: (getattr(row, name) if name in wanted else 0) for name in filters}
    return Inbox(**counts, lists=frozenset(wanted))


def inbox(user: User, name: str, limit: int = 200) -> list[Handover]:
    """The handovers of one inbox list, oldest first."""
    if name not in inbox_lists(user):
        return []
    stmt = query(with_lines=False).where(Handover.open, inbox_filters(user)[name], visible_filter(user))
    return list(db.session.scalars(stmt.order_by(Handover.id).limit(limit)))


def open_handover_of(case: Case) -> Handover | None:
    return db.session.scalars(select(Handover).where(Handover.case_id == case.id, Handover.open)).first()


def case_handovers(case: Case) -> list[Handover]:
    """Every handover of a case, newest first (the case page lists them)."""
    return list(
        db.session.scalars(query(with_lines=False).where(Handover.case_id == case.id).order_by(Handover.id.desc()))
    )


def steps_for(user: User, handover: Handover) -> set[str]:
    """The steps this user may take now (``approve``, ``cancel``, ``presence_check``, ``accept``, ``reject``, and
    ``receipt`` once decided): what the page offers and what a scan of the number lists. The acts check again."""
    sender = user.agency_id == handover.from_agency_id
    receiver = user.agency_id == handover.to_agency_id
    party = user.has_role(Role.HANDLER, Role.APPROVER)
    status = handover.status
    may = {
        "approve": sender and user.has_role(Role.APPROVER) and status == HandoverStatus.REQUESTED,
        "cancel": sender and party and status in OPEN_HANDOVER,
        "presence_check": access.is_centre_keeper(user) and status == HandoverStatus.APPROVED,
        "accept": receiver and party and status == HandoverStatus.CHECKED,
        "reject": receiver and party and status in REJECTABLE,
        "receipt": status in DECIDED_HANDOVER,
    }
    return {step for step, allowed in may.items() if allowed}
