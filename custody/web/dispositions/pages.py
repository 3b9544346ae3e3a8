"""The disposition lists and one page per disposition, with the step the user may take now.

Every step is a plain form posted here that calls one service and comes back to the disposition's
page, with the service's refusal as a sentence in the user's language. A disposition the user may
not see is a 404 (the service's NotFound reaches the error page), never a hint that it exists.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from custody.errors import DomainError, NotFound
from custody.extensions import db
from custody.models import Disposition, DispositionStatus, User
from custody.services import cases, dispositions, items
from custody.web.dispositions.blueprint import bp
from custody.web.dispositions.messages import describe_disposition
from custody.web.printing import pdf_response

LIST_LIMIT = 200
RECENT_LIMIT = 50
DONE = (DispositionStatus.EXECUTED, DispositionStatus.CANCELLED)


def _recent(user: User, limit: int) -> list[Disposition]:
    """The latest executed or cancelled dispositions the user may see, newest first.

    The service's lists run oldest first (queues, keyset pages); "recent" wants the other end, read
    through the service's own visibility filter.
    """
    stmt = dispositions.reads.query().where(dispositions.reads.visible_filter(user), Disposition.status.in_(DONE))
    return list(db.session.scalars(stmt.order_by(Disposition.id.desc()).limit(limit)))


@bp.route("/dispositions")
@login_required
def index() -> str:
    """What waits for approval and for execution (oldest first), and what was done lately; ``?all=1``: every one."""
    if request.args.get("all"):
        return _everything()
    waiting = {
        "to-approve": dispositions.list_dispositions(
            current_user, status=DispositionStatus.REQUESTED, limit=LIST_LIMIT
        ),
        "to-execute": dispositions.list_dispositions(current_user, status=DispositionStatus.APPROVED, limit=LIST_LIMIT),
    }
    return render_template(
        "dispositions/index.html",
        waiting={name: page.items for name, page in waiting.items()},
        more={name: page.next is not None for name, page in waiting.items()},
        recent=_recent(current_user, RECENT_LIMIT),
        steps=_steps_of,
    )


def _steps_of(disposition: Disposition) -> set[str]:
    return dispositions.steps_for(current_user, disposition)


def _everything() -> str:
    """One page of every disposition the user may see, oldest first, narrowed by status."""
    status = request.args.get("status", "")
    status = status if status in set(DispositionStatus) else ""
    page = dispositions.list_dispositions(
        current_user, status=status or None, limit=LIST_LIMIT, cursor=request.args.get("cursor") or None
    )
    return render_template(
        "dispositions/all.html",
        dispositions=page.items,
        next_cursor=page.next,
        status=status,
        statuses=list(DispositionStatus),
        steps=_steps_of,
    )


def _sees(fetch: Callable[[], object]) -> bool:
    try:
        fetch()
    except NotFound:
        return False
    return True


@bp.route("/dispositions/<number>")
@login_required
def detail(number: str) -> str:
    """One disposition: its terms, its items, who did each step, and the step the user may take now."""
    disposition = dispositions.get_disposition(current_user, number)
    lines = dispositions.line_rows(disposition.id)
    scanned, total = dispositions.progress(disposition)
    return render_template(
        "dispositions/detail.html",
        d=disposition,
        lines=lines,
        steps=dispositions.steps_for(current_user, disposition),
        scanned=scanned,
        total=total,
        case_visible=_sees(lambda: cases.get_case(current_user, disposition.case.case_no)),
        # Keepers see items while they are in the centre; once disposed of, only the agencies of the case do.
        items_visible=bool(lines) and _sees(lambda: items.get_item(current_user, lines[0]["code"])),
    )


def _act(number: str, step: Callable[[], Disposition], done: Callable[[Disposition], str]) -> Response:
    """Take one step and come back to the disposition's page, saying what happened or why it did not."""
    try:
        disposition = step()
    except NotFound:
        raise  # not one the user may see: the error page says so, with a 404
    except DomainError as error:
        flash(describe_disposition(error), "error")
    else:
        flash(done(disposition), "ok")
    return redirect(url_for("disposition_pages.detail", number=number))


@bp.route("/dispositions/<number>/approve", methods=["POST"])
@login_required
def approve(number: str) -> Response:
    """Approve the request (approver of the requesting agency)."""
    return _act(
        number,
        lambda: dispositions.approve_disposition(current_user, number),
        lambda d: _("Disposition approved; a keeper of the centre executes it next by scanning the items out."),
    )


@bp.route("/dispositions/<number>/cancel", methods=["POST"])
@login_required
def cancel(number: str) -> Response:
    """Withdraw the disposition before it is executed (requesting agency); its items are free again."""
    return _act(
        number,
        lambda: dispositions.cancel_disposition(current_user, number, request.form.get("reason") or None),
        lambda d: _("Disposition cancelled; its items stay in storage."),
    )


@bp.route("/dispositions/<number>/record.pdf")
@login_required
def record(number: str) -> Response:
    """The record of an executed disposition (the first download records its SHA-256 in the ledger)."""
    try:
        pdf = dispositions.issue_record(current_user, number)
    except NotFound:
        raise
    except DomainError as error:
        flash(describe_disposition(error), "error")
        return redirect(url_for("disposition_pages.detail", number=number))
    return pdf_response(pdf, f"disposition-{number.strip().upper()}.pdf")
