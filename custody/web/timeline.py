"""Ledger entries as a timeline a person can read: what happened, to what, by whom, when.

An entry's ``data`` is read back from its stored canonical body (the exact text that
was hashed), so the page shows what the ledger holds, not what the tables say now.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from custody.models import LedgerEntry
from custody.web import labels
from custody.web.format import local_time, money, quantity

SHOWN_CODES = 12  # an entry covering thousands of items lists the first few and counts the rest


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


@dataclass(frozen=True)
class TimelineEntry:
    seq: int
    at: datetime
    kind: str
    title: str
    actor: str
    agency: str
    hash: str
    prev_hash: str
    summary: str = ""
    facts: list[Fact] = field(default_factory=list)
    item_codes: list[str] = field(default_factory=list)
    more_items: int = 0


def entry_body(entry: LedgerEntry) -> tuple[dict[str, Any], list[str]]:
    """The ``data`` object and the item codes of an entry's stored body (empty if it is not JSON)."""
    try:
        body = json.loads(entry.body)
    except ValueError:
        return {}, []
    if not isinstance(body, dict):
        return {}, []
    data = body.get("data")
    items = body.get("items")
    codes = [str(i.get("code")) for i in items if isinstance(i, dict)] if isinstance(items, list) else []
    return (data if isinstance(data, dict) else {}), codes


