"""Handover pages: the inbox, one page per handover with the step the user may take, the request form.

The request form sits on the case page (``case_section`` gives it its data) and posts here. Every
step is a plain form posted here that calls one service and comes back to the handover's page, with
the service's refusal as a sentence in the user's language. The keeper's presence check has its own
page (custody/web/presence.py); the public verification page is custody/web/verify.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from marshmallow import ValidationError
from werkzeug.wrappers import Response

from custody.api.schemas.handovers import HandoverCreateSchema
from custody.errors import DomainError, NotFound
from custody.models import (
    OPEN_CHECKOUT,
    OPEN_HANDOVER,
    Agency,
    Case,
    Handover,
    HandoverItem,
    HandoverStatus,
    Item,
    ItemStatus,
    Presence,
    Role,
)
from custody.services import cases, checkouts, handovers, items, people
from custody.services.handovers.reads import CASE_HOLDERS, normal_number
from custody.web import kept
from custody.web.kept import KeptForm
from custody.web.messages import describe_handover, field_messages
from custody.web.printing import pdf_response

bp = Blueprint("handover_pages", __name__)
LIST_LIMIT = 200


@bp.route("/handovers")
@login_required
def index() -> str:
    """What waits for my agency (``?all=1``: every handover I may see, decided ones too)."""
    if request.args.get("all"):
        return _everything()
    lists = handovers.inbox_lists(current_user)
    return render_template(
        "handovers/index.html",
        sections={name: handovers.inbox(current_user, name, LIST_LIMIT) for name in lists},
        counts=handovers.inbox_counts(current_user),  # exact: a list shows its oldest LIST_LIMIT
    )


def _everything() -> str:
    """One page of every handover the user may see, oldest first, narrowed by direction and status."""
    direction = request.args.get("direction", "")
    status = request.args.get("status", "")
    page = handovers.list_handovers(
        current_user,
        direction=direction if direction in handovers.DIRECTIONS else None,
        status=status if status in set(HandoverStatus) else None,
        limit=LIST_LIMIT,
        cursor=request.args.get("cursor") or None,
    )
    return render_template(
        "handovers/all.html",
        handovers=page.items,
        next_cursor=page.next,
        direction=direction if direction in handovers.DIRECTIONS else "",
        status=status if status in set(HandoverStatus) else "",
        statuses=list(HandoverStatus),
    )


def _may(user: Any, handover: Handover) -> dict[str, bool]:
    """Which steps this user may take now (the service decides again when one is taken)."""
    steps = handovers.steps_for(user, handover)
    names = ("approve", "cancel", "accept", "reject", "receipt")
    return {"presence": "presence_check" in steps} | {name: name in steps for name in names}


def _sees(fetch: Callable[[], object]) -> bool:
    try:
        fetch()
    except NotFound:
        return False
    return True


@bp.route("/handovers/<number>")
@login_required
def detail(number: str) -> str:
    """One handover: who did each step, its items, and the step the user may take now."""
    handover = handovers.get_handover(current_user, number)
    lines: list[HandoverItem] = handover.lines
    checked, total = handovers.progress(handover)
    return render_template(
        "handovers/detail.html",
        handover=handover,
        lines=lines,
        may=_may(current_user, handover),
        kept=kept.recall("accept", handover.number),
        checked=checked,
        total=total,
        missing=sum(1 for line in lines if line.presence == Presence.MISSING),
        missing_reason=handovers.MISSING_REASON,
        case_visible=_sees(lambda: cases.get_case(current_user, handover.case.case_no)),
        # The receiver sees the items only once it holds the case; their pages would be a 404 before.
        items_visible=bool(lines) and _sees(lambda: items.get_item(current_user, lines[0].item.code)),
    )


def _flash_error(error: DomainError, rejected: Sequence[str] = ()) -> None:
    if isinstance(error, NotFound):
        raise error  # the handover is not one the user may see: the error page says so, with a 404
    flash(describe_handover(error, rejected), "error")


def _act(number: str, step: Callable[[], Handover], done: Callable[[Handover], str]) -> Response:
    """Take one step and come back to the handover's page, saying what happened or why it did not."""
    try:
        handover = step()
    except DomainError as error:
        _flash_error(error)
    else:
        flash(done(handover), "ok")
    return redirect(url_for("handover_pages.detail", number=number))


