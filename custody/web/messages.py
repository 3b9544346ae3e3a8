"""Error messages in the user's language.

Services and schemas speak English to API clients (their texts are part of the
contract's ``detail`` and ``errors``). A keeper or handler reading a page needs
their own language, so the web layer translates by error *code* and by the
shape of a validation message, and falls back to the English text only for a
message it does not know yet.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from custody.errors import DomainError
from custody.web.labels import HANDOVER_STATUSES

# Exact validation messages (marshmallow's and the services') → what a person should read.
_EXACT = {
    "Missing data for required field.": _l("Required."),
    "Field may not be null.": _l("Required."),
    "Required": _l("Required."),
    "Must not be blank": _l("Required."),
    "Not a valid number.": _l("Enter a number, for example 2 or 1.5."),
    "Special numeric values (nan or infinity) are not permitted.": _l("Enter a number, for example 2 or 1.5."),
    "Not a valid datetime.": _l("Enter a date and time."),
    "Not a valid aware datetime.": _l("Enter a date and time."),
    "Not a valid string.": _l("Enter text."),
    "Not a valid list.": _l("Choose from the listed options."),
    "Seizure time is in the future": _l("The seizure time is in the future."),
    "Contains control characters": _l("Contains characters that are not allowed."),
    "A case with this number exists": _l("A case with this number already exists."),
    "Already exists": _l("Already exists."),
    "Must not be the username": _l("Must not be the username."),
    "Too common: choose one that is not on lists of common passwords": _l(
        "Too common: this password is on lists that attackers try first. Choose another."
    ),
    "Wrong password": _l("Wrong password."),
    "Must differ from the current password": _l("Must differ from the current password."),
}


def _number(text: str) -> str:
    """``1E+12`` → ``1,000,000,000,000``: limits as people write them."""
    try:
        return format(Decimal(text), ",f")
    except InvalidOperation:
        return text


_PATTERNS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"^Length must be between 1 and (\d+)\.$"), lambda m: _("Required, at most %(n)s characters.", n=m[1])),
    (
        re.compile(r"^(?:Longer than maximum length|At most) (\d+)(?: characters)?\.?$"),
        lambda m: _("At most %(n)s characters.", n=m[1]),
    ),
    (re.compile(r"^Must be one of: .*$"), lambda m: _("Choose from the listed options.")),
    (re.compile(r"^At least (\d+) characters$"), lambda m: _("At least %(n)s characters.", n=m[1])),
    (
        re.compile(r"^Must be greater than 0 and less than or equal to (\S+)\.$"),
        lambda m: _("Must be more than 0 and at most %(max)s.", max=_number(m[1])),
    ),
    (
        re.compile(r"^Must be greater than or equal to 0 and less than or equal to (\S+)\.$"),
        lambda m: _("Must be 0 or more and at most %(max)s.", max=_number(m[1])),
    ),
]


def field_message(message: str) -> str:
    """One validation message, translated when its shape is known."""
    known = _EXACT.get(message)
    if known is not None:
        return str(known)
    for pattern, render in _PATTERNS:
        match = pattern.match(message)
        if match:
            return render(match)
    return message


def field_messages(messages: Any) -> list[str]:
    """Flatten marshmallow's nesting (``{"flags": {0: [...]}}``) into translated sentences, without repeats."""
    flat: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            text = field_message(value)
            if text not in flat:
                flat.append(text)
        elif isinstance(value, Mapping):
            for inner in value.values():
                walk(inner)
        elif isinstance(value, Iterable):
            for inner in value:
                walk(inner)

    walk(messages)
    return flat


def field_errors(errors: Mapping[str, Any] | None) -> dict[str, list[str]]:
    """``{"case_no": ["Required"]}`` → ``{"case_no": ["必填。"]}``."""
    return {str(field): field_messages(messages) for field, messages in (errors or {}).items()}


_BY_CODE = {
    "invalid_input": _l("Some entries are not valid."),
    "malformed_code": _l("This is not a code of this system."),
    "bad_check_character": _l("The code's check character does not match: it was probably mistyped or misread."),
    "not_found": _l("Not found, or you may not see it."),
    "unknown_code": _l("No item or location with this code that you may see."),
    "unauthorized": _l("Please sign in."),
    "forbidden": _l("You are not allowed to do this."),
    "wrong_agency": _l("Your agency may not do this: the case is held by another agency."),
    "conflict": _l("This conflicts with the current records."),
    "case_exists": _l("A case with this number already exists."),
    "invalid_state": _l("Not allowed in the item's current state."),
    "items_unavailable": _l("Some items are unavailable."),
    "handover_open": _l("The case already has an open handover."),
    "duplicate": _l("Already exists."),
    "too_many_attempts": _l("Too many failed sign-ins. Wait a moment and try again."),
    "password_change_required": _l("Choose a new password first."),
}


