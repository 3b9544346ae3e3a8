"""Pages. Thin: parse the request, call one service, render.

Errors raised by services reach the user in their language through
``custody.web.messages``; a refused form comes back with what was typed.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user
from marshmallow import ValidationError
from werkzeug.wrappers import Response

from custody.api.schemas.items import ItemCreateSchema
from custody.errors import DomainError, InvalidInput, NotFound, TooManyAttempts
from custody.models import Category, Flag, Item, ItemStatus, Role, SecurityKind
from custody.services import (
    access,
    alerts,
    cases,
    dispositions,
    handovers,
    items,
    ledger_view,
    locations,
    scanning,
    security_log,
    signin,
)
from custody.web import rows, sessions, timeline
from custody.web.dispositions import case_section as disposition_section
from custody.web.forms import CaseForm, LoginForm
from custody.web.handovers import case_section
from custody.web.i18n import LANGUAGES
from custody.web.messages import describe, field_errors
from custody.web.security import safe_next

bp = Blueprint("web", __name__)
DISPOSITION_STEPS = ("to_approve", "to_execute")  # the order of dispositions.pending_counts
LIST_LIMIT = 1000


@bp.before_request
def _refuse_nul() -> None:
    """No code, number or field of ours contains NUL, and PostgreSQL refuses it in text (a 500), so stop it here."""
    if "\x00" in request.path:
        abort(404)
    if any("\x00" in v for source in (request.args, request.form) for _key, vs in source.lists() for v in vs):
        abort(400)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    """Sign in with username and password."""
    if current_user.is_authenticated:
        return redirect(url_for("web.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = signin.sign_in(form.username.data or "", form.password.data or "")
        except TooManyAttempts as error:
            flash(_("Too many failed sign-ins. Try again in %(n)s seconds.", n=error.retry_after), "error")
            return render_template("login.html", form=form), 429
        except DomainError:
            flash(_("Wrong username or password."), "error")
        else:
            login_user(user)
            sessions.start()
            return redirect(safe_next(request.args.get("next")) or url_for("web.dashboard"))
    return render_template("login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    """Sign out (POST with a CSRF token, so another site cannot sign a keeper out)."""
    if current_user.is_authenticated:
        security_log.record(SecurityKind.SIGNOUT, user=current_user)
    logout_user()
    flash(_("You have signed out."), "ok")
    return redirect(url_for("web.login"))


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str) -> Response:
    """Remember the chosen language for this browser, then go back to the page it was chosen on."""
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(safe_next(request.form.get("next")) or url_for("web.dashboard"))


@bp.route("/")
@login_required
def dashboard() -> str:
    """The cases the user may see; for keepers, what waits for intake; what waits in the handover inbox and for
    the user's step in a disposition (approvers approve, the centre's keepers execute)."""
    visible = cases.list_cases(current_user, limit=200)
    waiting = None
    if current_user.has_role(Role.KEEPER):
        waiting = items.list_items(current_user, status=ItemStatus.REGISTERED, limit=100)
    return render_template(
        "dashboard.html",
        cases=visible.items,
        more_cases=visible.next is not None,
        waiting=waiting.items if waiting else None,
        more_waiting=bool(waiting and waiting.next),
        roots=locations.roots() if current_user.has_role(Role.KEEPER) else [],
        can_open=current_user.has_role(Role.HANDLER),
        alert_counts=alerts.counts(current_user),
        handover_counts=handovers.inbox_counts(current_user),
        disposition_counts=dict(
            zip(("to_approve", "to_execute"), dispositions.pending_counts(current_user), strict=True)
        ),
        disposition_steps=_disposition_steps(),
    )


def _disposition_steps() -> list[str]:
    """The dashboard's disposition counts this user acts on: approvers approve, the centre's keepers execute."""
    steps = ["to_approve"] if current_user.has_role(Role.APPROVER) else []
    return [*steps, "to_execute"] if access.is_centre_keeper(current_user) else steps


@bp.route("/cases/new", methods=["GET", "POST"])
@login_required
def new_case() -> Response | str:
    """Open a case."""
    form = CaseForm()
    if form.validate_on_submit():
        try:
            case = cases.open_case(current_user, form.case_no.data or "", form.title.data or "", form.summary.data)
        except DomainError as error:
            shown = False
            for name, messages in field_errors(error.errors).items():
                if name in form:
                    form[name].errors = list(messages)
                    shown = True
            if not shown or not isinstance(error, InvalidInput):
                flash(describe(error), "error")
        else:
            flash(_("Case %(case_no)s opened. Register its items below.", case_no=case.case_no), "ok")
            return redirect(url_for("web.case", case_no=case.case_no))
    return render_template("case_new.html", form=form)


@bp.route("/cases/<path:case_no>", methods=["GET", "POST"])
@login_required
def case(case_no: str) -> Response | str:
    """A case, its items, its handovers, its history, and the form that registers several items at once."""
    the_case = cases.get_case(current_user, case_no)
    can_register = current_user.has_role(Role.HANDLER) and the_case.agency_id == current_user.agency_id
    form_rows = rows.blank_rows()
    row_errors: dict[int, dict[str, list[str]]] = {}
    if request.method == "POST":
        form_rows = rows.parse(request.form)
        if "add_row" in request.form:  # the no-JavaScript way to get another row
            form_rows = rows.with_new_row(form_rows)
        else:
            outcome = _register(the_case.case_no, form_rows)
            if isinstance(outcome, Response):
                return outcome
            row_errors = outcome
    listed = items.list_items(current_user, case_no=the_case.case_no, limit=LIST_LIMIT)
    history = ledger_view.case_entries(current_user, the_case.case_no, limit=200)
    entries, more_entries = list(history.items), history.next is not None
    return render_template(
        "case.html",
        case=the_case,
        items=listed.items,
        more_items=listed.next is not None,
        entries=timeline.build(entries),
        more_entries=more_entries,
        handover=case_section(current_user, the_case, listed.items),
        disposition=disposition_section(current_user, the_case),
        can_register=can_register,
        rows=rows.padded(form_rows),
        row_errors=row_errors,
        first_error=rows.first_error(row_errors),
        max_rows=rows.MAX_ROWS,
        categories=list(Category),
        flags=list(Flag),
    )


def _register(case_no: str, form_rows: list[rows.FormRow]) -> Response | dict[int, dict[str, list[str]]]:
    """Validate every filled row like the API does, then register them all in one act, or none."""
    if rows.row_count(request.form) > rows.MAX_ROWS:
        flash(_("At most %(n)d rows at once.", n=rows.MAX_ROWS), "error")
        return {}
    positions = rows.filled_positions(form_rows)
    if not positions:
        flash(_("Fill in at least one item."), "error")
        return {}
    tz = ZoneInfo(current_app.config["CUSTODY_TIMEZONE"])
    try:
        data = ItemCreateSchema(many=True).load([form_rows[i].as_input(tz) for i in positions])
        created = items.register_items(current_user, case_no, data)
    except ValidationError as error:
        messages: Any = error.messages
        errors = rows.errors_by_row(messages if isinstance(messages, dict) else {"items": messages}, positions)
    except InvalidInput as error:
        errors = rows.errors_by_row(error.errors or {"items": [error.detail]}, positions)
    except DomainError as error:
        flash(describe(error), "error")
        return {}
    else:
        flash(ngettext("%(num)d item registered.", "%(num)d items registered.", len(created)), "ok")
        return redirect(url_for("web.case", case_no=case_no) + "#items")
    flash(_("Nothing was saved: correct the rows marked below."), "error")
    return errors


@bp.route("/items/<code>")
@login_required
def item(code: str) -> str:
    """An item's record and its custody timeline."""
    the_item, entries = items.item_history(current_user, code)
    return render_template(
        "item.html",
        item=the_item,
        entries=timeline.build(entries, focus=the_item.code),
        case_visible=_case_visible(the_item.case.case_no),
    )


