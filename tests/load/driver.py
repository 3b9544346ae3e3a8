"""The mixed load of issue 8, written once for the test (tests/load) and the benchmark (bench/load_mixed.py).

A centre is built through the real CLI and API (``custody init``, ``custody demo``, a case with a few
thousand registered items, some of them taken in), then ``clients`` threads, each with its own
keep-alive ``http.client`` connection and bearer tokens, send for ``seconds`` seconds a mix of 70 %
scans, 20 % histories and 10 % writes (intakes and moves, half each while there is something to take in).

Writers never fight: each client owns its own registered items (to take in) and stored items (to move),
so every write should succeed and any refusal is a finding, not noise. Every 2xx write is recorded as an
acknowledged act (kind, item code), so that the ledger can be checked against it afterwards: each act
exactly one entry, and nothing else.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from sqlalchemy import create_engine, text

from tests.serving import Server

KINDS = ("scan", "history", "intake", "move")
ENTRY_KIND = {"intake": "item.intake", "move": "item.moved"}
SHELVES = 4
BATCH = 1000


@dataclass
class Pool:
    """One client's own items: registered ones to take in, stored ones (with their shelf) to move."""

    registered: list[str] = field(default_factory=list)
    stored: dict[str, str] = field(default_factory=dict)


@dataclass
class World:
    reader_token: str  # the case's handler: sees every item of the case
    keeper_token: str  # the centre's keeper: takes in and moves
    codes: list[str]
    shelves: list[str]
    pools: list[Pool]
    case_no: str


def _ok(answer: tuple[int, Any], what: str, status: int = 200) -> Any:
    if answer[0] != status:
        raise RuntimeError(f"{what}: {answer[0]} {str(answer[1])[:500]}")
    return answer[1]


