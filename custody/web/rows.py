"""The multi-row "register items" form: its rows as typed, and as the API schema reads them.

The form posts ``row_count`` and ``rows-<i>-<field>`` (``rows-<i>-flags`` repeated).
Empty rows are skipped, so the schema's and the service's row numbers count only
the filled rows; :func:`errors_by_row` maps them back to the rows the user sees.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from werkzeug.datastructures import MultiDict

from custody.web.messages import field_errors, field_messages

TEXT_FIELDS = (
    "name",
    "category",
    "quantity",
    "unit",
    "seal_no",
    "seizure_doc_no",
    "seized_at",
    "owner_name",
    "estimated_value",
    "description",
)
REQUIRED = ("name", "category", "quantity", "unit", "seizure_doc_no", "seized_at")
# A new row starts with these copied from the row above: one seizure decision usually covers a whole list.
CARRIED = ("seizure_doc_no", "seized_at")
DEFAULT_ROWS = 3
MAX_ROWS = 200  # a bigger batch belongs in the API or an import, not in one web form


@dataclass
class FormRow:
    """One row as the user typed it, kept verbatim so a refused form comes back unchanged."""

    values: dict[str, str] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    @property
    def is_empty(self) -> bool:
        return not any(self.values.values()) and not self.flags

    def as_input(self, tz: tzinfo) -> dict[str, Any]:
        """The row as an API client would send it: required fields left out when empty (→ "Required")."""
        data: dict[str, Any] = {}
        for name in TEXT_FIELDS:
            value = self.get(name)
            if value:
                data[name] = value
            elif name not in REQUIRED:
                data[name] = None
        if "seized_at" in data:
            data["seized_at"] = _with_zone(data["seized_at"], tz)
        data["flags"] = list(self.flags)
        return data


def _with_zone(text: str, tz: tzinfo) -> str:
    """A datetime-local value has no offset: it is the centre's local time."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text  # the schema names it
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.isoformat()


def row_count(form: Mapping[str, Any]) -> int:
    try:
        count = int(form.get("row_count", DEFAULT_ROWS) or DEFAULT_ROWS)
    except (TypeError, ValueError):
        count = DEFAULT_ROWS
    return max(0, count)


def parse(form: MultiDict[str, str]) -> list[FormRow]:
    """Every row of the posted form, empty ones included, at most MAX_ROWS."""
    rows = []
    for i in range(min(row_count(form), MAX_ROWS)):
        values = {name: (form.get(f"rows-{i}-{name}") or "").strip() for name in TEXT_FIELDS}
        rows.append(FormRow(values, [f for f in form.getlist(f"rows-{i}-flags") if f]))
    return rows


def blank_rows(n: int = DEFAULT_ROWS) -> list[FormRow]:
    return [FormRow() for _ in range(n)]


def with_new_row(rows: list[FormRow]) -> list[FormRow]:
    """The rows plus one, carrying the seizure document and time down from the nearest row that has them."""
    carried = {name: next((r.get(name) for r in reversed(rows) if r.get(name)), "") for name in CARRIED}
    return [*rows, FormRow(carried)]


def padded(rows: list[FormRow], minimum: int = DEFAULT_ROWS) -> list[FormRow]:
    return rows + blank_rows(max(0, minimum - len(rows)))


def filled_positions(rows: Sequence[FormRow]) -> list[int]:
    return [i for i, row in enumerate(rows) if not row.is_empty]


def first_error(errors: Mapping[int, Mapping[str, Any]]) -> str | None:
    """The form name of the first field to fix, so the refused page opens on it (``autofocus``, no script)."""
    order = (*TEXT_FIELDS, "flags")
    for row in sorted(i for i in errors if i >= 0):
        for name in order:
            if name in errors[row]:
                return f"rows-{row}-{name}"
    return None


def errors_by_row(messages: Mapping[Any, Any], positions: Sequence[int]) -> dict[int, dict[str, list[str]]]:
    """Errors keyed by the filled row's index (schema or service) → by the form row, translated.

    A message not attached to a row (``{"items": [...]}``) is returned under -1.
    """
    result: dict[int, dict[str, list[str]]] = {}
    for key, value in messages.items():
        try:
            index = int(key)
        except (TypeError, ValueError):
            result.setdefault(-1, {})[str(key)] = field_messages(value)
            continue
        form_row = positions[index] if 0 <= index < len(positions) else -1
        if isinstance(value, Mapping):
            result.setdefault(form_row, {}).update(field_errors(value))
        else:
            result.setdefault(form_row, {})["_row"] = field_messages(value)
    return result
