"""The fast path of ``verify``: a batch of entries checked at once, while the database works on the next.

Per entry, Python does only what must happen in order: the chain hash, the leaf hash, the tree's
node hashes, and comparing the body's fixed head and tail with the row's columns. The rest is
compared once per batch, as one text against one text: the hashes and links the rows carry, and
what the database joins (the index rows written as the body writes its ``items``, the stored nodes'
hashes), so that no Python object is made for an index row or a node (see ``Reader`` for how the
database's work overlaps the hashing).

This path only answers "is this batch sound?". When it is not, ``verify`` re-checks the batch
entry by entry (``verify._Walk.exact``), which names the first bad seq and its reason. So nothing
here needs to be exact about *where* a batch went wrong, only never to pass a batch that the exact
check would fail: every comparison here is at least as strict as its exact counterpart.
"""

from __future__ import annotations

import contextlib
import hashlib
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from custody.ledger import canonical
from custody.ledger.tree import root_of

# Per entry only what Python must look at, text already as the body has it wherever the database does
# that cheaply: the seq, ``at`` without its "Z" (SQLite keeps "YYYY-MM-DD HH:MM:SS.ffffff"), the actor,
# agency and case_no that pick the body's head, the kind, the body, and the two hashes.
_SEQ = {"sqlite": "CAST(seq AS BLOB)", "postgresql": "textsend(seq::text)"}
_AT = {
    "sqlite": "CAST(replace(at, ' ', 'T') AS BLOB)",
    "postgresql": "textsend(to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'))",
}
_BODY = {"sqlite": "CAST(body AS BLOB)", "postgresql": "textsend(body)"}  # the UTF-8 bytes, as stored
_JOIN = {"sqlite": "group_concat({}, {})", "postgresql": "string_agg({}, {})"}
_NEWLINE = {"sqlite": "char(10)", "postgresql": "E'\\n'"}
_CODE_ORDER = {"sqlite": "item_code", "postgresql": 'item_code COLLATE "C"'}  # as Python sorts the body's items
# A code as a JSON string, as the body has it when the code holds no control character. A code that does
# is escaped otherwise in the body, so its batch only goes to the exact check; no raw control character
# can stand in a body, so this text never matches a body that the exact check would refuse.
_CODE = """'"' || replace(replace(item_code, '\\', '\\\\'), '"', '\\"') || '"'"""


def entries_sql(dialect: str, mark: str) -> str:
    return (
        f"SELECT {_SEQ[dialect]}, {_AT[dialect]}, actor, agency, case_no, kind, {_BODY[dialect]}, prev_hash, hash "  # noqa: S608
        f"FROM ledger_entries WHERE seq BETWEEN {mark} AND {mark} ORDER BY seq"
    )


# The aggregates below take their rows in the order of the subquery that reads them: both databases do,
# though neither promises it (an ORDER BY inside the aggregate costs PostgreSQL a sort). Were a plan ever
# to deliver them otherwise, the batch would only fall back to the exact check.


def items_sql(dialect: str, mark: str) -> str:
    """One line per entry that has index rows: ``seq:`` then its ``items`` array's inside, as the body has it."""
    prev = "coalesce(prev_seq::text, 'null')" if dialect == "postgresql" else "ifnull(prev_seq, 'null')"
    item = f"""'{{"code":' || {_CODE} || ',"prev":' || {prev} || '}}'"""
    lines, items = _JOIN[dialect].format("line", _NEWLINE[dialect]), _JOIN[dialect].format("item", "','")
    return (
        f"SELECT {lines} FROM (SELECT seq || ':' || {items} AS line "  # noqa: S608
        f"FROM (SELECT seq, {item} AS item FROM ledger_entry_items WHERE seq BETWEEN {mark} AND {mark} "
        f"ORDER BY seq, {_CODE_ORDER[dialect]}) AS items GROUP BY seq ORDER BY seq) AS lines"
    )


def nodes_sql(dialect: str, mark: str) -> str:
    """How many stored nodes, how many under a key no subtree can have, and their hashes in key order.

    A node of level L is completed by the entry whose seq is a multiple of 2**L, so valid keys and the
    right count mean exactly the keys the walk computes; the hashes are then compared in order.
    """
    one, modulo = ("1::bigint", "%%") if dialect == "postgresql" else ("1", "%")  # psycopg's "%" is a placeholder
    bad = f"CASE WHEN level BETWEEN 1 AND 62 AND seq {modulo} ({one} << level) = 0 THEN 0 ELSE 1 END"
    hashes = _JOIN[dialect].format("hash", "''")
    return (
        f"SELECT count(*), coalesce(sum({bad}), 0), coalesce({hashes}, '') "  # noqa: S608
        f"FROM (SELECT seq, level, hash FROM ledger_nodes WHERE seq BETWEEN {mark} AND {mark} "
        "ORDER BY seq, level) AS nodes"
    )