def build_world(server: Server, password: str, *, items: int, stored: int, clients: int) -> World:
    """Locations, a case with ``items`` registered items and ``stored`` of them on shelves, split among clients.

    Expects ``custody demo --password PASSWORD`` to have run (its keeper and police handler act here).
    """
    tokens = {}
    for user in ("police.handler", "keeper"):
        body = {"username": user, "password": password}
        tokens[user] = _ok(server.request("POST", "/api/v1/auth/tokens", body=body), f"token {user}", 201)["token"]
    keeper, handler = tokens["keeper"], tokens["police.handler"]
    hall = _ok(
        server.request("POST", "/api/v1/locations", token=keeper, body={"name": "Load hall", "kind": "warehouse"}),
        "warehouse",
        201,
    )["code"]
    shelves = [
        _ok(
            server.request(
                "POST",
                "/api/v1/locations",
                token=keeper,
                body={"name": f"Load shelf {n}", "kind": "shelf", "parent": hall},
            ),
            "shelf",
            201,
        )["code"]
        for n in range(SHELVES)
    ]
    case_no = "LOAD-2026-1"
    _ok(server.request("POST", "/api/v1/cases", token=handler, body={"case_no": case_no, "title": "Load"}), "case", 201)
    codes: list[str] = []
    for start in range(0, items, BATCH):
        rows = [
            {
                "name": f"Load item {n}",
                "category": "goods",
                "quantity": "1",
                "unit": "piece",
                "seizure_doc_no": "LOAD-DOC-1",
                "seized_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
            for n in range(start, min(items, start + BATCH))
        ]
        made = _ok(
            server.request("POST", f"/api/v1/cases/{case_no}/items", token=handler, body={"items": rows}, timeout=300),
            "register",
            201,
        )
        codes += [item["code"] for item in made["items"]]
    pools = [Pool() for _ in range(clients)]
    for n, code in enumerate(codes):
        pools[n % clients].registered.append(code)
    # Take ``stored`` items in before the load, a few threads at a time, so that moves have targets at once.
    first = [(pool, pool.registered.pop()) for _, pool in zip(range(stored), _cycle(pools), strict=False)]

    def take_in(share: list[tuple[Pool, str]]) -> None:
        for n, (pool, code) in enumerate(share):
            shelf = shelves[n % SHELVES]
            path = f"/api/v1/items/{code}/intake"
            _ok(server.request("POST", path, token=keeper, body={"location": shelf, "seal_intact": True}), "intake")
            pool.stored[code] = shelf

    workers = [threading.Thread(target=take_in, args=(first[k::4],)) for k in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if sum(len(pool.stored) for pool in pools) != len(first):
        raise RuntimeError("the set-up intakes did not all succeed")
    return World(handler, keeper, codes, shelves, pools, case_no)


def _cycle(pools: list[Pool]) -> Any:
    while True:
        yield from pools


@dataclass
class Outcome:
    """What the clients saw: per kind latencies and statuses, socket errors, acknowledged acts."""

    seconds: float = 0.0  # from the start to the last client's last answer (not a slow ``during``'s end)
    finished: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: {kind: Counter() for kind in KINDS})
    socket_errors: Counter[str] = field(default_factory=Counter)
    acks: list[tuple[str, str]] = field(default_factory=list)  # (entry kind, item code) of each 2xx write
    unknown: list[tuple[str, str]] = field(default_factory=list)  # writes sent with no answer read
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    def errors(self) -> Counter[str]:
        """Every answer that is not 2xx, by kind and status, and every socket error."""
        out: Counter[str] = Counter()
        for kind, counted in self.statuses.items():
            for status, n in counted.items():
                if not 200 <= status < 300:
                    out[f"{kind}:{status}"] += n
        for name, n in self.socket_errors.items():
            out[f"socket:{name}"] += n
        return out

    def fives(self) -> int:
        return sum(n for counted in self.statuses.values() for status, n in counted.items() if status >= 500)


class _Client:
    def __init__(self, port: int, world: World, pool: Pool, seed: int, outcome: Outcome) -> None:
        self.port, self.world, self.pool, self.outcome = port, world, pool, outcome
        self.rng = random.Random(seed)
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def _pick(self) -> tuple[str, str, str, Any, str]:
        """(kind, method, path, body, item code) of the next request, by the 70/20/10 mix."""
        roll = self.rng.random()
        code = self.rng.choice(self.world.codes)
        if roll < 0.7:
            return "scan", "GET", f"/api/v1/scan?code={quote(code)}", None, code
        if roll < 0.9 or not (self.pool.registered or self.pool.stored):
            return "history", "GET", f"/api/v1/items/{code}/history", None, code
        if self.pool.registered and (not self.pool.stored or self.rng.random() < 0.5):
            code = self.pool.registered[-1]
            body = {"location": self.rng.choice(self.world.shelves), "seal_intact": True}
            return "intake", "POST", f"/api/v1/items/{code}/intake", body, code
        code = self.rng.choice(sorted(self.pool.stored))
        here = self.pool.stored[code]
        body = {"location": self.rng.choice([s for s in self.world.shelves if s != here])}
        return "move", "POST", f"/api/v1/items/{code}/move", body, code

    def run(self, deadline: float) -> None:
        latencies: dict[str, list[float]] = {kind: [] for kind in KINDS}
        statuses: dict[str, Counter[int]] = {kind: Counter() for kind in KINDS}
        acks: list[tuple[str, str]] = []
        unknown: list[tuple[str, str]] = []
        socket_errors: Counter[str] = Counter()
        while time.monotonic() < deadline:
            kind, method, path, body, code = self._pick()
            token = self.world.keeper_token if method == "POST" else self.world.reader_token
            headers = {"Authorization": f"Bearer {token}"}
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
            started = time.perf_counter()
            try:
                self.conn.request(method, path, body=data, headers=headers)
                response = self.conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as error:
                socket_errors[type(error).__name__] += 1
                self.conn.close()
                if method == "POST":
                    unknown.append((ENTRY_KIND[kind], code))
                    self._settle(kind, code, body, done=None)
                continue
            latencies[kind].append(time.perf_counter() - started)
            statuses[kind][response.status] += 1
            if response.will_close:
                self.conn.close()
            if method == "POST":
                done = 200 <= response.status < 300
                if done:
                    acks.append((ENTRY_KIND[kind], code))
                self._settle(kind, code, body, done=done)
        self.conn.close()
        finished = time.monotonic()
        with self.outcome.lock:
            self.outcome.finished = max(self.outcome.finished, finished)
            for kind in KINDS:
                self.outcome.latencies[kind] += latencies[kind]
                self.outcome.statuses[kind].update(statuses[kind])
            self.outcome.acks += acks
            self.outcome.unknown += unknown
            self.outcome.socket_errors.update(socket_errors)

    def _settle(self, kind: str, code: str, body: dict[str, Any], done: bool | None) -> None:
        """Keep the client's own view of its items: a refused or unanswered write leaves the item out of play."""
        if kind == "intake":
            self.pool.registered.remove(code)
            if done:
                self.pool.stored[code] = body["location"]
        elif done:
            self.pool.stored[code] = body["location"]
        else:
            del self.pool.stored[code]


def run_load(
    port: int, world: World, *, seconds: float, during: Callable[[], None] | None = None, seed: int = 8
) -> Outcome:
    """``len(world.pools)`` clients for ``seconds`` seconds; ``during`` runs in this thread half-way through."""
    outcome = Outcome()
    clients = [_Client(port, world, pool, seed * 1000 + n, outcome) for n, pool in enumerate(world.pools)]
    started = time.monotonic()
    deadline = started + seconds
    threads = [threading.Thread(target=c.run, args=(deadline,), name=f"load-{n}") for n, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    try:
        if during is not None:
            time.sleep(seconds / 2)
            during()
    finally:
        for thread in threads:
            thread.join()
    outcome.seconds = outcome.finished - started
    return outcome


def head_seq(url: str) -> int:
    """The ledger's head seq, read straight from the database."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT coalesce(max(seq), 0) FROM ledger_entries")).scalar_one())
    finally:
        engine.dispose()


def entries_since(url: str, seq: int) -> Counter[tuple[str, str]]:
    """(kind, item code) of every entry after ``seq``, counted; an entry with no item counts as (kind, "")."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT e.kind, coalesce(i.item_code, '') FROM ledger_entries e "
                    "LEFT JOIN ledger_entry_items i ON i.seq = e.seq WHERE e.seq > :seq"
                ),
                {"seq": seq},
            ).all()
    finally:
        engine.dispose()
    return Counter((str(kind), str(code)) for kind, code in rows)


