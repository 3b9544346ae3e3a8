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

The Merkle tree is kept as ``custody/ledger/append.py`` keeps it (``Tree`` below, with the same
``tree.push`` and ``offline.leaf_hash``): a ``ledger_nodes`` row for every perfect subtree an entry
completes, and the head's frontier. With ``checkpoint_every`` the builder also stores a checkpoint
signed by the app's log key every so many entries, as the schedule would. ``check_tree`` recomputes
the tree from the stored bodies with code of its own and compares it with what ``ledger.proofs``
reads; ``python bench/_ledger.py`` builds a small ledger and runs every check.
"""

from __future__ import annotations

import itertools
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

    def batches(self, sql: str) -> Iterator[list[tuple[Any, ...]]]:
        """Rows of ``sql`` in lists of CHUNK (a server-side cursor on PostgreSQL), while writing goes on."""
        cur = self.conn.cursor(name="bench_rows") if self.dialect == "postgresql" else self.conn.cursor()
        try:
            cur.execute(sql)
            while rows := cur.fetchmany(CHUNK):
                yield rows
        finally:
            cur.close()

    def finish(self, *, analyze: bool = True) -> None:
        if self.dialect == "sqlite":
            self.conn.execute("COMMIT")
            self.conn.execute("PRAGMA synchronous=FULL")
        else:
            self.conn.commit()
        if not analyze:
            self.raw.close()
            return
        if self.dialect == "postgresql":
            self.conn.autocommit = True
            with self.conn.cursor() as cur:
                cur.execute("VACUUM ANALYZE")
            self.conn.autocommit = False
        else:
            self.conn.execute("ANALYZE")
        self.raw.close()


class Tree:
    """The Merkle tree of entries written directly, kept as ledger.append keeps it, plus scheduled checkpoints.

    ``add`` takes each new entry's body in seq order; ``nodes`` and ``checkpoints`` collect the rows
    to write (``write`` writes and empties them) and ``frontier_text`` is the head's frontier afterwards.
    """

    def __init__(
        self, size: int, frontier_text: str, *, checkpoint_every: int = 0, key: Any = None, at: Any = None
    ) -> None:
        from custody.ledger import tree
        from custody.ledger.offline import leaf_hash

        self.push, self.leaf_hash = tree.push, leaf_hash
        self.size = size
        self.frontier = tree.parse_frontier(frontier_text, size)
        self.every, self.key, self.at = checkpoint_every, key, at
        self.nodes: list[tuple[int, int, str]] = []
        self.checkpoints: list[tuple[Any, ...]] = []

    def add(self, body: bytes) -> None:
        seq = self.size + 1
        for level, digest in self.push(self.frontier, self.size, self.leaf_hash(body)):
            self.nodes.append((seq, level, digest.hex()))
        self.size = seq
        if self.every and seq % self.every == 0:
            self.checkpoint()

    def checkpoint(self) -> None:
        from custody.ledger.notes import sign_checkpoint
        from custody.ledger.offline import Checkpoint
        from custody.ledger.tree import root_of

        root = root_of(self.frontier)
        note = sign_checkpoint(Checkpoint(self.key.name, self.size, root), self.key)
        self.checkpoints.append((self.size, root.hex(), note, self.at(self.size), "@schedule"))

    def frontier_text(self) -> str:
        from custody.ledger.tree import frontier_text

        return frontier_text(self.frontier)

    def write(self, writer: _Writer) -> None:
        writer.write("ledger_nodes", NODE_COLUMNS, self.nodes)
        writer.write("ledger_checkpoints", CHECKPOINT_COLUMNS, self.checkpoints)
        self.nodes.clear()
        self.checkpoints.clear()


ENTRY_COLUMNS = ("seq", "at", "kind", "actor", "agency", "case_no", "body", "prev_hash", "hash")
INDEX_COLUMNS = ("seq", "item_code", "prev_seq")
NODE_COLUMNS = ("seq", "level", "hash")
CHECKPOINT_COLUMNS = ("size", "root", "note", "at", "by")
# fmt: off
ITEM_COLUMNS = (
    "code", "case_id", "name", "category", "quantity", "unit", "description", "estimated_value", "owner_name",
    "seizure_doc_no", "seized_at", "seized_by", "seal_no", "flags", "status", "location_id", "custodian_id",
    "late_intake", "registered_by_id", "registered_at",
)
# fmt: on


def build(
    app: Any,
    actors: Actors,
    n: int,
    *,
    targets: int = 5,
    big_targets: int = 0,
    depth: int = 10,
    case_items: int = 200,
    seed: int = 7,
    progress: bool = True,
    checkpoint_every: int = 0,
    items_per_registration: int = 2,
) -> Built:
    """Append ``n`` entries after the current head, with their items, index rows and tree nodes
    (and, with ``checkpoint_every``, a checkpoint signed by the app's log key at every multiple of it)."""
    from sqlalchemy import select

    from custody.extensions import db
    from custody.ledger import canonical
    from custody.ledger.append import entry_hash
    from custody.ledger.keys import log_key
    from custody.models import Case, LedgerHead

    started = time.perf_counter()
    rng = random.Random(seed)
    with app.app_context():
        head = db.session.execute(
            select(LedgerHead.seq, LedgerHead.hash, LedgerHead.frontier).where(LedgerHead.id == 1)
        ).one()
        key = log_key() if checkpoint_every else None
        cases = {
            no: CaseRef(*db.session.execute(select(Case.id, Case.agency_id).where(Case.case_no == no)).one())
            for no in (actors.case_no, actors.small_case_no)
        }
        engine = db.engine
        db.session.remove()
    writer = _Writer(engine)
    merkle = Tree(
        head.seq,
        head.frontier,
        checkpoint_every=checkpoint_every,
        key=key,
        at=lambda seq: writer.at(BASE_TIME + timedelta(seconds=seq, milliseconds=500)),
    )
    if case_items:
        # Enough cases for every item the loop below can create: items_per_registration per registration,
        # every third entry (and the first, when there is nothing to move yet).
        bulk_nos = [f"BULK-{k:06d}" for k in range(1, (items_per_registration * (n // 3 + 2)) // case_items + 2)]
        big = cases[actors.case_no]
        opened = writer.at(BASE_TIME)
        writer.write(
            "cases",
            ("case_no", "title", "summary", "stage", "agency_id", "opened_by_id", "opened_at"),
            [(no, "Bulk case", None, "investigation", big.agency_id, actors.handler_id, opened) for no in bulk_nos],
        )
        ids = dict(writer.query("SELECT case_no, id FROM cases WHERE case_no LIKE 'BULK-%'"))
        writer.write(
            "case_holders",
            ("case_id", "agency_id", "ordinal", "since"),
            [(ids[no], big.agency_id, 1, opened) for no in bulk_nos],
        )
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
        merkle.write(writer)
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
            new = [next(codes) for _ in range(items_per_registration)]
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
                items.append(
                    (
                        c,
                        case.id,
                        r["name"],
                        r["category"],
                        quantity,
                        r["unit"],
                        r["description"],
                        value,
                        r["owner_name"],
                        r["seizure_doc_no"],
                        seized_at,
                        r["seized_by"],
                        r["seal_no"],
                        "",
                        "registered",
                        None,
                        case.agency_id,
                        False,
                        actors.handler_id,
                        registered_at,
                    )
                )
                if c not in target_codes:
                    movable.append(c)
            n_items += len(new)
        else:
            kind = "item.moved"
            case_no = case_of[moved]
            pairs = [(moved, last_seq[moved])]
            data = {"from": f"L{rng.randrange(10**6):06d}", "to": f"L{rng.randrange(10**6):06d}"}
        body = canonical.body(
            seq=seq,
            at=at,
            kind=kind,
            actor="handler1",
            agency=actors.agency_code,
            case_no=case_no,
            items=pairs,
            data=data,
        )
        digest = entry_hash(prev_hash, body)
        entries.append((seq, writer.at(at), kind, "handler1", actors.agency_code, case_no, body, prev_hash, digest))
        for code, p in pairs:
            index.append((seq, code, p))
            last_seq[code] = seq
        n_index += len(pairs)
        encoded = body.encode()
        merkle.add(encoded)
        body_bytes += len(encoded)
        prev_hash = digest
        if len(entries) >= CHUNK:
            flush()
            if progress:
                print(f"  … {i:,}/{n:,} entries ({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)
    flush()
    writer.execute(
        "UPDATE ledger_head SET seq = %s, hash = %s, frontier = %s WHERE id = 1",
        (seq, prev_hash, merkle.frontier_text()),
    )
    writer.finish()
    return Built(n, seq, n_items, n_index, small_codes, big_codes, body_bytes, time.perf_counter() - started)


def extend_tree(engine: Any, size: int, frontier_text: str) -> int:
    """The tree over entries that were written after ``size`` by other means (bench/alerts_scale.py's SQL):
    their nodes, and the head's frontier. Returns the number of nodes written."""
    writer = _Writer(engine)
    merkle = Tree(size, frontier_text)
    written = 0
    for rows in writer.batches(f"SELECT seq, body FROM ledger_entries WHERE seq > {int(size)} ORDER BY seq"):
        for seq, body in rows:
            if seq != merkle.size + 1:
                raise SystemExit(f"entry {merkle.size + 1} is missing (next is {seq})")
            merkle.add(body.encode())
        written += len(merkle.nodes)
        merkle.write(writer)
    writer.execute("UPDATE ledger_head SET frontier = %s WHERE id = 1", (merkle.frontier_text(),))
    writer.finish(analyze=False)
    return written


def bench_key() -> Any:
    """A log key for a bench app (pass ``CUSTODY_LOG_KEY=key.text()`` to ``_common.running_app``)."""
    from custody.ledger.notes import SignerKey

    return SignerKey.generate("bench.invalid/custody-ledger")


def check_tree(app: Any, *, samples: int = 20, seed: int = 3) -> str:
    """Recompute the tree from the stored bodies with code of its own, and compare it with the stored one.

    At the head, at every stored checkpoint's size and at ``samples`` random sizes: the root that
    ``ledger.proofs.root`` folds from the stored nodes; the head's frontier; each checkpoint's root and
    its signature by the app's log key; an inclusion proof of a random entry at each size, and a
    consistency proof between each two neighbouring sizes, checked against the recomputed roots.
    Stops the bench (SystemExit) at the first difference; returns a one-line summary.
    """
    from sqlalchemy import select

    from custody.extensions import db
    from custody.ledger import offline, proofs, tree
    from custody.ledger.keys import log_key
    from custody.models import LedgerCheckpoint, LedgerHead

    rng = random.Random(seed)
    with app.app_context():
        session = db.session
        head = session.execute(select(LedgerHead.seq, LedgerHead.frontier).where(LedgerHead.id == 1)).one()
        stored = session.execute(select(LedgerCheckpoint.size, LedgerCheckpoint.root, LedgerCheckpoint.note)).all()
        n = head.seq
        sizes = {n, *(1 << k for k in range(n.bit_length()) if 1 << k <= n), *(size for size, _, _ in stored)}
        sizes |= {rng.randint(1, n) for _ in range(samples)}
        probe = {size: rng.randint(1, size) for size in sizes}  # the entry proved at each size
        roots, leaves = _naive_roots(_Writer(db.engine), sizes, set(probe.values()))
        if tree.root_of(tree.parse_frontier(head.frontier, n)) != roots[n]:
            raise SystemExit("the head's frontier does not give the recomputed root")
        verifier = log_key().verifier
        for size, root_hex, note_text in stored:
            note = offline.Note.parse(note_text)
            checkpoint = offline.Checkpoint.parse(note.text)
            if root_hex != roots[size].hex() or checkpoint.root != roots[size] or checkpoint.size != size:
                raise SystemExit(f"checkpoint {size}: its root is not the recomputed one")
            if not note.signed_by(verifier):
                raise SystemExit(f"checkpoint {size}: not signed by the app's log key {verifier.name}")
        ordered = sorted(sizes)
        try:
            for size in ordered:
                if proofs.root(session, size) != roots[size]:
                    raise SystemExit(f"proofs.root({size}) is not the recomputed root")
                leaf, path = proofs.inclusion(session, probe[size], size)
                if leaf != leaves[probe[size]]:
                    raise SystemExit(f"entry {probe[size]}: proofs gives another leaf hash")
                offline.verify_inclusion(probe[size] - 1, size, leaf, path, roots[size])
            for old, new in itertools.pairwise(ordered):
                offline.verify_consistency(old, new, roots[old], roots[new], proofs.consistency(session, old, new))
        except offline.ProofError as exc:
            raise SystemExit(f"a stored proof does not verify: {exc}") from exc
        session.remove()
    return (
        f"tree checked: {n:,} entries, roots at {len(ordered)} sizes, {len(stored)} signed checkpoints, "
        f"{len(ordered)} inclusion and {len(ordered) - 1} consistency proofs"
    )


def _naive_roots(reader: _Writer, sizes: set[int], wanted: set[int]) -> tuple[dict[int, bytes], dict[int, bytes]]:
    """RFC 6962's MTH of the first ``size`` bodies for each size, in one pass that shares nothing with
    ledger.tree (a stack of (leaves, hash) merged while equal), and the leaf hash of each ``wanted`` seq."""
    from custody.ledger.offline import leaf_hash, node_hash

    roots: dict[int, bytes] = {}
    leaves: dict[int, bytes] = {}
    stack: list[tuple[int, bytes]] = []
    expected = 1
    for rows in reader.batches("SELECT seq, body FROM ledger_entries ORDER BY seq"):
        for seq, body in rows:
            if seq != expected:
                raise SystemExit(f"entry {expected} is missing (next is {seq})")
            expected += 1
            node, width = leaf_hash(body.encode()), 1
            if seq in wanted:
                leaves[seq] = node
            while stack and stack[-1][0] == width:
                node, width = node_hash(stack.pop()[1], node), width * 2
            stack.append((width, node))
            if seq in sizes:
                root = stack[-1][1]
                for _, left in reversed(stack[:-1]):
                    root = node_hash(left, root)
                roots[seq] = root
    reader.finish(analyze=False)
    return roots, leaves


def main() -> None:
    """Build a small ledger directly and check everything about it, then append through the app and check again."""
    import _common

    from custody.extensions import db
    from custody.ledger import SYSTEM, EntryKind, append, verify_chain
    from custody.services.checkpoints import make_checkpoint
    from custody.services.uow import unit_of_work

    p = _common.parser("Build a small ledger with _ledger.build and check it (chain, tree, checkpoints)")
    p.add_argument("--n", type=int, default=5000, help="entries to build")
    p.add_argument("--checkpoint-every", type=int, default=1000)
    args = p.parse_args()
    with _common.running_app(args.db, CUSTODY_LOG_KEY=bench_key().text()) as (app, _url):
        actors = _common.setup_actors(app)
        built = build(app, actors, args.n, checkpoint_every=args.checkpoint_every, progress=False)

        def check(step: str) -> None:
            with app.app_context():
                result = verify_chain(db.session)
                db.session.remove()
            if not result.ok or result.checked != result.head_seq:
                raise SystemExit(f"verify_chain {step}: {result}")
            print(f"{step}: verify_chain ok ({result.checked:,} entries); {check_tree(app)}")

        check("built")
        with app.app_context():
            with unit_of_work() as session:  # append.py must carry on from the frontier the builder left
                append(
                    session,
                    actor=SYSTEM,
                    kind=EntryKind.ITEM_MOVED,
                    data={"from": "L1", "to": "L2"},
                    case_no=actors.small_case_no,
                    items=built.targets[:1],
                )
            make_checkpoint("@cli")
            db.session.remove()
        check("after one append through ledger.append and a checkpoint")
        print(f"RESULT _ledger db={args.db} n={built.head_seq}: chain, tree and checkpoints check out")


if __name__ == "__main__":
    main()
