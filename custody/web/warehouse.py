"""The keepers' floor pages: the intake desk, put-away and moves, the location tree.

Each page works without JavaScript (plain forms, POST then redirect); with it,
static/js/intake.js and static/js/move.js act on each scan through the JSON API
and window.Scanner, and the intake desk fetches the item's card from
``/intake/card/<code>``, rendered here, so a page and a scan show the same thing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from custody import codes
from custody.errors import DomainError, InvalidInput
from custody.models import Item, Location, LocationKind, Role
from custody.services import access, items, locations, scanning, warehouse
from custody.web.labels import LOCATION_KINDS
from custody.web.messages import describe, field_messages

bp = Blueprint("floor", __name__)


@bp.app_context_processor
def _location_helpers() -> dict[str, Any]:
    """For templates/location.html, whose view (web.location) is not ours: breadcrumbs and the subtree count."""
    return {"location_trail": locations.ancestors, "location_counts": locations.counted}


def _keeper() -> None:
    access.require_role(current_user, Role.KEEPER)


# ---- the intake desk ------------------------------------------------------------------------------------


def _card_context(item: Item) -> dict[str, Any]:
    return {
        "item": item,
        "late": item.status == "registered" and warehouse.would_be_late(item),
        "due": warehouse.due_by(item),
        "places": locations.flatten(locations.tree(counted=False)),
    }


@bp.route("/intake")
@login_required
def intake() -> str:
    """The intake desk: scan an item, check it against its record and seal, then scan where it goes."""
    _keeper()
    raw = request.args.get("code", "").strip()
    context: dict[str, Any] = {}
    if raw:
        try:
            found = scanning.resolve(current_user, raw)
        except DomainError as error:
            flash(describe(error), "error")
        else:
            if isinstance(found.object, Item):
                context = _card_context(found.object)
            else:
                flash(_("That is a location label: scan the item first, then its location."), "error")
    return render_template("warehouse/intake.html", **context)


@bp.route("/intake/card/<code>")
@login_required
def intake_card(code: str) -> str:
    """The item's card as an HTML fragment, for the desk's script to show after a scan."""
    _keeper()
    return render_template("warehouse/_intake_card.html", **_card_context(items.get_item(current_user, code)))


@bp.route("/intake/<code>", methods=["POST"])
@login_required
def intake_item(code: str) -> Response:
    """Take the item in from the desk's form (the way without JavaScript)."""
    form = request.form
    back = redirect(url_for("floor.intake", code=code))
    seal_intact, note = bool(form.get("seal_intact")), form.get("note", "").strip()
    if not form.get("matches_description"):
        flash(_("Confirm that the item matches its description first."), "error")
        return back
    if not seal_intact and not note:
        flash(_("Tick “seal intact”, or describe the state of the seal in the note."), "error")
        return back
    location = form.get("location_code", "").strip() or form.get("location", "")
    try:
        item = warehouse.intake(current_user, code, location=location, seal_intact=seal_intact, note=note or None)
    except DomainError as error:
        flash(_explain(error), "error")
        return back
    place = item.location.name if item.location else ""
    flash(_("%(name)s (%(code)s) is now in storage on %(place)s.", name=item.name, code=item.code, place=place), "ok")
    if item.late_intake:
        flash(_("The intake was later than the deadline and is marked late."), "info")
    return redirect(url_for("floor.intake"))


# ---- put-away and moves ---------------------------------------------------------------------------------


@bp.route("/move", methods=["GET", "POST"])
@login_required
def move() -> Response | str:
    """Put-away: scan a location (the target), then the items to put there; another location changes the target."""
    _keeper()
    wanted = request.values.get("location", "").strip()
    target = locations.find(codes.extract(wanted)) if wanted else None
    if wanted and target is None:
        flash(_("No location with this code."), "error")
    if request.method == "POST":
        target = _move_scan(request.form.get("code", "").strip(), target)
        return redirect(url_for("floor.move", location=target.code if target else None))
    return render_template(
        "warehouse/move.html",
        target=locations.counted(target) if target else None,
        trail=locations.ancestors(target) if target else [],
    )


