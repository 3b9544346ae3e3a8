"""Appends per second with the Merkle tree maintained vs the hash chain alone: one writer, one act per commit.

Builds a ledger of ``--base`` entries (bench/_ledger.py, tree included), then times rounds of
``--appends`` acts, each one ``custody.ledger.append`` of an ``item.moved`` entry over 1 or 2
existing items (a random mix, like a real act) inside its own unit of work
(``services.uow.unit_of_work``: BEGIN IMMEDIATE on SQLite, a committed transaction each).

* "tree" rounds run append.py as it is: leaf hash, frontier parsed and pushed, completed subtrees
  inserted into ``ledger_nodes``, the head's frontier rewritten.
* "chain" rounds are the same with the tree switched off by monkeypatching, inside this script only:
  append.py's ``tree`` module is replaced by a stub whose ``push`` completes nothing and whose
  frontier is left as it was, and its ``leaf_hash`` returns at once. Between rounds (untimed) the
  tree is brought up to date over the entries a chain round wrote (``_ledger.extend_tree``), so every
  tree round starts from a complete tree.

Rounds alternate tree/chain, which one goes first swapping each pair; the figure is the median
rate of each kind and the cost ``1 − tree/chain`` (aim ≤ 15 %), also as the median over the pairs.
At the end the chain and the tree are checked (verify_chain, _ledger.check_tree).

    python bench/ledger_append.py                       # smoke: 10,000 entries, 6 pairs of 100 appends, SQLite
    python bench/ledger_append.py --base 1000000 --rounds 15 --appends 300
    python bench/ledger_append.py --db postgresql --base 1000000 --rounds 15 --appends 300
"""

from __future__ import annotations

import cProfile
import importlib
import io
import pstats
import random
import time
from typing import Any

import _common
import _ledger


class _NoTree:
    """Stands in for custody.ledger.tree inside append.py during chain rounds: the frontier is left as it is."""

    def __init__(self, frontier: str) -> None:
        self.frontier = frontier

    def parse_frontier(self, text: str, size: int) -> list[bytes]:
        return []

    def push(self, frontier: list[bytes], size: int, leaf: bytes) -> list[tuple[int, bytes]]:
        return []

    def frontier_text(self, frontier: list[bytes]) -> str:
        return self.frontier  # the same value: SQLAlchemy leaves the column out of the UPDATE


def head(app: Any) -> tuple[int, str]:
    from custody.extensions import db
    from custody.models import LedgerHead

    with app.app_context():
        row = db.session.get(LedgerHead, 1)
        assert row is not None
        out = row.seq, row.frontier
        db.session.remove()
    return out


def item_pool(app: Any, size: int, rng: random.Random) -> list[str]:
    from sqlalchemy import select

    from custody.extensions import db
    from custody.models import Item

    with app.app_context():
        codes = list(db.session.scalars(select(Item.code)))
        db.session.remove()
    return rng.sample(codes, min(size, len(codes)))


def run_round(
    app: Any, actors: _common.Actors, pool: list[str], n: int, rng: random.Random, tree: bool
) -> tuple[float, float]:
    """``n`` acts, each in its own unit of work; returns the wall time and this process's CPU time."""
    # The module itself: custody.ledger's ``append`` attribute is the function of the same name.
    appending = importlib.import_module("custody.ledger.append")
    from custody.extensions import db
    from custody.ledger import Actor, EntryKind
    from custody.services.uow import unit_of_work

    actor = Actor("handler1", actors.agency_code)
    acts = [
        (sorted(rng.sample(pool, rng.choice((1, 2)))), f"L{rng.randrange(10**6):06d}", f"L{rng.randrange(10**6):06d}")
        for _ in range(n)
    ]
    saved = appending.tree, appending.leaf_hash
    if not tree:
        appending.tree = _NoTree(head(app)[1])  # type: ignore[assignment]
        appending.leaf_hash = lambda data: b""
    try:
        with app.app_context():
            t, cpu = time.perf_counter(), time.process_time()
            for codes, src, dst in acts:
                with unit_of_work() as session:
                    appending.append(
                        session,
                        actor=actor,
                        kind=EntryKind.ITEM_MOVED,
                        data={"from": src, "to": dst},
                        case_no=actors.case_no,
                        items=codes,
                    )
            seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
            db.session.remove()
    finally:
        appending.tree, appending.leaf_hash = saved
    return seconds, cpu