@bp.route("/handovers/<number>/approve", methods=["POST"])
@login_required
def approve(number: str) -> Response:
    """Approve the request (approver of the sending agency)."""
    return _act(
        number,
        lambda: handovers.approve_handover(current_user, number),
        lambda h: _("Handover approved; the keeper checks next that the items are on their shelves."),
    )


@bp.route("/handovers/<number>/cancel", methods=["POST"])
@login_required
def cancel(number: str) -> Response:
    """Withdraw the handover before the receiver decides (sending agency)."""
    return _act(
        number,
        lambda: handovers.cancel_handover(current_user, number, request.form.get("reason")),
        lambda h: _("Handover cancelled; the case and its items stay with %(agency)s.", agency=h.from_agency.name),
    )


@bp.route("/handovers/<number>/reject", methods=["POST"])
@login_required
def reject(number: str) -> Response:
    """Refuse the whole handover, saying why (receiving agency)."""
    return _act(
        number,
        lambda: handovers.reject_handover(current_user, number, request.form.get("reason", "")),
        lambda h: _("Handover rejected; the case and its items stay with %(agency)s.", agency=h.from_agency.name),
    )


def _accepted(handover: Handover) -> str:
    if handover.status == HandoverStatus.ACCEPTED:
        return _("Handover accepted: %(agency)s now holds the case and its items.", agency=handover.to_agency.name)
    refused = sum(1 for line in handover.lines if line.state == "rejected")
    if refused == len(handover.lines):
        # Allowed by design (the case moves, its items do not), but easy to do by mistake: say it plainly.
        return _("Case accepted; every item was rejected and stays with %(agency)s.", agency=handover.from_agency.name)
    return ngettext(
        "Handover partly accepted: %(num)d item was rejected and stays with the sender.",
        "Handover partly accepted: %(num)d items were rejected and stay with the sender.",
        refused,
    )


@bp.route("/handovers/<number>/accept", methods=["POST"])
@login_required
def accept(number: str) -> Response:
    """Accept the checked handover; each ticked item is rejected with the reason typed beside it."""
    ticked = checkouts.normal_codes(request.form.getlist("reject"))
    reasons = {
        key.removeprefix("reason-"): value.strip()
        for key, value in request.form.items()
        if key.startswith("reason-") and value.strip()
    }
    # Without JavaScript a reason can be typed beside an item left unticked: accepting that item
    # would move custody against what the user wrote, so ask rather than guess.
    unticked = sorted(set(reasons) - set(ticked))
    if unticked:
        kept.keep("accept", normal_number(number))
        flash(
            _(
                "A reason was given for %(codes)s without ticking it: tick the items to reject, "
                "or clear their reasons, then accept again.",
                codes=", ".join(unticked),
            ),
            "error",
        )
        return redirect(url_for("handover_pages.detail", number=number))
    try:
        done = handovers.accept_handover(
            current_user, number, [{"code": code, "reason": reasons.get(code, "")} for code in ticked]
        )
    except DomainError as error:
        _flash_error(error, ticked)  # raises NotFound: nothing to keep for a page the user may not see
        kept.keep("accept", normal_number(number))
    else:
        kept.forget()
        flash(_accepted(done), "ok")
    return redirect(url_for("handover_pages.detail", number=number))


@bp.route("/handovers/<number>/receipt.pdf")
@login_required
def receipt(number: str) -> Response:
    """The receipt of a decided handover (the first download records its SHA-256 in the ledger)."""
    try:
        pdf = handovers.issue_receipt(current_user, number)
    except DomainError as error:
        _flash_error(error)
        return redirect(url_for("handover_pages.detail", number=number))
    return pdf_response(pdf, f"handover-{normal_number(number)}.pdf")


@dataclass(frozen=True)
class CaseSection:
    """The case page's handover section: the case's handovers and, for its holder's handlers, the request form."""

    handovers: list[Handover]
    open: Handover | None
    can_request: bool
    agencies: list[Agency] = field(default_factory=list)
    # Each item of the case listed on the page, with why it cannot be handed over (None: it can).
    rows: list[tuple[Item, str | None]] = field(default_factory=list)
    kept: KeptForm = field(default_factory=KeptForm)  # what the user typed before a refusal
    closed: bool = False  # the holder's handler is told why there is no form