def _time_text(value: Any) -> str:
    try:
        return local_time(datetime.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def record_facts(record: Mapping[str, Any]) -> list[Fact]:
    """An item's registered record (the ``item.registered`` body), in the order a handler checks it."""
    facts = []
    if record.get("name"):
        facts.append(Fact(str(labels.FIELDS["name"]), str(record["name"])))
    if record.get("category"):
        category = labels.CATEGORIES.get(record["category"], record["category"])
        facts.append(Fact(str(labels.FIELDS["category"]), str(category)))
    amount = _decimal(record.get("quantity"))
    if amount is not None:
        facts.append(Fact(str(labels.FIELDS["quantity"]), f"{quantity(amount)} {record.get('unit') or ''}".strip()))
    for name in ("seal_no", "seizure_doc_no", "owner_name", "seized_by"):
        if record.get(name):
            facts.append(Fact(str(labels.FIELDS[name]), str(record[name])))
    if record.get("seized_at"):
        facts.append(Fact(str(labels.FIELDS["seized_at"]), _time_text(record["seized_at"])))
    value = _decimal(record.get("estimated_value")) if record.get("estimated_value") is not None else None
    if value is not None:
        facts.append(Fact(str(labels.FIELDS["estimated_value"]), money(value)))
    flags = record.get("flags") or []
    if flags:
        facts.append(Fact(str(labels.FIELDS["flags"]), "、".join(str(labels.FLAGS.get(f, f)) for f in flags)))
    if record.get("description"):
        facts.append(Fact(str(labels.FIELDS["description"]), str(record["description"])))
    return facts


def _registered(data: Mapping[str, Any], codes: Sequence[str], focus: str | None) -> tuple[str, list[Fact]]:
    raw = data.get("records")
    records: Mapping[str, Any] = raw if isinstance(raw, dict) else {}
    custodian = str(data.get("custodian") or "")
    if focus is not None:
        summary = _("Registered; custodian: %(agency)s.", agency=custodian)
        return summary, record_facts(records.get(focus) or {})
    summary = ngettext(
        "%(num)d item registered; custodian: %(agency)s.",
        "%(num)d items registered; custodian: %(agency)s.",
        len(codes),
        agency=custodian,
    )
    return summary, []


def _opened(data: Mapping[str, Any]) -> tuple[str, list[Fact]]:
    facts = [Fact(_("Title"), str(data.get("title") or ""))]
    if data.get("stage"):
        facts.append(Fact(_("Stage"), str(labels.STAGES.get(data["stage"], data["stage"]))))
    if data.get("holder"):
        facts.append(Fact(_("Held by"), str(data["holder"])))
    if data.get("summary"):
        facts.append(Fact(_("Summary"), str(data["summary"])))
    return _("Case opened in this system."), facts


# Names for the facts the warehouse acts record; a key without a name here is shown as it is stored.
FACT_LABELS = {
    "location": _l("Location"),
    "from": _l("From"),
    "to": _l("To"),
    "seal_intact": _l("Seal intact"),
    "late": _l("Taken in late"),
    "note": _l("Note"),
    "number": _l("Number"),
    "purpose": _l("Purpose"),
    "due_at": _l("Due back"),
    "intake_at": _l("Taken in at"),
    "seized_at": _l("Seized at"),
    "taken_by": _l("Taken by"),
    "expected": _l("Expected"),
    "found": _l("Found"),
    "sha256": "SHA-256",
    "kind": _l("Kind"),
    "status": _l("Status"),
    "stage": _l("Stage"),
    "accepted": _l("Items accepted"),
    "present": _l("Items present"),
    "reason": _l("Reason"),
    "was": _l("Was"),
    "handover": _l("Handover"),
    "bytes": _l("Size (bytes)"),
    "items_not_disposed": _l("Items not yet disposed of"),
    "media_type": _l("Type"),
    "size": _l("Size (bytes)"),
    "basis_doc_no": _l("Legal basis (document number)"),
    "recipient": _l("Recipient"),
    "agency": _l("Agency"),
    "scanned": _l("Scanned"),
    "approved_by": _l("Approved by"),
    "still_out": _l("Items still out"),
}


def _first_label(value: Any, *tables: Mapping[str, Any]) -> Any:
    return next((table[str(value)] for table in tables if str(value) in table), value)


def _value(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if key == "purpose":
        return str(labels.PURPOSES.get(str(value), value))
    if key in ("due_at", "intake_at", "seized_at"):
        return _time_text(value)
    # The same keys name different vocabularies in different acts (a location's kind, a handover's kind).
    if key == "kind":
        kinds = (labels.HANDOVER_KINDS, labels.DISPOSITION_KINDS, labels.LOCATION_KINDS, labels.AGENCY_KINDS)
        return str(_first_label(value, *kinds))
    if key in ("status", "was"):
        statuses = (labels.HANDOVER_STATUSES, labels.CHECKOUT_STATUSES, labels.DISPOSITION_STATUSES)
        return str(_first_label(value, *statuses))
    if key == "reason":
        return str(_first_label(value, labels.CLOSING_REASONS))
    if key == "stage":
        return str(labels.STAGES.get(str(value), value))
    return str(value)


def _generic(data: Mapping[str, Any]) -> list[Fact]:
    """Show the scalar values with their names, so nothing recorded is hidden."""
    return [
        Fact(str(FACT_LABELS.get(k, k)), _value(k, v))
        for k, v in sorted(data.items())
        if isinstance(v, (str, int, bool)) and v != ""
    ]


def _counted(data: Mapping[str, Any], focus: str | None) -> str:
    """A closed stocktake on an item's page: was this item found?"""
    if focus is None:
        return ""
    if focus in (data.get("missing") or ()):
        return _("This item was missing.")
    if focus in (data.get("unexpected") or ()):
        return _("This item was found where it was not expected.")
    return _("This item was found.")


def _handed_over(kind: str, data: Mapping[str, Any], focus: str | None) -> str:
    """On an item's page: what the handover step meant for this item."""
    if focus is None:
        return ""
    if kind == "handover.checked":
        return _("This item was missing.") if focus in (data.get("missing") or ()) else _("This item was on its shelf.")
    if kind == "handover.accepted":
        rejected = {r.get("code"): r.get("reason") for r in data.get("rejected") or () if isinstance(r, dict)}
        if focus in rejected:
            return _("Refused by the receiving agency: %(reason)s", reason=rejected[focus])
        return _("Custody passed to %(agency)s.", agency=data.get("to") or "")
    return ""


def build(entries: Iterable[LedgerEntry], focus: str | None = None) -> list[TimelineEntry]:
    """Timeline rows for ``entries``. ``focus`` is the item whose page this is: its own record is shown
    instead of the list of items an entry covers."""
    rows = []
    for entry in entries:
        data, codes = entry_body(entry)
        if entry.kind == "item.registered":
            summary, facts = _registered(data, codes, focus)
        elif entry.kind == "case.opened":
            summary, facts = _opened(data)
        elif entry.kind == "stocktake.closed":
            summary, facts = _counted(data, focus), _generic(data)
        elif entry.kind in ("handover.checked", "handover.accepted"):
            summary, facts = _handed_over(entry.kind, data, focus), _generic(data)
        else:
            summary, facts = "", _generic(data)
        title = str(labels.ENTRY_KINDS.get(entry.kind, entry.kind))
        if focus is not None and entry.kind == "item.registered":
            title = _("Item registered")
        shown = [] if focus is not None else codes[:SHOWN_CODES]
        rows.append(
            TimelineEntry(
                seq=entry.seq,
                at=entry.at,
                kind=entry.kind,
                title=title,
                actor=entry.actor,
                agency=entry.agency,
                hash=entry.hash,
                prev_hash=entry.prev_hash,
                summary=summary,
                facts=facts,
                item_codes=shown,
                more_items=len(codes) - len(shown) if shown else 0,
            )
        )
    return rows