def main() -> None:
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("--base", type=int, default=10000, help="entries built before timing (1000000 for the figure)")
    p.add_argument("--appends", type=int, default=100, help="acts per round")
    p.add_argument("--rounds", type=int, default=6, help="pairs of rounds (one tree, one chain)")
    p.add_argument("--profile", action="store_true", help="one extra tree round under cProfile")
    args = p.parse_args()

    print(
        f"ledger_append: {args.base:,} entries first, {args.rounds} × (tree, chain) rounds of {args.appends} acts, "
        f"db={args.db}"
    )
    print(_common.describe())
    rng = random.Random(11)
    with _common.running_app(args.db) as (app, url):
        if args.db == "postgresql":
            print(f"PostgreSQL {_common.pg_version(url)}; {_common.cpu_model()}")
        actors = _common.setup_actors(app)
        built = _ledger.build(app, actors, args.base, case_items=0)
        print(f"built {built.entries:,} entries ({built.items:,} items) in {built.seconds:.1f} s")
        pool = item_pool(app, 5000, rng)

        cpu_ms: dict[bool, list[float]] = {True: [], False: []}

        def timed(tree: bool, n: int) -> float:
            """Appends per second of one round; records this process's CPU ms per append."""
            size, frontier = head(app)
            seconds, cpu = run_round(app, actors, pool, n, rng, tree)
            cpu_ms[tree].append(cpu * 1000 / n)
            if not tree:
                from custody.extensions import db

                with app.app_context():
                    _ledger.extend_tree(db.engine, size, frontier)
            return n / seconds

        timed(True, max(10, args.appends // 5))  # warm-up: caches, prepared plans
        timed(False, max(10, args.appends // 5))
        cpu_ms[True].clear()
        cpu_ms[False].clear()
        rates: dict[bool, list[float]] = {True: [], False: []}
        pairs: list[float] = []
        for r in range(1, args.rounds + 1):
            order = (True, False) if r % 2 else (False, True)
            got = {tree: timed(tree, args.appends) for tree in order}
            for tree, rate in got.items():
                rates[tree].append(rate)
            pairs.append(1 - got[True] / got[False])
            print(
                f"round {r}: tree {got[True]:,.0f}/s ({cpu_ms[True][-1]:.3f} ms CPU each), chain alone "
                f"{got[False]:,.0f}/s ({cpu_ms[False][-1]:.3f} ms CPU each), cost {pairs[-1]:+.1%}"
            )
        tree_rate, chain_rate = _common.median(rates[True]), _common.median(rates[False])
        ordered = sorted(pairs)
        print(
            f"RESULT ledger_append db={args.db} base={args.base} acts={args.rounds}×{args.appends}: "
            f"tree maintained median {tree_rate:,.0f} appends/s ({1000 / tree_rate:.2f} ms each), "
            f"chain alone {chain_rate:,.0f} appends/s ({1000 / chain_rate:.2f} ms each); "
            f"cost 1 − tree/chain = {1 - tree_rate / chain_rate:.1%} (median of pairs {_common.median(pairs):.1%}, "
            f"range {ordered[0]:+.1%}…{ordered[-1]:+.1%}); this process's CPU per append: tree "
            f"{_common.median(cpu_ms[True]):.3f} ms, chain alone {_common.median(cpu_ms[False]):.3f} ms"
        )

        if args.profile:
            prof = cProfile.Profile()
            prof.enable()
            run_round(app, actors, pool, args.appends, rng, True)
            prof.disable()
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats("custody/ledger", 15)
            print("cProfile of a tree round, custody/ledger functions by cumulative time:")
            print(out.getvalue())

        from custody.extensions import db
        from custody.ledger import verify_chain

        with app.app_context():
            result = verify_chain(db.session)
            db.session.remove()
        if not result.ok:
            raise SystemExit(f"verify_chain after the rounds: {result}")
        print(f"after the rounds: verify_chain ok ({result.checked:,} entries); {_ledger.check_tree(app)}")


if __name__ == "__main__":
    main()