def _unavailable(item: Item, case: Case, in_checkout: dict[int, str]) -> str | None:
    """Why an item cannot be handed over now, as the service would refuse it."""
    if item.status == ItemStatus.DISPOSED:
        return _("Disposed")
    if item.status == ItemStatus.CHECKED_OUT:
        return _("Checked out")
    if item.id in in_checkout:
        return _("In check-out %(number)s", number=in_checkout[item.id])
    if item.custodian_id != case.agency_id:
        return _("In the custody of %(agency)s", agency=item.custodian.name)
    return None


def case_section(user: Any, case: Case, listed: Sequence[Item]) -> CaseSection:
    """What the case page shows about handovers; the request form only to a handler of the holding agency."""
    every = handovers.case_handovers(case)
    typed = kept.recall("handover", case.case_no)  # read even when the form is not shown, so it does not linger
    open_ = next((h for h in every if h.status in OPEN_HANDOVER), None)
    holder = user.has_role(Role.HANDLER) and case.agency_id == user.agency_id
    if case.closed_at is not None or open_ is not None or not holder:
        return CaseSection(every, open_, False, closed=holder and case.closed_at is not None)
    out = checkouts.list_checkouts(user, status=list(OPEN_CHECKOUT), case_no=case.case_no, limit=1000).items
    in_checkout = {line.item_id: c.number for c in out for line in c.lines if line.active}
    agencies = [a for a in people.list_agencies() if a.kind in CASE_HOLDERS and a.id != case.agency_id]
    rows = [(item, _unavailable(item, case, in_checkout)) for item in listed]
    return CaseSection(every, None, True, agencies, rows, typed)


# The request form's fields, named as the form labels them (for the schema's messages).
_FORM_FIELDS = {
    "case_no": _l("Case number"),
    "to_agency": _l("To agency"),
    "items": _l("Hand over"),
    "moves_with_case": _l("Moves with the case"),
    "note": _l("Note"),
}


@bp.route("/handovers/new", methods=["POST"])
@login_required
def create() -> Response:
    """Request the handover of a case from its page; a refusal goes back there with the reason."""
    form = request.form
    case_no = form.get("case_no", "").strip()
    if not case_no:
        abort(400)
    back = url_for("web.case", case_no=case_no) + "#handover"
    the_case = cases.get_case(current_user, case_no)
    if the_case.closed_at is not None:  # the service's first refusal, said before the form's own
        flash(_("The case is closed: it is not handed over again."), "error")
        return redirect(back)
    case_no = the_case.case_no  # as stored: the case page recalls the kept form by it
    chosen = None if form.get("all_items") else form.getlist("items")
    if not form.get("to_agency"):
        return kept.refused("handover", case_no, _("Choose the receiving agency."), back)
    if chosen == []:
        return kept.refused("handover", case_no, _("Tick at least one item to hand over."), back)
    try:
        # The API's schema, so that the page and the API refuse the same things (lengths, blanks).
        fields = {"case_no": case_no, "to_agency": form.get("to_agency", ""), "moves_with_case": form.getlist("moves")}
        data = HandoverCreateSchema().load(
            {**fields, "note": form.get("note") or None, **({"items": chosen} if chosen is not None else {})}
        )
        created = handovers.request_handover(
            current_user, case_no, data["to_agency"], data.get("items"), data["moves_with_case"], data["note"]
        )
    except ValidationError as error:
        messages = error.messages if isinstance(error.messages, dict) else {"": error.messages}
        named = [f"{_FORM_FIELDS.get(k, k)}: {' '.join(field_messages(v))}" for k, v in messages.items()]
        return kept.refused("handover", case_no, " ".join([_("Some entries are not valid."), *named]), back)
    except DomainError as error:
        if isinstance(error, NotFound):
            raise
        return kept.refused("handover", case_no, describe_handover(error), back)
    kept.forget()
    flash(_("Handover %(number)s requested; an approver of your agency approves it next.", number=created.number), "ok")
    return redirect(url_for("handover_pages.detail", number=created.number))