def _move_scan(raw: str, target: Location | None) -> Location | None:
    """One scan on the put-away form: a location becomes the target, an item is moved to it. Returns the target."""
    if not raw:
        return target
    try:
        found = scanning.resolve(current_user, raw)
        if isinstance(found.object, Location):
            flash(_("Putting away on %(place)s.", place=found.object.name), "ok")
            return found.object
        if target is None:
            flash(_("Scan the location first, then the items to put there."), "error")
            return None
        item = warehouse.move(current_user, found.code, location=target.code)
    except DomainError as error:
        flash(_explain(error), "error")
        return target
    flash(_("%(name)s (%(code)s) moved to %(place)s.", name=item.name, code=item.code, place=target.name), "ok")
    return target


# ---- the location tree ----------------------------------------------------------------------------------

FORM_FIELDS = ("name", "kind", "parent", "code")


@bp.route("/locations", methods=["GET", "POST"], endpoint="locations")
@login_required
def locations_page() -> Response | str:
    """Every location as a tree with its item counts, and (keepers, admins) a form that adds one."""
    values = {"parent": request.args.get("parent", "").strip().upper()}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = {name: request.form.get(name, "").strip() for name in FORM_FIELDS}
        try:
            created = locations.create_location(
                current_user,
                name=values["name"],
                kind=values["kind"],
                code=values["code"] or None,
                parent=values["parent"] or None,
            )
        except DomainError as error:
            errors = location_errors(error.errors)
            flash(
                _("The location was not added: correct the fields marked below.") if errors else describe(error),
                "error",
            )
        else:
            flash(_("Location %(name)s (%(code)s) added.", name=created.name, code=created.code), "ok")
            return redirect(url_for("floor.locations") + f"#loc-{created.code}")
    nodes = locations.tree()
    return render_template(
        "warehouse/locations.html",
        nodes=nodes,
        places=locations.flatten(nodes),
        kinds=list(LocationKind),
        can_add=current_user.has_role(Role.KEEPER, Role.ADMIN),
        values=values,
        errors=errors,
    )


def _kind_list(text: str) -> str:
    """``"warehouse, zone"`` → "仓库或库区"."""
    names = [str(LOCATION_KINDS.get(kind, kind)) for kind in text.split(", ")]
    return _("%(first)s or %(second)s", first=names[0], second=names[1]) if len(names) == 2 else names[0]


# services/locations.py speaks English to API clients; a keeper reads the same refusals in their language.
_LOCATION_MESSAGES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"^Required, at most (\d+) characters$"), lambda m: _("Required, at most %(n)s characters.", n=m[1])),
    (re.compile(r"^One of "), lambda m: _("Choose from the listed options.")),
    (re.compile(r"^Use up to 40 "), lambda m: _("Use up to 40 capital letters, digits, “.”, “-” or “_”.")),
    (re.compile(r"^Looks like an? \w+ code"), lambda m: _("This looks like the code of another kind of label.")),
    (re.compile(r"^No location "), lambda m: _("No location with this code.")),
    (re.compile(r"^An? \w+ goes in: none$"), lambda m: _("A warehouse is not inside another location.")),
    (
        re.compile(r"^An? (\w+) goes in: (.+)$"),
        lambda m: _("A %(kind)s goes in a %(parents)s.", kind=LOCATION_KINDS.get(m[1], m[1]), parents=_kind_list(m[2])),
    ),
]


def location_errors(errors: Mapping[str, Any] | None) -> dict[str, list[str]]:
    """The services' field errors for the location form, translated."""
    return {
        str(name): [
            text for message in (messages if isinstance(messages, list) else [messages]) for text in _say(message)
        ]
        for name, messages in (errors or {}).items()
    }


def _say(message: Any) -> list[str]:
    for pattern, render in _LOCATION_MESSAGES:
        match = pattern.match(str(message))
        if match:
            return [render(match)]
    return field_messages(message)


def _explain(error: DomainError) -> str:
    """A refusal on the desk or the put-away form: name the field when the service named one."""
    if isinstance(error, InvalidInput) and error.errors:
        if "location" in error.errors:
            return _("No location with this code.")
        return " ".join(text for texts in location_errors(error.errors).values() for text in texts)
    return describe(error)