def _case_visible(case_no: str) -> bool:
    """Keepers see the items in the centre but not every case's file: link the case only when it opens."""
    try:
        cases.get_case(current_user, case_no)
    except NotFound:
        return False
    return True


@bp.route("/locations/<code>")
@login_required
def location(code: str) -> str:
    """A location, what it contains and the items on it that the user may see."""
    place = locations.get_location(code)
    here = items.list_items(current_user, location=place.code, limit=LIST_LIMIT)
    return render_template(
        "location.html",
        location=place,
        children=locations.children(place),
        count=locations.item_count(place),
        items=here.items,
        more_items=here.next is not None,
    )


@bp.route("/scan")
@login_required
def scan() -> Response | str:
    """Type or scan a code (a wedge scanner types it and presses Enter) to open it."""
    raw = request.args.get("code", "").strip()
    if raw:
        try:
            return redirect(_page_of(scanning.resolve(current_user, raw)))
        except DomainError as error:
            flash(describe(error), "error")
    return render_template("scan.html", last=raw[:200])


@bp.route("/s/<code>")
@login_required
def scanned(code: str) -> Response:
    """What a phone camera opens from a label."""
    try:
        return redirect(_page_of(scanning.resolve(current_user, code)))
    except NotFound:
        abort(404)


def _page_of(found: scanning.Scan) -> str:
    if isinstance(found.object, Item):
        return url_for("web.item", code=found.code)
    if found.kind == "checkout":
        return url_for("checkout_pages.detail", number=found.code)
    if found.kind == "handover":
        return url_for("handover_pages.detail", number=found.code)
    if found.kind == "disposition":
        return url_for("disposition_pages.detail", number=found.code)
    return url_for("web.location", code=found.code)
