"""Check-out pages: what is out and when it is due, and one page per check-out with the step the user may take.

The request form is reached from a case page (the ticked items of form#item-selection are posted here,
which only fills the form in); creating needs the form's own submit. Release and return work by scanning
(static/js/checkout.js, through the API); without JavaScript the same steps are plain forms posted here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from custody.errors import DomainError, InvalidInput, ItemsUnavailable, NotFound
from custody.models import Checkout, CheckoutStatus, Item, Role
from custody.services import cases, checkouts, items
from custody.web import labels
from custody.web.messages import describe, field_messages

bp = Blueprint("checkout_pages", __name__)
LIST_LIMIT = 200
FORM_FIELDS = ("items", "purpose", "due_at", "taken_by", "note")

# The services' English messages for this area, as a person reads them (others go through messages.py).
_MESSAGES = {
    "Must be in the future": _l("The due time must be in the future."),
    "Not an active user of your agency": _l("Choose a person of your agency."),
    "All items must belong to one case": _l("All items must belong to one case."),
    "At least one item": _l("Choose at least one item."),
    "Give a time with its offset": _l("Enter a date and time."),
}
_PATTERNS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (
        re.compile(r"^(\S+) already in open check-out (\S+)$"),
        lambda m: _("%(code)s is already in check-out %(number)s.", code=m[1], number=m[2]),
    ),
    (
        re.compile(r"^(\S+) is (\w+), not in storage$"),
        lambda m: _("%(code)s is not in storage (%(status)s).", code=m[1], status=labels.STATUSES.get(m[2], m[2])),
    ),
    (
        re.compile(r"^(\S+) in open handover (\S+): .+$"),
        lambda m: _(
            "%(code)s is in handover %(number)s and stays on its shelf until that is decided.", code=m[1], number=m[2]
        ),
    ),
    (
        re.compile(r"^(\S+) in open disposition (\S+): .+$"),
        lambda m: _(
            "%(code)s is in disposition %(number)s and stays on its shelf until it is executed.", code=m[1], number=m[2]
        ),
    ),
    (re.compile(r"^Not scanned: (.+)$"), lambda m: _("Not scanned: %(codes)s", codes=m[1])),
    (re.compile(r"^Not in this check-out: (.+)$"), lambda m: _("Not in this check-out: %(codes)s", codes=m[1])),
]


def _say(messages: Any) -> list[str]:
    """Validation messages in the user's language."""
    said = []
    for text in field_messages(messages):
        known = _MESSAGES.get(text)
        if known is None:
            match = next(((m, render) for pattern, render in _PATTERNS if (m := pattern.match(text))), None)
            known = match[1](match[0]) if match else text
        said.append(str(known))
    return said


def _field_errors(error: DomainError) -> dict[str, list[str]]:
    errors = {str(k): _say(v) for k, v in (error.errors or {}).items() if k in FORM_FIELDS}
    if isinstance(error, NotFound):  # an item code the user may not see, or that does not exist
        codes = error.detail.removeprefix("No item ")
        errors["items"] = [_("No item with this code that you may see: %(codes)s", codes=codes)]
    return errors


def _flash_error(error: DomainError) -> None:
    """One sentence, plus what the error names (items refused, scans that do not match)."""
    detail = _say((error.errors or {}).get("items", [])) if isinstance(error, ItemsUnavailable | InvalidInput) else []
    flash(" ".join([describe(error), *detail]), "error")


@bp.route("/checkouts")
@login_required
def index() -> str:
    """What is out and when it is due; what waits for me."""
    user = current_user
    mine = waiting = to_release = None
    if user.has_role(Role.APPROVER):
        waiting = checkouts.list_checkouts(
            user, status=CheckoutStatus.REQUESTED, agency=user.agency.code, limit=LIST_LIMIT
        ).items
    if user.has_role(Role.KEEPER):
        to_release = checkouts.list_checkouts(user, status=CheckoutStatus.APPROVED, limit=LIST_LIMIT).items
    if user.has_role(Role.HANDLER):
        open_ = [CheckoutStatus.REQUESTED, CheckoutStatus.APPROVED, *checkouts.OUT]
        mine = checkouts.list_checkouts(user, status=open_, requested_by=user.username, limit=LIST_LIMIT).items
    return render_template(
        "checkouts/index.html",
        out=checkouts.out_by_due(user, LIST_LIMIT),
        waiting=waiting,
        to_release=to_release,
        mine=mine,
        can_request=user.has_role(Role.HANDLER),
        is_overdue=checkouts.is_overdue,
    )