Row = tuple[bytes, bytes, str, str, str | None, str, bytes, str, str]  # entries_sql
Totals = tuple[str, tuple[int, int, str]]  # items_sql, nodes_sql


@dataclass
class Batch:
    """Entries ``first``..``last``: their rows, and what the database joins for them (perhaps still joining)."""

    first: int
    last: int
    rows: list[Row]
    totals: Callable[[], Totals]


class Queries:
    """A batch's queries, on the session's own connection (so in its transaction)."""

    def __init__(self, dbapi: Any, dialect: str) -> None:
        mark = "%s" if dialect == "postgresql" else "?"
        # One query for both totals: in a thread, each statement costs a wait for the GIL when it returns.
        totals = f"SELECT ({items_sql(dialect, mark)}), nodes.* FROM ({nodes_sql(dialect, mark)}) AS nodes"  # noqa: S608
        self.dbapi, self.sql = dbapi, [entries_sql(dialect, mark), totals]
        # psycopg's binary results hand bytea over as it is, without hex text in between.
        self.options = {"binary": True} if dialect == "postgresql" else {}

    def rows(self, first: int, last: int) -> list[Row]:
        cursor = self.dbapi.cursor(**self.options)
        try:
            cursor.execute(self.sql[0], (first, last))
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def totals(self, first: int, last: int) -> Totals:
        cursor = self.dbapi.cursor(**self.options)
        try:
            cursor.execute(self.sql[1], (first, last, first, last))
            items, count, invalid, nodes = cursor.fetchone()
        finally:
            cursor.close()
        return items or "", (int(count), int(invalid), nodes)


class Reader:
    """The batches of ``ranges``, read so that the database works while Python checks.

    ``mode`` "ahead" (PostgreSQL, which works in its own process; psycopg waits for it without the
    GIL): a thread reads whole batches, up to two ahead. "beside" (SQLite, which works in this
    process and lets go of the GIL only inside each step, so that a thread fetching rows would trade
    the GIL with the checking thread at every row, slower than no thread at all): the caller fetches
    the rows, and only the aggregate query (one long step) runs in a thread, beside the check of the
    same batch. "inline" (SQLite in memory, whose connection must stay in its thread): no thread.
    ``close`` returns once nothing but the caller uses the connection.
    """

    _END = object()

    def __init__(self, queries: Queries, ranges: list[tuple[int, int]], mode: str) -> None:
        self.queries, self.ranges, self.mode = queries, ranges, mode
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=2)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pending: Future[Totals] | None = None
        self._executor: ThreadPoolExecutor | None = None

    def __iter__(self) -> Iterator[Batch]:
        if self.mode == "inline":
            return (Batch(a, b, self.queries.rows(a, b), _ready(self.queries.totals(a, b))) for a, b in self.ranges)
        return self._read_ahead() if self.mode == "ahead" else self._read_beside()

    def _read_beside(self) -> Iterator[Batch]:
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="verify-totals")
        for first, last in self.ranges:
            rows = self.queries.rows(first, last)
            self._pending = pending = self._executor.submit(self.queries.totals, first, last)
            yield Batch(first, last, rows, pending.result)
            pending.result()  # the connection is the caller's again only once the thread is done with it

    def _read_ahead(self) -> Iterator[Batch]:
        self._thread = threading.Thread(target=self._run, name="verify-reader", daemon=True)
        self._thread.start()
        while (item := self._queue.get()) is not self._END:
            if isinstance(item, BaseException):
                raise item
            yield item

    def _run(self) -> None:
        try:
            for first, last in self.ranges:
                rows, totals = self.queries.rows(first, last), self.queries.totals(first, last)
                if self._stop.is_set() or not self._put(Batch(first, last, rows, _ready(totals))):
                    return
        except BaseException as exc:  # handed to the caller, who raises it
            self._put(exc)
            return
        self._put(self._END)

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def close(self) -> None:
        if self._pending is not None:
            wait([self._pending])
        if self._executor is not None:
            self._executor.shutdown()
        if self._thread is not None:
            self._stop.set()
            while self._thread.is_alive():
                with contextlib.suppress(queue.Empty):
                    self._queue.get(timeout=0.05)
            self._thread.join()


def _ready(totals: Totals) -> Callable[[], Totals]:
    return lambda: totals