def chain(url: str) -> list[tuple[int, str]]:
    """(seq, hash) of every entry, in order."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [
                (int(s), str(h)) for s, h in conn.execute(text("SELECT seq, hash FROM ledger_entries ORDER BY seq"))
            ]
    finally:
        engine.dispose()


def scraped(server: Server, name: str, **labels: str) -> float:
    """The sum of a metric's samples whose labels include ``labels``, from /metrics as seen from 127.0.0.1."""
    status, raw = server.request("GET", "/metrics")
    if status != 200:
        raise RuntimeError(f"/metrics answered {status}")
    from prometheus_client.parser import text_string_to_metric_families

    total = 0.0
    for family in text_string_to_metric_families(raw.decode()):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def result_lines(outcome: Outcome, found: Counter[tuple[str, str]]) -> list[str]:
    """The figures, as ``RESULT`` lines."""
    seconds = outcome.seconds or 1.0
    lines = [f"RESULT requests {outcome.requests:,} in {seconds:.1f} s: {outcome.requests / seconds:,.1f} req/s"]
    for kind in KINDS:
        values = outcome.latencies[kind]
        share = 100 * len(values) / max(outcome.requests, 1)
        lines.append(
            f"RESULT {kind:<7} n={len(values):,} ({share:.1f} %) {len(values) / seconds:,.1f} req/s "
            f"p50 {quantile(values, 0.5) * 1e3:.1f} ms p99 {quantile(values, 0.99) * 1e3:.1f} ms "
            f"statuses {dict(sorted(outcome.statuses[kind].items()))}"
        )
    errors = outcome.errors()
    lines.append(f"RESULT errors {sum(errors.values())} {dict(sorted(errors.items())) or ''}".rstrip())
    written = sum(n for (kind, _), n in found.items() if kind in ENTRY_KIND.values())
    lines.append(
        f"RESULT acts acknowledged {len(outcome.acks):,} · entries found {sum(found.values()):,} "
        f"({written:,} intake/move) · acknowledged acts without exactly one entry "
        f"{len(missing_or_extra(outcome, found))} · unanswered writes {len(outcome.unknown)}"
    )
    return lines


def missing_or_extra(outcome: Outcome, found: Counter[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, int]]:
    """(kind, code) → (acknowledged, entries) wherever the two differ: empty when the ledger matches the acts."""
    acked = Counter(outcome.acks)
    return {key: (acked[key], found[key]) for key in set(acked) | set(found) if acked[key] != found[key]}