def _local_due(text: str) -> datetime | None:
    """A ``datetime-local`` value is the centre's wall time; None when it is not a time (the form says so)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(current_app.config["CUSTODY_TIMEZONE"]))
    return moment


def _chosen(codes: list[str]) -> tuple[list[Item], list[str]]:
    """The items behind the codes the user may see (for the form's list), and the codes that name nothing."""
    found, unknown = [], []
    for code in codes[: checkouts.MAX_ITEMS]:
        try:
            found.append(items.get_item(current_user, code))
        except NotFound:
            unknown.append(code)
    return found, unknown


@bp.route("/checkouts/new", methods=["GET", "POST"])
@login_required
def new() -> Response | str:
    """The request form; a POST from a case page's item selection only fills it in."""
    form = request.form if request.method == "POST" else request.args
    codes = checkouts.normal_codes([*form.getlist("items"), *form.get("more_items", "").split()])
    values = {name: form.get(name, "") for name in ("purpose", "due_at", "taken_by", "note")}
    values["taken_by"] = values["taken_by"] or current_user.username
    errors: dict[str, list[str]] = {}
    if request.method == "POST" and form.get("step") == "create":
        due = _local_due(values["due_at"]) if values["due_at"] else None
        if values["due_at"] and due is None:
            errors["due_at"] = [_("Enter a date and time.")]
        else:
            try:
                created = checkouts.request_checkout(
                    current_user, codes, values["purpose"], due, values["taken_by"], values["note"]
                )
            except DomainError as error:
                errors = _field_errors(error)
                if not errors or not isinstance(error, InvalidInput | NotFound):
                    _flash_error(error)
            else:
                flash(_("Check-out %(number)s requested; it now waits for approval.", number=created.number), "ok")
                return redirect(url_for("checkout_pages.detail", number=created.number))
    chosen, unknown = _chosen(codes)
    return render_template(
        "checkouts/new.html",
        chosen=chosen,
        more_items=" ".join(unknown),
        values=values,
        errors=errors,
        purposes=checkouts.REQUESTABLE,
        takers=checkouts.takers(current_user) if current_user.has_role(Role.HANDLER) else [],
        can_request=current_user.has_role(Role.HANDLER),
        back=form.get("next") if (form.get("next") or "").startswith("/cases/") else None,
    )


def _may(user: Any, checkout: Checkout) -> dict[str, bool]:
    """Which step this user may take now (the service decides again when it is taken)."""
    own = user.agency_id == checkout.agency_id
    keeper = user.has_role(Role.KEEPER)
    return {
        "approve": own and user.has_role(Role.APPROVER) and checkout.status == CheckoutStatus.REQUESTED,
        "cancel": own
        and user.has_role(Role.HANDLER, Role.APPROVER)
        and checkout.status in (CheckoutStatus.REQUESTED, CheckoutStatus.APPROVED),
        "release": keeper and checkout.status == CheckoutStatus.APPROVED,
        "return": keeper and checkout.status in checkouts.OUT,
    }


@bp.route("/checkouts/<number>")
@login_required
def detail(number: str) -> str:
    """One check-out: its items, its steps so far, and what the user may do now."""
    checkout = checkouts.get_checkout(current_user, number)
    try:
        cases.get_case(current_user, checkout.case.case_no)
        case_visible = True
    except NotFound:
        case_visible = False
    return render_template(
        "checkouts/detail.html",
        checkout=checkout,
        may=_may(current_user, checkout),
        overdue=checkouts.is_overdue(checkout),
        state=lambda line: checkouts.line_state(checkout, line),
        case_visible=case_visible,
    )


def _act(number: str, step: Callable[[], Checkout], done: str) -> Response:
    try:
        step()
    except DomainError as error:
        _flash_error(error)
    else:
        flash(done, "ok")
    return redirect(url_for("checkout_pages.detail", number=number))


@bp.route("/checkouts/<number>/approve", methods=["POST"])
@login_required
def approve(number: str) -> Response:
    """Approve (approver of the requesting agency)."""
    return _act(number, lambda: checkouts.approve_checkout(current_user, number), _("Check-out approved."))


@bp.route("/checkouts/<number>/cancel", methods=["POST"])
@login_required
def cancel(number: str) -> Response:
    """Withdraw before release."""
    return _act(number, lambda: checkouts.cancel_checkout(current_user, number), _("Check-out cancelled."))


@bp.route("/checkouts/<number>/release", methods=["POST"])
@login_required
def release(number: str) -> Response:
    """Release with the codes typed or scanned into the form (the page's scanner calls the API instead)."""
    scanned = request.form.get("codes", "").split()
    return _act(
        number,
        lambda: checkouts.release_checkout(current_user, number, scanned),
        _("Released: the items are checked out."),
    )


@bp.route("/checkouts/<number>/return", methods=["POST"])
@login_required
def return_items(number: str) -> Response:
    """Take the ticked items back, noting the seal."""
    chosen = request.form.getlist("items")
    return _act(
        number,
        lambda: checkouts.return_items(
            current_user,
            number,
            chosen,
            seal_intact=request.form.get("seal_intact") == "1",
            note=request.form.get("note"),
        ),
        _("Items returned to storage."),
    )
