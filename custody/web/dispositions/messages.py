"""The disposition services' refusals as a person reads them, in their language.

The services speak English to API clients (custody/services/dispositions/acts.py); the pages turn
that English into a lead sentence and one sentence per field or item it names, the way
custody.web.messages does for handovers. A message not known here falls back to the error code's sentence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from custody.errors import DomainError
from custody.web.labels import DISPOSITION_STATUSES, STATUSES
from custody.web.messages import SHOWN_DETAILS, describe, field_message

Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]


def _status(text: str) -> str:
    return str(DISPOSITION_STATUSES.get(text, text))


def _item_status(text: str) -> str:
    return str(STATUSES.get(text, text))


_LEADS: list[Rule] = [
    (
        re.compile(r"^Disposition \S+ changed just now; reload it$"),
        lambda m: _("Someone else acted on this disposition just now; reload the page."),
    ),
    (
        re.compile(r"^Disposition \S+ is (\w+)\b.*$"),
        lambda m: _("Not possible now: the disposition is %(status)s.", status=_status(m[1])),
    ),
    (
        re.compile(r"^Disposition \S+ belongs to (\S+), not \S+$"),
        lambda m: _("Only %(agency)s may take this step of the disposition.", agency=m[1]),
    ),
    (
        re.compile(r"^Only a keeper of the centre executes a disposition$"),
        lambda m: _("Only a keeper of the custody centre executes a disposition."),
    ),
    (
        re.compile(r"^\S+ does not answer for (.+)$"),
        lambda m: _(
            "Your agency is not the custodian of %(codes)s: only the agency answering for items asks for their "
            "disposition.",
            codes=m[1],
        ),
    ),
    (
        re.compile(r"^Some items of disposition \S+ are no longer in storage$"),
        lambda m: _("Some items of this disposition are no longer in storage; nothing was executed. Reload the page."),
    ),
    (
        re.compile(r"^The scanned items do not match the disposition$"),
        lambda m: _("The items scanned out do not match the disposition; nothing was executed."),
    ),
    (
        re.compile(r"^Some items were just put in another disposition: .*$"),
        lambda m: _("Some items were put in another disposition just now; reload the page and try again."),
    ),
    (re.compile(r"^Items of several cases$"), lambda m: _("All items of a disposition must belong to one case.")),
    (re.compile(r"^No items given$"), lambda m: _("Tick at least one item to dispose of.")),
]
_DETAILS: list[Rule] = [
    (re.compile(r"^(\S+) is already disposed$"), lambda m: _("%(code)s has been disposed of.", code=m[1])),
    (
        re.compile(r"^(\S+) is (\w+), not in storage$"),
        lambda m: _("%(code)s is not in storage (%(status)s).", code=m[1], status=_item_status(m[2])),
    ),
    (
        re.compile(r"^(\S+) is in open check-out (\S+)$"),
        lambda m: _("%(code)s is in check-out %(number)s.", code=m[1], number=m[2]),
    ),
    (
        re.compile(r"^(\S+) is in open handover (\S+)$"),
        lambda m: _("%(code)s is in handover %(number)s.", code=m[1], number=m[2]),
    ),
    (
        re.compile(r"^(\S+) is in open disposition (\S+)$"),
        lambda m: _("%(code)s is already in disposition %(number)s.", code=m[1], number=m[2]),
    ),
    (
        re.compile(r"^(\S+) is not flagged perishable or depreciating: no early sale$"),
        lambda m: _(
            "%(code)s is neither perishable nor depreciating: an early sale is only for such items.", code=m[1]
        ),
    ),
    (re.compile(r"^Not scanned: (.+)$"), lambda m: _("Not scanned out yet: %(codes)s.", codes=m[1])),
    (re.compile(r"^Not in this disposition: (.+)$"), lambda m: _("Not in this disposition: %(codes)s.", codes=m[1])),
    (re.compile(r"^At most (\d+) items$"), lambda m: _("At most %(n)s items at once.", n=m[1])),
]
_EXACT = {
    "The judgment or decision this disposition rests on is required": _l(
        "Give the number of the judgment or decision the disposition rests on."
    ),
    "Say to whom the items go": _l("Say to whom the items go."),
    "An early sale needs a reason": _l("Say why the items must be sold before judgment."),
    "At least one item": _l("Tick at least one item to dispose of."),
    "All items must belong to one case": _l("All items of a disposition must belong to one case."),
    "In another open disposition since a moment ago; reload and try again": _l(
        "Some items were put in another disposition just now; reload the page and try again."
    ),
    "Not in this disposition": _l("This item is not in the disposition."),
}
# What the request form calls each field, for messages that name one.
FORM_FIELDS = {
    "kind": _l("Kind of disposition"),
    "basis_doc_no": _l("Legal basis (document number)"),
    "recipient": _l("Recipient"),
    "reason": _l("Reason"),
}


def _detail(text: str) -> str:
    known = _EXACT.get(text)
    if known is not None:
        return str(known)
    for pattern, render in _DETAILS:
        match = pattern.match(text)
        if match:
            return render(match)
    if text.startswith("One of "):
        return _("Choose one of the listed kinds.")
    return field_message(text)


def _flat(messages: Any) -> list[str]:
    if isinstance(messages, str):
        return [messages]
    if isinstance(messages, Mapping):
        return [text for inner in messages.values() for text in _flat(inner)]
    if isinstance(messages, Iterable):
        return [text for inner in messages for text in _flat(inner)]
    return []


def details(errors: Mapping[str, Any] | None) -> list[str]:
    """One sentence per message, a form field's prefixed with its name; a long list names the first few."""
    said: list[str] = []
    for key, messages in (errors or {}).items():
        field = FORM_FIELDS.get(str(key))
        for text in _flat(messages):
            sentence = _detail(text)
            if field is not None:
                sentence = f"{field}: {sentence}"
            if sentence not in said:
                said.append(sentence)
    if len(said) > SHOWN_DETAILS:
        more = len(said) - SHOWN_DETAILS
        said = [*said[:SHOWN_DETAILS], ngettext("… and %(num)d more.", "… and %(num)d more.", more)]
    return said


def describe_disposition(error: DomainError) -> str:
    """A disposition service's refusal: what went wrong, then each thing it names."""
    lead = next((render(m) for pattern, render in _LEADS if (m := pattern.match(error.detail))), None)
    return " ".join([lead or describe(error), *details(error.errors)])
