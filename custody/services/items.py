"""Registering items (in batches, all or nothing) and reading them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import lazyload

from custody import clock, codes
from custody.errors import InvalidInput
from custody.extensions import db
from custody.ledger import EntryKind, append
from custody.models import Agency, Case, Item, ItemStatus, LedgerEntry, LedgerEntryItem, Location, Role, User
from custody.services import access
from custody.services.closing import refuse_if_closed
from custody.services.pagination import Page, keyset_page, parse_cursor
from custody.services.uow import transactional

ITEMS = cast(Table, Item.__table__)
# A seizure time this far ahead of the server clock is a typo, not clock skew.
FUTURE_TOLERANCE = timedelta(minutes=10)
RECORD_FIELDS = (
    "name",
    "category",
    "quantity",
    "unit",
    "description",
    "estimated_value",
    "owner_name",
    "seizure_doc_no",
    "seized_at",
    "seized_by",
    "seal_no",
    "flags",
)


def _new_codes(n: int) -> list[str]:
    """``n`` fresh item codes. Collisions are astronomically rare; checking keeps them impossible."""
    fresh: set[str] = set()
    while len(fresh) < n:
        candidates = sorted({codes.new_code(codes.CodeKind.ITEM) for _ in range(n - len(fresh))} - fresh)
        for start in range(0, len(candidates), 900):
            chunk = candidates[start : start + 900]
            taken = set(db.session.scalars(select(Item.code).where(Item.code.in_(chunk))))
            fresh.update(code for code in chunk if code not in taken)
    return list(fresh)[:n]


def _check_rows(rows: Sequence[Mapping[str, Any]]) -> None:
    latest = clock.now() + FUTURE_TOLERANCE
    errors: dict[str, dict[str, list[str]]] = {}
    for i, row in enumerate(rows):
        if row["seized_at"] > latest:
            errors.setdefault(str(i), {})["seized_at"] = ["Seizure time is in the future"]
    if errors:
        raise InvalidInput(f"{len(errors)} row(s) invalid; nothing was registered", errors=errors)


@transactional
def register_items(actor: User, case_no: str, rows: Sequence[Mapping[str, Any]]) -> list[Item]:
    """Register validated rows (see api.schemas.items) to a case, in one act.

    Raises NotFound, WrongAgency, Forbidden, InvalidState (the case is closed), InvalidInput (naming each bad row).
    """
    case = access.visible_case(db.session, actor, case_no)
    access.require_holder(actor, case)
    access.require_role(actor, Role.HANDLER)
    refuse_if_closed(case)
    if not rows:
        raise InvalidInput("No items given", errors={"items": ["At least one item"]})
    _check_rows(rows)
    now = clock.now()
    new_codes = _new_codes(len(rows))
    values = []
    for code, row in zip(new_codes, rows, strict=True):
        values.append(
            {
                "code": code,
                "case_id": case.id,
                "name": row["name"],
                "category": row["category"],
                "quantity": row["quantity"],
                "unit": row["unit"],
                "description": row.get("description"),
                "estimated_value": row.get("estimated_value"),
                "owner_name": row.get("owner_name"),
                "seizure_doc_no": row["seizure_doc_no"],
                "seized_at": row["seized_at"],
                "seized_by": row.get("seized_by"),
                "seal_no": row.get("seal_no"),
                "flags": ",".join(sorted(set(row.get("flags") or ()))),  # the column behind Item.flags_text
                "status": ItemStatus.REGISTERED,
                "custodian_id": case.agency_id,
                "late_intake": False,
                "registered_by_id": actor.id,
                "registered_at": now,
            }
        )
    # A plain executemany on the table: an ordered ORM INSERT … RETURNING is one statement per row on
    # SQLite and a re-parsed statement per batch on psycopg (1.5-5 s for 10,000 rows). Reading back
    # needs no joins: the case, its agency (the custodian) and no location are already known.
    db.session.execute(insert(ITEMS), values)
    loaded: dict[str, Item] = {}
    no_joins = (lazyload(Item.case), lazyload(Item.custodian), lazyload(Item.location))
    for start in range(0, len(new_codes), 900):
        chunk = new_codes[start : start + 900]
        found = db.session.scalars(select(Item).where(Item.code.in_(chunk)).options(*no_joins))
        loaded.update((i.code, i) for i in found)
    items = [loaded[code] for code in new_codes]
    append(
        db.session,
        actor=actor,
        kind=EntryKind.ITEM_REGISTERED,
        case_no=case.case_no,
        items=new_codes,
        new_items=True,
        data={"custodian": case.agency.code, "records": {v["code"]: _record(v) for v in values}},
    )
    return items


def _record(values: Mapping[str, Any]) -> dict[str, Any]:
    record = {field: values.get(field) for field in RECORD_FIELDS if field != "flags"}
    record["flags"] = [f for f in values["flags"].split(",") if f]
    record["quantity"] = plain_quantity(values["quantity"])
    return record


def plain_quantity(value: Decimal) -> Decimal:
    """1.500 → 1.5, 2 → 2: the quantity as the user meant it."""
    normal = value.normalize()
    return normal.quantize(Decimal(1)) if normal == normal.to_integral() else normal


def get_item(user: User, code: str) -> Item:
    return access.visible_item(db.session, user, code.strip().upper())


def list_items(
    user: User,
    *,
    case_no: str | None = None,
    status: str | None = None,
    location: str | None = None,
    custodian: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page[Item]:
    stmt = select(Item).where(access.item_filter(user))
    if case_no:
        stmt = stmt.where(Item.case_id.in_(select(Case.id).where(Case.case_no == case_no)))
    if status:
        stmt = stmt.where(Item.status == status)
    if location:
        stmt = stmt.where(Item.location_id.in_(select(Location.id).where(Location.code == location)))
    if custodian:
        stmt = stmt.where(Item.custodian_id.in_(select(Agency.id).where(Agency.code == custodian)))
    return keyset_page(stmt, Item.id, lambda i: i.id, limit, parse_cursor(cursor))


def item_history(user: User, code: str) -> tuple[Item, list[LedgerEntry]]:
    """The item and every entry that names it that the user may see, oldest first: one indexed range scan.

    A stocktake's close entry names items of many cases and no case; it is shown to auditors and the
    centre's keepers only, so a handler never reads other agencies' item codes in it.
    """
    item = get_item(user, code)
    entries = db.session.scalars(
        select(LedgerEntry)
        .join(LedgerEntryItem, LedgerEntryItem.seq == LedgerEntry.seq)
        .where(LedgerEntryItem.item_code == item.code, access.entry_filter(user))
        .order_by(LedgerEntryItem.seq)
    )
    return item, list(entries)
