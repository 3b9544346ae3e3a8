"""CSV exports for auditors: ledger entries and current holdings, streamed with bounded memory.

The rows come from one query each, read in batches through a server-side cursor on PostgreSQL
(``yield_per``: the driver's named cursor) and SQLite's own incremental cursor, and leave as
CSV chunks of about ``CHUNK_BYTES``: however large the ledger, the process holds one batch of
rows and one chunk of text. One query also means one snapshot: the export is consistent even
while acts go on. The file is UTF-8 with a byte-order mark, without which Excel reads it in
the local code page and garbles Chinese.

The checks and the query are built at once (a refusal is an ordinary 403 or 422); the rows
are read later, while the server sends the body, after the request and its session are gone.
So the reading runs on a connection of its own, taken from the engine and closed when the
last row is read or the client hangs up (the generator is closed).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Select, select

from custody.extensions import db
from custody.models import Agency, Case, Item, ItemStatus, LedgerEntry, Location, Role, User
from custody.services import access
from custody.services.items import plain_quantity
from custody.services.ledger_view import ANY, EntryFilter, filtered

ENTRY_COLUMNS = ("seq", "at", "kind", "actor", "agency", "case_no", "items", "data", "prev_hash", "hash")
HOLDING_COLUMNS = (
    "code",
    "case_no",
    "name",
    "category",
    "quantity",
    "unit",
    "status",
    "custodian",
    "location",
    "intake_at",
    "late_intake",
    "seal_no",
)
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection): prefix it with '.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BATCH = 500  # rows per fetch; an entry's body can be large (a registration of thousands of items)
CHUNK_BYTES = 64 * 1024
BOM = "\ufeff"
_CODE = re.compile(r'"code":"([^"\\]*)"')


def cell(value: Any) -> str:
    """A value as a CSV cell that no spreadsheet will run as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return utc_text(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def utc_text(value: datetime) -> str:
    """ISO 8601 in UTC with ``Z``, as the API writes times."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


def csv_chunks(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> Iterator[bytes]:
    """The CSV file in pieces of about CHUNK_BYTES: a BOM and the header first, then the rows."""
    out = io.StringIO()
    writer = csv.writer(out)
    out.write(BOM)
    writer.writerow(header)
    for row in rows:
        writer.writerow([cell(v) for v in row])
        if out.tell() >= CHUNK_BYTES:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode("utf-8")


def split_body(body: str) -> tuple[str, list[str]]:
    """The ``data`` JSON text and the item codes of a stored body, read without parsing it.

    The canonical body's keys sort as actor, agency, at, case_no, data, items, kind, seq, v
    (ledger.canonical.body): ``data`` starts after the first ``"data":`` (the head before it
    holds only the actor, agency, time and case number, all JSON strings that escape quotes),
    and the items array is the last ``,"items":[`` (its elements are ``{"code","prev"}`` only,
    and the tail after it holds the kind and numbers). The data text is exactly what was hashed.
    """
    start = body.find('"data":')
    end = body.rfind(',"items":[')
    if start < 0 or end < start:
        return "", []  # not a canonical body (tampered with): the hash columns say so
    tail = body[end + len(',"items":[') : body.rfind(',"kind":')]
    return body[start + len('"data":') : end], _CODE.findall(tail)


def entry_rows(user: User, where: EntryFilter = ANY) -> Iterator[tuple[Any, ...]]:
    """Every entry the auditor's filters select, oldest first, as ENTRY_COLUMNS.

    Raises Forbidden for anyone but an auditor (the browser shows others their own slice only).
    """
    access.require_role(user, Role.AUDITOR)
    chosen = filtered(user, where)
    columns = (
        LedgerEntry.seq,
        LedgerEntry.at,
        LedgerEntry.kind,
        LedgerEntry.actor,
        LedgerEntry.agency,
        LedgerEntry.case_no,
        LedgerEntry.body,
        LedgerEntry.prev_hash,
        LedgerEntry.hash,
    )
    return _entry_rows(db.engine, chosen.within().with_only_columns(*columns).order_by(chosen.key))


def _batches(engine: Engine, stmt: Select[*tuple[Any, ...]]) -> Iterator[Sequence[Any]]:
    """The rows of ``stmt`` in lists of BATCH, on a connection of their own (see the module's docstring)."""
    with engine.connect() as connection:
        yield from connection.execution_options(yield_per=BATCH).execute(stmt).partitions()


def _entry_rows(engine: Engine, stmt: Select[*tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    for batch in _batches(engine, stmt):
        for seq, at, kind, actor, agency, case_no, body, prev_hash, digest in batch:
            data, codes = split_body(body)
            yield seq, at, kind, actor, agency, case_no, " ".join(codes), data, prev_hash, digest


def holding_rows(user: User) -> Iterator[tuple[Any, ...]]:
    """Every item not disposed of that the user may see, by code order of registration, as HOLDING_COLUMNS.

    Raises Forbidden for anyone but an auditor or a keeper.
    """
    access.require_role(user, Role.AUDITOR, Role.KEEPER)
    stmt = (
        select(
            Item.code,
            Case.case_no,
            Item.name,
            Item.category,
            Item.quantity,
            Item.unit,
            Item.status,
            Agency.code,
            Location.code,
            Item.intake_at,
            Item.late_intake,
            Item.seal_no,
        )
        .join(Case, Case.id == Item.case_id)
        .join(Agency, Agency.id == Item.custodian_id)
        .outerjoin(Location, Location.id == Item.location_id)
        .where(Item.status != ItemStatus.DISPOSED, access.item_filter(user))
        .order_by(Item.id)
    )
    return _holding_rows(db.engine, stmt)


def _holding_rows(engine: Engine, stmt: Select[*tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    for batch in _batches(engine, stmt):
        for row in batch:
            values = list(row)
            values[4] = format(plain_quantity(values[4]), "f")
            yield tuple(values)