def describe(error: DomainError) -> str:
    """A domain error as one sentence in the user's language."""
    known = _BY_CODE.get(error.code)
    return str(known) if known is not None else _("The request was not accepted.")


_BY_STATUS = {
    400: _l("The request was not understood."),
    403: _l("You are not allowed to do this."),
    404: _l("Not found, or you may not see it."),
    405: _l("This page cannot be used this way."),
    413: _l("The upload is too large."),
    422: _l("Some entries are not valid."),
    429: _l("Too many requests; wait a moment and try again."),
}


def describe_status(status: int) -> str:
    """A plain sentence for an HTTP error page, instead of werkzeug's English description."""
    known = _BY_STATUS.get(status)
    if known is not None:
        return str(known)
    return _("Something went wrong; it has been logged.") if status >= 500 else _("The request was not accepted.")


# The handover services' English (custody/services/handovers/), as a person reads it. The lead
# sentence comes from the error's detail, then one sentence per field or item message it carries.
def _status(text: str) -> str:
    return str(HANDOVER_STATUSES.get(text, text))


_HANDOVER_LEADS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (
        re.compile(r"^Case .+ already has open handover (\S+)$"),
        lambda m: _(
            "The case already has an open handover, %(number)s: it must be decided or cancelled first.", number=m[1]
        ),
    ),
    (
        re.compile(r"^Case .+ got another open handover just now; reload it$"),
        lambda m: _("Someone requested a handover of this case just now; reload the page."),
    ),
    (
        re.compile(r"^Handover \S+ is (\w+); it can be accepted once checked$"),
        lambda m: _(
            "The handover can be accepted once the keeper has checked the items; it is %(status)s now.",
            status=_status(m[1]),
        ),
    ),
    (
        re.compile(r"^Handover \S+ is (\w+); a receipt is issued once it is decided$"),
        lambda m: _("A receipt is issued once the handover is decided; it is %(status)s now.", status=_status(m[1])),
    ),
    (
        re.compile(r"^Handover \S+ has already been decided: (\w+)$"),
        lambda m: _("This handover was already decided: it is %(status)s. Reload the page.", status=_status(m[1])),
    ),
    (
        re.compile(r"^Handover \S+ is (\w+)$"),
        lambda m: _("Not possible now: the handover is %(status)s.", status=_status(m[1])),
    ),
    (
        re.compile(r"^Not on a shelf of the centre \(not in storage\), so not present: .*$"),
        lambda m: _("Only items on a shelf of the centre can be found present."),
    ),
    (
        re.compile(r"^Handover \S+ changed just now; reload it$"),
        lambda m: _("Someone else acted on this handover just now; reload the page."),
    ),
    (
        re.compile(r"^Items of handover \S+ changed since the request; reload it$"),
        lambda m: _("Items of this handover changed since it was requested; reload the page."),
    ),
    (
        re.compile(r"^Case .+ is no longer held by (\S+)$"),
        lambda m: _("The case is no longer held by %(agency)s.", agency=m[1]),
    ),
    (
        re.compile(r"^Only (\S+) may do this for handover \S+, not \S+$"),
        lambda m: _("Only %(agency)s may take this step of the handover.", agency=m[1]),
    ),
]
_HANDOVER_EXACT = {
    "A case cannot be handed over to the agency holding it": _l(
        "Choose an agency other than the one holding the case."
    ),
    "Say why the handover is rejected": _l("Say why the handover is rejected."),
    "In another open handover since a moment ago; reload and try again": _l(
        "Some items were put in another handover just now; reload the page and try again."
    ),
}
_HANDOVER_DETAILS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"^No agency (.*)$"), lambda m: _("There is no agency %(code)s.", code=m[1])),
    (
        re.compile(r"^(\S+) does not hold cases$"),
        lambda m: _("%(code)s does not hold cases: choose a police, procuratorate or court agency.", code=m[1]),
    ),
    (re.compile(r"^At most (\d+)$"), lambda m: _("At most %(n)s items at once.", n=m[1])),
    (re.compile(r"^(\S+) is not an item of case .+$"), lambda m: _("%(code)s is not an item of this case.", code=m[1])),
    (re.compile(r"^(\S+) is disposed$"), lambda m: _("%(code)s has been disposed of.", code=m[1])),
    (re.compile(r"^(\S+) is checked out$"), lambda m: _("%(code)s is checked out.", code=m[1])),
    (
        re.compile(r"^(\S+) in open check-out (\S+)$"),
        lambda m: _("%(code)s is in check-out %(number)s.", code=m[1], number=m[2]),
    ),
    (
        re.compile(r"^(\S+) in open handover (\S+)$"),
        lambda m: _("%(code)s is in handover %(number)s.", code=m[1], number=m[2]),
    ),
    (
        re.compile(r"^(\S+) in open disposition (\S+)$"),
        lambda m: _("%(code)s is in disposition %(number)s.", code=m[1], number=m[2]),
    ),
    (
        re.compile(r"^(\S+) is already in the custody of (\S+)$"),
        lambda m: _("%(code)s is already in the custody of %(agency)s.", code=m[1], agency=m[2]),
    ),
    (
        re.compile(r"^(\S+) is not among the items handed over$"),
        lambda m: _("%(code)s is marked to move with the case but is not ticked to be handed over.", code=m[1]),
    ),
    (
        re.compile(r"^(\S+) is not in storage: take it in first$"),
        lambda m: _("%(code)s is not on a shelf, so it cannot move with the case: take it in first.", code=m[1]),
    ),
    (
        re.compile(r"^(\S+) is not in storage$"),
        lambda m: _("%(code)s is not on a shelf of the centre (never taken in, or out): mark it missing.", code=m[1]),
    ),
    (re.compile(r"^(\S+) is not in this handover$"), lambda m: _("%(code)s is not in this handover.", code=m[1])),
    (re.compile(r"^(\S+) is listed twice$"), lambda m: _("%(code)s is listed twice.", code=m[1])),
]
SHOWN_DETAILS = 10  # a refusal naming thousands of items names the first few and counts the rest


