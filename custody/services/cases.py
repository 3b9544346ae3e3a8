"""Opening cases and reading the ones a user may see."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import undefer

from custody import clock
from custody.errors import CaseExists, InvalidInput, WrongAgency
from custody.extensions import db
from custody.ledger import EntryKind, append
from custody.models import Agency, AgencyKind, Case, CaseHolder, Role, Stage, User
from custody.services import access
from custody.services.pagination import Page, keyset_page, parse_cursor
from custody.services.uow import transactional

CASE_HOLDING_KINDS = {AgencyKind.POLICE, AgencyKind.PROCURATORATE, AgencyKind.COURT}


def _clean(
    value: str | None, field: str, limit: int, errors: dict[str, list[str]], required: bool = True
) -> str | None:
    text = (value or "").strip()
    if not text:
        if required:
            errors[field] = ["Required"]
        return None
    if len(text) > limit:
        errors[field] = [f"At most {limit} characters"]
    elif any(ord(ch) < 32 for ch in text if ch not in "\n\t") or (field != "summary" and "\n" in text):
        errors[field] = ["Contains control characters"]
    return text


@transactional
def open_case(actor: User, case_no: str, title: str, summary: str | None = None) -> Case:
    """A handler opens a case held by their agency. Raises Forbidden, WrongAgency, InvalidInput, CaseExists."""
    access.require_role(actor, Role.HANDLER)
    if actor.agency.kind not in CASE_HOLDING_KINDS:
        raise WrongAgency("Only police, procuratorates and courts hold cases")
    errors: dict[str, list[str]] = {}
    number = _clean(case_no, "case_no", 64, errors)
    title_text = _clean(title, "title", 300, errors)
    summary_text = _clean(summary, "summary", 5000, errors, required=False)
    if errors:
        raise InvalidInput("Invalid case", errors=errors)
    assert number is not None and title_text is not None
    now = clock.now()
    case = Case(
        case_no=number,
        title=title_text,
        summary=summary_text,
        stage=Stage.INVESTIGATION,
        agency_id=actor.agency_id,
        opened_by_id=actor.id,
        opened_at=now,
    )
    db.session.add(case)
    try:
        db.session.flush()
    except IntegrityError as exc:
        raise CaseExists(f"Case {number} exists", errors={"case_no": ["A case with this number exists"]}) from exc
    db.session.add(CaseHolder(case_id=case.id, agency_id=actor.agency_id, ordinal=1, since=now))
    append(
        db.session,
        actor=actor,
        kind=EntryKind.CASE_OPENED,
        case_no=number,
        data={"title": title_text, "summary": summary_text, "stage": case.stage, "holder": actor.agency.code},
    )
    return case


def get_case(user: User, case_no: str) -> Case:
    return access.visible_case(db.session, user, case_no)


def list_cases(
    user: User,
    *,
    stage: str | None = None,
    agency: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page[Case]:
    stmt = select(Case).where(access.case_filter(user)).options(undefer(Case.item_count))  # type: ignore[attr-defined]  # models/item.py
    if stage:
        stmt = stmt.where(Case.stage == stage)
    if agency:
        stmt = stmt.where(Case.agency_id.in_(select(Agency.id).where(Agency.code == agency)))
    return keyset_page(stmt, Case.id, lambda c: c.id, limit, parse_cursor(cursor))