class Heads(dict[tuple[str, str, str | None], tuple[bytes, bytes]]):
    """The body's head before and after ``at`` for each (actor, agency, case_no), as bytes, made once."""

    def __missing__(self, key: tuple[str, str, str | None]) -> tuple[bytes, bytes]:
        if len(self) > 65536:
            self.clear()  # a ledger of ever new cases: keep memory bounded, the heads are cheap to remake
        before, _, after = canonical.head(key[0], key[1], "\x00", key[2]).partition("\x00")
        self[key] = parts = before.encode(), b"Z" + after.encode()  # "Z": ``at`` is read without it
        return parts


class KindTails(dict[str, tuple[bytes, bytes]]):
    """The body's tail before and after ``seq`` for each kind, as bytes (see verify._KindTails)."""

    def __missing__(self, kind: str) -> tuple[bytes, bytes]:
        before, mark, after = canonical.kind_tail(kind, 0).rpartition(',"seq":0,')
        parts = ((before + ',"seq":').encode(), ("," + after).encode()) if mark else (b"\x00", b"")
        self[kind] = parts
        return parts


def check(
    batch: Batch, digest: bytes, frontier: list[bytes], roots: dict[int, bytes], heads: Heads, tails: KindTails
) -> bytes | None:
    """The batch's last hash when every entry of it is sound, else None (then nothing can be trusted).

    ``digest`` is the hash of the entry before the batch; ``frontier`` is advanced in place; ``roots``
    names the seqs after which the tree's root is wanted (the stored checkpoints' sizes) and gets them.
    """
    rows, first, last = batch.rows, batch.first, batch.last
    if len(rows) != last - first + 1 or int(rows[0][0]) != first or int(rows[-1][0]) != last:
        return None  # seqs are unique and ordered: the right count from first to last means no gap
    prev_hex = digest.hex()
    digests: list[bytes] = []
    nodes: list[bytes] = []
    items: list[bytes] = []
    done = first - 1
    for end in [*sorted(roots), last]:  # a stretch of rows up to each checkpoint's size, then to the end
        walked = _walk(
            rows[done - first + 1 : end - first + 1], done, digest, frontier, digests, nodes, items, heads, tails
        )
        if walked is None:
            return None
        digest, done = walked, end
        if end in roots:
            roots[end] = root_of(frontier)
    # Joined by newlines, which no hash holds: equal texts of as many rows mean equal hashes, row by row,
    # and each row's previous hash is the hash of the row before.
    computed = b"".join(digests).hex("\n", 32)
    expected_prevs = prev_hex + "\n" + computed[:-65] if len(rows) > 1 else prev_hex
    try:
        if "\n".join([row[8] for row in rows]) != computed or "\n".join([row[7] for row in rows]) != expected_prevs:
            return None
    except TypeError:  # a NULL hash (the columns are NOT NULL, but this must not be the thing that breaks)
        return None
    stored_items, (count, invalid, stored_nodes) = batch.totals()
    if b"\n".join(items) != stored_items.encode():
        return None
    if invalid or count != len(nodes) or stored_nodes != b"".join(nodes).hex():
        return None
    return digest


def _walk(
    rows: list[Row],
    size: int,
    digest: bytes,
    frontier: list[bytes],
    digests: list[bytes],
    nodes: list[bytes],
    items: list[bytes],
    heads: Heads,
    tails: KindTails,
) -> bytes | None:
    """The per-entry part of ``check``: the hot loop, so every name in it is a local."""
    sha256 = hashlib.sha256
    append_digest, append_node, append_items = digests.append, nodes.append, items.append
    push_frontier, pop_frontier = frontier.append, frontier.pop
    for seq, at, actor, agency, case_no, kind, body, _prev, _hash in rows:
        digest = sha256(digest + body).digest()
        append_digest(digest)
        node = sha256(b"\x00" + body).digest()
        n = size  # leaves before this one: each trailing 1 bit completes a subtree (tree.push)
        size += 1
        while n & 1:
            node = sha256(b"\x01" + pop_frontier() + node).digest()
            append_node(node)
            n >>= 1
        push_frontier(node)
        before_at, after_at = heads[actor, agency, case_no]
        if not body.startswith(before_at + at + after_at):
            return None
        before_seq, after_seq = tails[kind]
        tail = before_seq + seq + after_seq
        if not body.endswith(tail):
            return None
        end = len(body) - len(tail) - 1  # the items array's "]"
        start = body.rfind(b',"items":[', 0, end) + 10  # the last one: codes are JSON strings, never this
        if end > start:
            append_items(seq + b":" + body[start:end])
    return digest
