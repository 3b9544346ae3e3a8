"""The auditors' workspace: the ledger browser with filters, one entry's page, verification, CSV exports.

Every signed-in user may browse: the pages show only the entries ``access.entry_filter``
lets them see (auditors: all). Verification is for auditors and administrators; the entries'
CSV for auditors, the holdings' CSV for auditors and keepers (the API checks the same).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from custody.codes import extract
from custody.codes import parse as parse_code
from custody.errors import BadCheckCharacter, DomainError, InvalidInput, MalformedCode
from custody.ledger.kinds import EntryKind
from custody.models import Role
from custody.services import access, ledger_view, people
from custody.services.ledger_view import EntryFilter
from custody.services.pagination import parse_cursor
from custody.web import labels, timeline
from custody.web.messages import describe

bp = Blueprint("audit_pages", __name__)
PAGE_SIZE = 50
SHOWN_CODES = 6  # a row lists a few item codes; the entry's page lists them all
LISTED_CODES = 2000  # the entry's page stops there (an act can cover tens of thousands of items)
SHOWN_BODY = 64 * 1024  # characters of the stored body shown on the entry's page
HISTORY = 20  # verifications listed
TEXT_FILTERS = ("agency", "kind", "case_no", "item", "actor")
# Why verification stopped (custody.ledger.verify), in words an auditor can act on.
REASONS = {
    "hash_mismatch": _l("The entry's text does not match its hash: it was changed after it was written."),
    "link_mismatch": _l("The entry does not point to the hash of the entry before it."),
    "index_mismatch": _l(
        "The entry's searchable columns (time, kind, actor, case) or its item index differ from its hashed text."
    ),
    "missing_entry": _l("An entry is missing, or the entries are out of order."),
    "checkpoint_mismatch": _l("A stored checkpoint does not match the ledger."),
}


@dataclass
class Filters:
    """The browser's form as typed (``values``, to fill the form and the links) and as understood (``where``)."""

    values: dict[str, str] = field(default_factory=dict)
    where: EntryFilter = ledger_view.ANY
    errors: dict[str, str] = field(default_factory=dict)

    def api_args(self) -> dict[str, str]:
        """The same filters for the API (the CSV link): times in UTC with their offset."""
        args = {name: str(getattr(self.where, name)) for name in TEXT_FILTERS if getattr(self.where, name)}
        if self.where.since is not None:
            args["from"] = self.where.since.astimezone(UTC).isoformat()
        if self.where.until is not None:
            args["to"] = self.where.until.astimezone(UTC).isoformat()
        return args


