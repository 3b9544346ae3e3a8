"""Error messages in the user's language.

Services and schemas speak English to API clients (their texts are part of the
contract's ``detail`` and ``errors``). A keeper or handler reading a page needs
their own language, so the web layer translates by error *code* and by the
shape of a validation message, and falls back to the English text only for a
message it does not know yet.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from custody.errors import DomainError

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