def _handover_detail(text: str, code: str | None) -> str:
    if text == "Give the reason for rejecting this item":
        return (
            _("Give the reason for rejecting %(code)s.", code=code) if code else _("Give the reason for rejecting it.")
        )
    known = _HANDOVER_EXACT.get(text)
    if known is not None:
        return str(known)
    for pattern, render in _HANDOVER_DETAILS:
        match = pattern.match(text)
        if match:
            return render(match)
    return field_message(text)


def describe_handover(error: DomainError, rejected: Sequence[str] = ()) -> str:
    """A handover service's refusal in the user's language: what went wrong, then what it names.

    ``rejected`` are the codes of an acceptance's rejections in the order sent, so that row 2 of
    ``{"reject": {"2": {"reason": [...]}}}`` ("give the reason") can say which item it means.
    """
    lead = next((render(m) for pattern, render in _HANDOVER_LEADS if (m := pattern.match(error.detail))), None)
    details: list[str] = []
    for code, text in _handover_messages(error.errors or {}, rejected):
        said = _handover_detail(text, code)
        if said not in details:
            details.append(said)
    if len(details) > SHOWN_DETAILS:
        more = len(details) - SHOWN_DETAILS
        details = [*details[:SHOWN_DETAILS], ngettext("… and %(num)d more.", "… and %(num)d more.", more)]
    return " ".join([lead or describe(error), *details])


def _handover_messages(errors: Mapping[str, Any], rejected: Sequence[str]) -> list[tuple[str | None, str]]:
    """(the item a message is about when known, the message), rejections' rows resolved to their codes."""
    found: list[tuple[str | None, str]] = []
    for key, messages in errors.items():
        rows = messages if key == "reject" and isinstance(messages, Mapping) else {"": messages}
        for index, inner in rows.items():
            position = int(str(index)) if str(index).isdigit() else len(rejected)
            code = rejected[position] if position < len(rejected) else None
            found.extend((code, text) for text in _flat(inner))
    return found


def _flat(messages: Any) -> list[str]:
    if isinstance(messages, str):
        return [messages]
    if isinstance(messages, Mapping):
        return [text for inner in messages.values() for text in _flat(inner)]
    if isinstance(messages, Iterable):
        return [text for inner in messages for text in _flat(inner)]
    return []