def _local(text: str) -> datetime | None:
    """A ``datetime-local`` value (the centre's wall time) as an aware datetime; None when it is not a time."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(current_app.config["CUSTODY_TIMEZONE"]))
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # year 1 at +08:00 does not exist in UTC
        return None


def parse_filters(args: MultiDict[str, str]) -> Filters:
    """The filters from the query string; a value that cannot be understood is reported and left out."""
    values = {name: args.get(name, "").strip() for name in (*TEXT_FILTERS, "from", "to")}
    if values["item"]:
        values["item"] = extract(values["item"]).upper()  # a scanned label URL or a lower-case code
    chosen: dict[str, Any] = {name: values[name] or None for name in TEXT_FILTERS}
    errors: dict[str, str] = {}
    if chosen["kind"] is not None and chosen["kind"] not in set(EntryKind):
        errors["kind"] = _("Unknown kind of entry.")
        chosen["kind"] = None
    if chosen["item"] is not None:
        try:
            parse_code(chosen["item"])
        except BadCheckCharacter:  # a mistyped code would silently match nothing: say so, and keep it in the form
            errors["item"] = _("The code's check character does not match: it was probably mistyped or misread.")
        except MalformedCode:
            errors["item"] = _("This is not a code of this system.")
    for name, attr in (("from", "since"), ("to", "until")):
        if values[name]:
            chosen[attr] = _local(values[name])
            if chosen[attr] is None:
                errors[name] = _("Not a date and time.")
    if chosen.get("since") and chosen.get("until") and chosen["since"] >= chosen["until"]:
        errors["to"] = _("Must be later than “Time from”.")
        chosen["until"] = None
    return Filters(values, EntryFilter(**chosen), errors)


def _cursor(name: str) -> int | None:
    try:
        return parse_cursor(request.args.get(name))
    except InvalidInput:
        return None  # a mangled link: start from the newest entries


@dataclass(frozen=True)
class Row:
    entry: Any
    title: str
    codes: list[str]


def _rows(entries: list[Any]) -> list[Row]:
    out = []
    for e in entries:
        _data, codes = timeline.entry_body(e)
        out.append(Row(e, str(labels.ENTRY_KINDS.get(e.kind, e.kind)), codes))
    return out


@bp.route("/audit/ledger")
@login_required
def ledger() -> str:
    """The ledger, newest first, filtered by agency, kind, case, item, actor and time; older and newer pages."""
    filters = parse_filters(request.args)
    for message in filters.errors.values():
        flash(message, "error")
    try:
        window = ledger_view.browse(
            current_user, filters.where, before=_cursor("before"), after=_cursor("after"), limit=PAGE_SIZE
        )
    except DomainError as error:
        flash(describe(error), "error")
        window = ledger_view.Window([], None, None)
    kept = {k: v for k, v in filters.values.items() if v and k not in filters.errors}
    return render_template(
        "audit/ledger.html",
        rows=_rows(list(window.entries)),
        window=window,
        values=filters.values,
        errors=filters.errors,
        kept=kept,
        filtered=filters.where.active(),
        csv_args=filters.api_args(),
        kinds=list(EntryKind),
        agencies=people.list_agencies(),
        shown_codes=SHOWN_CODES,
        link_cases=access.is_auditor(current_user) or not access.is_centre_keeper(current_user),
        can_verify=current_user.has_role(Role.AUDITOR, Role.ADMIN),
        can_export_entries=current_user.has_role(Role.AUDITOR),
        can_export_holdings=current_user.has_role(Role.AUDITOR, Role.KEEPER),
        zone=current_app.config["CUSTODY_TIMEZONE"],
    )


@bp.route("/audit/ledger/<int:seq>")
@login_required
def entry(seq: int) -> str:
    """One entry as a timeline entry, with every item it names and the exact text that was hashed."""
    found = ledger_view.entry(current_user, seq)
    _data, codes = timeline.entry_body(found)
    (shown,) = timeline.build([found])
    return render_template(
        "audit/entry.html",
        entry=found,
        shown=replace(shown, item_codes=[], more_items=0),
        codes=codes[:LISTED_CODES],
        more_codes=max(0, len(codes) - LISTED_CODES),
        body=found.body[:SHOWN_BODY],
        body_cut=len(found.body) > SHOWN_BODY,
        link_cases=access.is_auditor(current_user) or not access.is_centre_keeper(current_user),
    )


@bp.route("/audit/verify", methods=["GET", "POST"])
@login_required
def verify() -> Response | str:
    """Recompute the whole chain (POST), then show the latest result and the verifications before it."""
    access.require_role(current_user, Role.AUDITOR, Role.ADMIN)
    if request.method == "POST":
        result = ledger_view.verify(current_user)
        if result.ok:
            flash(_("The ledger is intact: %(n)d entries checked.", n=result.checked), "ok")
        else:
            flash(_("The ledger has been tampered with: entry no. %(seq)s fails.", seq=result.first_bad_seq), "error")
        return redirect(url_for("audit_pages.verify"))
    history = ledger_view.checks(HISTORY)
    return render_template(
        "audit/verify.html",
        latest=history[0] if history else None,
        history=history,
        head=ledger_view.head(),
        reasons=REASONS,
    )
