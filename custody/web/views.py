"""Pages. Thin: parse the request, call one service, render."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from marshmallow import ValidationError
from werkzeug.wrappers import Response

from custody.api.schemas.items import ItemCreateSchema
from custody.errors import DomainError, InvalidInput, NotFound
from custody.models import Category, Flag, Item, Role
from custody.services import auth, cases, items, locations, scanning
from custody.web.forms import CaseForm, LoginForm
from custody.web.i18n import LANGUAGES
from custody.web.security import safe_next

bp = Blueprint("web", __name__)
ROW_FIELDS = ("name", "category", "quantity", "unit", "seal_no", "seizure_doc_no", "seized_at", "owner_name",
              "estimated_value", "description")


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(current_app.config["CUSTODY_TIMEZONE"])).strftime(fmt)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str:
    """Sign in with username and password."""
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = auth.authenticate(form.username.data or "", form.password.data or "")
        except DomainError:
            flash(_("Wrong username or password."), "error")
        else:
            login_user(user)
            return redirect(safe_next(request.args.get("next")) or url_for("web.dashboard"))
    return render_template("login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    """Sign out."""
    logout_user()
    return redirect(url_for("web.login"))


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str) -> Response:
    """Remember the chosen language for this browser."""
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(safe_next(request.form.get("next")) or url_for("web.dashboard"))


@bp.route("/")
@login_required
def dashboard() -> str:
    """The cases the user may see."""
    page = cases.list_cases(current_user, limit=200)
    return render_template("dashboard.html", cases=page.items, can_open=current_user.has_role(Role.HANDLER))


@bp.route("/cases/new", methods=["GET", "POST"])
@login_required
def new_case() -> Response | str:
    """Open a case."""
    form = CaseForm()
    if form.validate_on_submit():
        try:
            case = cases.open_case(current_user, form.case_no.data or "", form.title.data or "", form.summary.data)
        except InvalidInput as error:
            for field, messages in (error.errors or {}).items():
                getattr(form, field).errors = list(messages)
        except DomainError as error:
            flash(error.detail, "error")
        else:
            return redirect(url_for("web.case", case_no=case.case_no))
    return render_template("case_new.html", form=form)


def rows_from_form(form: Any) -> list[dict[str, Any]]:
    """The non-empty item rows of the registration form, as the API would receive them."""
    tz = ZoneInfo(current_app.config["CUSTODY_TIMEZONE"])
    rows = []
    count = int(form.get("row_count", "0") or 0)
    for i in range(min(count, 200)):
        row = {f: (form.get(f"rows-{i}-{f}") or "").strip() for f in ROW_FIELDS}
        if not any(row.values()):
            continue
        row["flags"] = form.getlist(f"rows-{i}-flags")
        if row["seized_at"]:
            try:  # a datetime-local field has no offset: it is the centre's local time
                row["seized_at"] = datetime.fromisoformat(row["seized_at"]).replace(tzinfo=tz).isoformat()
            except ValueError:
                pass  # the schema reports it
        for optional in ("estimated_value", "seal_no", "owner_name", "description"):
            if not row[optional]:
                row[optional] = None
        rows.append(row)
    return rows


@bp.route("/cases/<path:case_no>", methods=["GET", "POST"])
@login_required
def case(case_no: str) -> Response | str:
    """A case, its items, and the form that registers several items at once."""
    the_case = cases.get_case(current_user, case_no)
    rows: list[dict[str, Any]] = []
    row_errors: dict[str, Any] = {}
    if request.method == "POST":
        rows = rows_from_form(request.form)
        try:
            data = ItemCreateSchema(many=True).load(rows)
            if not data:
                raise InvalidInput(_("Fill in at least one item."))
            created = items.register_items(current_user, case_no, data)
        except ValidationError as error:
            row_errors = {str(k): v for k, v in error.messages.items()}  # type: ignore[union-attr]
        except InvalidInput as error:
            row_errors = error.errors or {}
            if not row_errors:
                flash(error.detail, "error")
        except DomainError as error:
            flash(error.detail, "error")
        else:
            flash(_("%(n)d item(s) registered.", n=len(created)), "ok")
            return redirect(url_for("web.case", case_no=case_no))
        if row_errors:
            flash(_("Nothing was saved: correct the rows marked below."), "error")
    case_items = items.list_items(current_user, case_no=the_case.case_no, limit=1000).items
    can_register = current_user.has_role(Role.HANDLER) and the_case.agency_id == current_user.agency_id
    return render_template(
        "case.html", case=the_case, items=case_items, can_register=can_register, rows=rows or [{}],
        row_errors=row_errors, categories=list(Category), flags=list(Flag),
    )


@bp.route("/items/<code>")
@login_required
def item(code: str) -> str:
    """An item's record and its custody timeline."""
    the_item, entries = items.item_history(current_user, code)
    return render_template("item.html", item=the_item, entries=entries)


@bp.route("/locations/<code>")
@login_required
def location(code: str) -> str:
    """A location, what it contains and how many items are on it."""
    place = locations.get_location(code)
    return render_template(
        "location.html", location=place, children=locations.children(place), count=locations.item_count(place)
    )


@bp.route("/scan")
@login_required
def scan() -> Response | str:
    """Type or scan a code (a wedge scanner types it and presses Enter) to open it."""
    raw = request.args.get("code", "")
    if raw:
        try:
            return redirect(_page_of(scanning.resolve(current_user, raw)))
        except DomainError as error:
            flash(error.detail, "error")
    return render_template("scan.html", last=raw)


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
    return url_for("web.location", code=found.code)
