"""Building a large, valid ledger fast: bulk rows with real canonical bodies and hashes.

Calling the services a million times would take hours, so the benchmarks write
entries, their index rows and the items straight into the tables, in the same
format the services write: bodies from ``custody.ledger.canonical.body``, hashes
from ``custody.ledger.append.entry_hash``, each item's ``prev`` naming its
previous entry. ``verify_chain`` accepts the result (bench/verify_chain.py checks).

The synthetic ledger, after the few entries the set-up made through the services:

* every third entry registers two new items (kind ``item.registered``, a data
  payload shaped like the service's: ``{"custodian", "records": {code: record}}``);
* the others record a move of one earlier item (kind ``item.moved``, the act the
  API's ``/items/{code}/move`` will ledger; ``{"from", "to"}`` location codes);
* the other items belong to cases of ``case_items`` items each (``BULK-000001``, …,
  written directly too, held by the handler's agency, without ``case.opened``
  entries); with ``case_items=0`` they all belong to the big case ``Actors.case_no``;
* ``targets`` items each get exactly ``depth`` entries (a registration and
  ``depth - 1`` moves) spread evenly over the whole ledger, so their histories
  are the same length whatever the ledger's size. They belong to the small case
  (``Actors.small_case_no``), which holds nothing else; ``big_targets`` more, of
  the same shape, belong to the big case, so that (with ``case_items=0``) reading
  them shows what the size of an item's case costs.

So a ledger of N entries has about 2N/3 items and 4N/3 index rows.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from _common import Actors

CHUNK = 20000
BASE_TIME = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class CaseRef(NamedTuple):
    id: int
    agency_id: int


@dataclass
class Built:
    entries: int  # entries written by the builder
    head_seq: int
    items: int
    index_rows: int
    targets: list[str]  # in the small case
    big_targets: list[str]  # in the big case
    body_bytes: int
    seconds: float


def _codes() -> Iterator[str]:
    """Distinct valid item codes (MOD 37-2 check character), deterministic."""
    from custody.codes import check_character

    n = 0
    while True:
        n += 1
        digits, v = [], n
        for _ in range(8):
            v, r = divmod(v, 32)
            digits.append(CROCKFORD[r])
        body = "I" + "".join(reversed(digits))
        check = check_character(body)
        if check != "*":
            yield body + check


def _record(code: str, i: int) -> dict[str, Any]:
    return {
        "name": f"Mobile phone, black, IMEI 35{i:013d}",
        "category": "electronics",
        "quantity": Decimal(1),
        "unit": "pc",
        "description": f"Seized from the vehicle, bag {i // 50 + 1}, slot {i % 50 + 1}.",
        "estimated_value": Decimal("1299.50"),
        "owner_name": f"Owner {i % 300}",
        "seizure_doc_no": f"SZ-2026-{i // 100:05d}",
        "seized_at": BASE_TIME - timedelta(hours=2),
        "seized_by": "Officer Wang",
        "seal_no": f"SEAL-{i:08d}",
        "flags": [],
    }


class _Writer:
    """Raw DB-API writes: sqlite3 executemany, or COPY on PostgreSQL."""

    def __init__(self, engine: Any) -> None:
        self.dialect = engine.dialect.name
        self.raw = engine.raw_connection()
        self.conn = self.raw.driver_connection
        if self.dialect == "sqlite":
            self.conn.execute("PRAGMA synchronous=OFF")  # only while filling; this connection is thrown away
            self.conn.execute("BEGIN")

    def at(self, value: datetime) -> Any:
        if self.dialect == "sqlite":
            return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        return value

    def money(self, value: Decimal, places: int) -> Any:
        q = value.quantize(Decimal(1).scaleb(-places))
        return str(q) if self.dialect == "sqlite" else q

    def write(self, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if self.dialect == "sqlite":
            marks = ", ".join("?" * len(columns))
            self.conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
            return
        with self.conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        cur = self.conn.cursor()
        try:
            cur.execute(sql)
            return list(cur.fetchall())
        finally:
            cur.close()

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        if self.dialect == "sqlite":
            self.conn.execute(sql.replace("%s", "?"), params)
        else:
            with self.conn.cursor() as cur:
                cur.execute(sql, params)

    def finish(self) -> None:
        if self.dialect == "sqlite":
            self.conn.execute("COMMIT")
            self.conn.execute("PRAGMA synchronous=FULL")
        else:
            self.conn.commit()
        if self.dialect == "postgresql":
            self.conn.autocommit = True
            with self.conn.cursor() as cur:
                cur.execute("VACUUM ANALYZE")
            self.conn.autocommit = False
        else:
            self.conn.execute("ANALYZE")
        self.raw.close()


ENTRY_COLUMNS = ("seq", "at", "kind", "actor", "agency", "case_no", "body", "prev_hash", "hash")
INDEX_COLUMNS = ("seq", "item_code", "prev_seq")
ITEM_COLUMNS = (
    "code", "case_id", "name", "category", "quantity", "unit", "description", "estimated_value", "owner_name",
    "seizure_doc_no", "seized_at", "seized_by", "seal_no", "flags", "status", "location_id", "custodian_id",
    "late_intake", "registered_by_id", "registered_at",
)


def build(app: Any, actors: Actors, n: int, *, targets: int = 5, big_targets: int = 0, depth: int = 10,
          case_items: int = 200, seed: int = 7, progress: bool = True) -> Built:
    """Append ``n`` entries after the current head, with their items and index rows."""
    from sqlalchemy import select

    from custody.extensions import db
    from custody.ledger import canonical
    from custody.ledger.append import entry_hash
    from custody.models import Case, LedgerHead

    started = time.perf_counter()
    rng = random.Random(seed)
    with app.app_context():
        head = db.session.execute(select(LedgerHead.seq, LedgerHead.hash).where(LedgerHead.id == 1)).one()
        cases = {
            no: CaseRef(*db.session.execute(select(Case.id, Case.agency_id).where(Case.case_no == no)).one())
            for no in (actors.case_no, actors.small_case_no)
        }
        engine = db.engine
        db.session.remove()
    writer = _Writer(engine)
    if case_items:
        # Enough cases for every item the loop below can create: 2 per registration, every third entry
        # (and the first, when there is nothing to move yet).
        bulk_nos = [f"BULK-{k:06d}" for k in range(1, (2 * (n // 3 + 2)) // case_items + 2)]
        big = cases[actors.case_no]
        opened = writer.at(BASE_TIME)
        writer.write("cases", ("case_no", "title", "summary", "stage", "agency_id", "opened_by_id", "opened_at"),
                     [(no, "Bulk case", None, "investigation", big.agency_id, actors.handler_id, opened)
                      for no in bulk_nos])
        ids = dict(writer.query("SELECT case_no, id FROM cases WHERE case_no LIKE 'BULK-%'"))
        writer.write("case_holders", ("case_id", "agency_id", "ordinal", "since"),
                     [(ids[no], big.agency_id, 1, opened) for no in bulk_nos])
        for no in bulk_nos:
            cases[no] = CaseRef(ids[no], big.agency_id)
    codes = _codes()
    seq, prev_hash = head.seq, head.hash
    last_seq: dict[str, int] = {}  # item → its latest entry
    movable: list[str] = []  # items that are not targets
    small_codes = [next(codes) for _ in range(targets)]
    big_codes = [next(codes) for _ in range(big_targets)]
    target_codes = small_codes + big_codes
    case_of = dict.fromkeys(small_codes, actors.small_case_no)  # item → its case, filled in as items appear
    # The seqs (1..n within this build) of each target's entries: registration first, then moves.
    slots: dict[int, str] = {}
    if target_codes:
        step = max(1, n // (len(target_codes) * depth))
        k = 0
        for _ in range(depth):
            for t in target_codes:
                slots[1 + k * step] = t
                k += 1
        if max(slots) > n:
            raise SystemExit(f"--n {n} is too small for {len(target_codes)} targets × {depth} entries")
    at_step = timedelta(seconds=1)
    entries: list[tuple[Any, ...]] = []
    index: list[tuple[Any, ...]] = []
    items: list[tuple[Any, ...]] = []
    n_items = n_index = body_bytes = 0
    registered_at = writer.at(BASE_TIME)
    seized_at = writer.at(BASE_TIME - timedelta(hours=2))
    quantity, value = writer.money(Decimal(1), 3), writer.money(Decimal("1299.50"), 2)

    def flush() -> None:
        writer.write("items", ITEM_COLUMNS, items)
        writer.write("ledger_entries", ENTRY_COLUMNS, entries)
        writer.write("ledger_entry_items", INDEX_COLUMNS, index)
        entries.clear()
        index.clear()
        items.clear()

    for i in range(1, n + 1):
        seq += 1
        at = BASE_TIME + at_step * seq
        target = slots.get(i)
        if target is not None and target not in last_seq:
            new = [target]
        elif target is not None:
            new = []
            moved = target
        elif i % 3 == 0 or not movable:
            new = [next(codes), next(codes)]
        else:
            new = []
            moved = movable[rng.randrange(len(movable))]
        if new:
            bulk = f"BULK-{n_items // case_items + 1:06d}" if case_items else actors.case_no
            case_no = case_of.get(new[0], actors.case_no if new[0] in big_codes else bulk)
            for c in new:
                case_of.setdefault(c, case_no)
            case = cases[case_no]
            kind = "item.registered"
            new.sort()
            pairs = [(c, None) for c in new]
            records = {c: _record(c, n_items + j) for j, c in enumerate(new)}
            data: dict[str, Any] = {"custodian": actors.agency_code, "records": records}
            for c in new:
                r = records[c]
                items.append((
                    c, case.id, r["name"], r["category"], quantity, r["unit"], r["description"], value,
                    r["owner_name"], r["seizure_doc_no"], seized_at, r["seized_by"], r["seal_no"], "", "registered",
                    None, case.agency_id, False, actors.handler_id, registered_at,
                ))
                if c not in target_codes:
                    movable.append(c)
            n_items += len(new)
        else:
            kind = "item.moved"
            case_no = case_of[moved]
            pairs = [(moved, last_seq[moved])]
            data = {"from": f"L{rng.randrange(10**6):06d}", "to": f"L{rng.randrange(10**6):06d}"}
        body = canonical.body(seq=seq, at=at, kind=kind, actor="handler1", agency=actors.agency_code,
                              case_no=case_no, items=pairs, data=data)
        digest = entry_hash(prev_hash, body)
        entries.append(
            (seq, writer.at(at), kind, "handler1", actors.agency_code, case_no, body, prev_hash, digest)
        )
        for code, p in pairs:
            index.append((seq, code, p))
            last_seq[code] = seq
        n_index += len(pairs)
        body_bytes += len(body.encode())
        prev_hash = digest
        if len(entries) >= CHUNK:
            flush()
            if progress:
                print(f"  … {i:,}/{n:,} entries ({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)
    flush()
    writer.execute("UPDATE ledger_head SET seq = %s, hash = %s WHERE id = 1", (seq, prev_hash))
    writer.finish()
    return Built(n, seq, n_items, n_index, small_codes, big_codes, body_bytes, time.perf_counter() - started)
