"""Full verification (custody.ledger.verify_chain, what `flask custody verify` runs) of N entries.

Builds a ledger of N entries (bench/_ledger.py) with its Merkle tree and a checkpoint signed by
the app's log key every ``--checkpoint-every`` entries (the bench app's ``CUSTODY_LOG_KEY`` is that
key), checks the tree (``_ledger.check_tree``), then times verify_chain and, in the same run, two
bare-hashlib baselines over the same bytes: every stored body loaded into memory first, then only
``h = sha256(prev + body.encode()).digest()`` in seq order ("chain"), and that plus each entry's
leaf hash and the node hashes of the tree it completes ("chain + tree"). Prints entries/s for
verify_chain and the baselines and their ratios (aims: ≥ 300,000 entries/s; ratio ≥ 0.25), and
whether verify.py reads the stored tree and checkpoints at all.

    python bench/verify_chain.py                              # smoke: 20,000 entries, SQLite
    python bench/verify_chain.py --n 1000000 --repeat 3
    python bench/verify_chain.py --db postgresql --n 1000000 --repeat 3 --profile
"""

from __future__ import annotations

import cProfile
import hashlib
import importlib
import inspect
import io
import pstats
import sys
import time
from typing import Any

import _common
import _ledger


def load_bodies(app: Any) -> list[str]:
    from custody.extensions import db

    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            cur = raw.cursor()
            cur.execute("SELECT body FROM ledger_entries ORDER BY seq")
            bodies = [row[0] for row in cur.fetchall()]
            cur.close()
        finally:
            raw.close()
    return bodies


def read_only(app: Any) -> tuple[float, float]:
    """Only reading the rows a full verify needs (raw cursors, batches of 10,000), no checks: every column
    of the entries and their index rows, then the stored nodes and checkpoints. The ceiling of the ratio
    for a verifier that fetches whole rows into Python; (chain rows, tree rows) seconds."""
    from custody.extensions import db

    at_sql = getattr(importlib.import_module("custody.ledger.verify"), "_AT_SQL", {})
    with app.app_context():
        raw = db.engine.raw_connection()
        postgres = db.engine.dialect.name == "postgresql"
        at = at_sql.get(db.engine.dialect.name, "at")
        queries = (
            f"SELECT seq, {at}, kind, actor, agency, case_no, body, prev_hash, hash FROM ledger_entries ORDER BY seq",
            "SELECT seq, item_code, prev_seq FROM ledger_entry_items ORDER BY seq, item_code",
            "SELECT seq, level, hash FROM ledger_nodes ORDER BY seq, level",
            "SELECT size, root, note FROM ledger_checkpoints ORDER BY size",
        )
        seconds = []
        try:
            for i, sql in enumerate(queries):
                t = time.perf_counter()
                cur = raw.driver_connection.cursor(name=f"bench_{i}") if postgres else raw.cursor()
                cur.execute(sql)
                while cur.fetchmany(10000):
                    pass
                cur.close()
                seconds.append(time.perf_counter() - t)
            raw.rollback()
        finally:
            raw.close()
    return seconds[0] + seconds[1], seconds[2] + seconds[3]


def baseline(bodies: list[str]) -> tuple[float, str]:
    """Bare hashlib over the chain: the stored bodies in seq order, nothing else."""
    sha256 = hashlib.sha256
    h = bytes(32)
    t = time.perf_counter()
    for body in bodies:
        h = sha256(h + body.encode()).digest()
    return time.perf_counter() - t, h.hex()


def baseline_tree(bodies: list[str]) -> tuple[float, str, bytes]:
    """Bare hashlib over the chain and the tree: each body chained and hashed as a leaf, and every node the
    entry completes (what a verifier that recomputes the tree must hash at the least); (seconds, head hash, root)."""
    sha256 = hashlib.sha256
    h, stack = bytes(32), []
    t = time.perf_counter()
    for size, body in enumerate(bodies):
        data = body.encode()
        h = sha256(h + data).digest()
        node = sha256(b"\x00" + data).digest()
        while size & 1:
            node = sha256(b"\x01" + stack.pop() + node).digest()
            size >>= 1
        stack.append(node)
    seconds = time.perf_counter() - t
    root = stack[-1]
    for left in reversed(stack[:-1]):
        root = sha256(b"\x01" + left + root).digest()
    return seconds, h.hex(), root


def verify_reads() -> list[str]:
    """Which of the tree's tables the verifier's code names (custody.ledger.verify and the custody modules it
    imports from): a full verify must read both."""
    verify = importlib.import_module("custody.ledger.verify")
    modules = {verify}
    for value in vars(verify).values():
        name = value.__name__ if inspect.ismodule(value) else getattr(value, "__module__", None)
        # (not the models: they name every table)
        if isinstance(name, str) and name.startswith("custody.") and not name.startswith("custody.models"):
            modules.add(sys.modules[name])
    source = "".join(inspect.getsource(m) for m in modules)
    tables = {"ledger_nodes": "LedgerNode", "ledger_checkpoints": "LedgerCheckpoint"}
    return [table for table, model in tables.items() if table in source or model in source]


def run_verify(app: Any) -> tuple[float, Any]:
    from custody.extensions import db
    from custody.ledger import verify_chain

    with app.app_context():
        t = time.perf_counter()
        result = verify_chain(db.session)
        seconds = time.perf_counter() - t
        db.session.remove()
    return seconds, result


def main() -> None:
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=20000, help="entries to build (1000000 for the full figure)")
    p.add_argument("--repeat", type=int, default=3, help="timed rounds (verify, then baseline, each round)")
    p.add_argument("--case-items", type=int, default=200, help="items per case (0: all in one case; see _ledger.py)")
    p.add_argument("--checkpoint-every", type=int, default=10000, help="a stored checkpoint every so many entries")
    p.add_argument("--profile", action="store_true", help="one extra verify_chain under cProfile")
    args = p.parse_args()

    print(f"verify_chain: {args.n:,} entries, a checkpoint every {args.checkpoint_every:,}, db={args.db}")
    print(_common.describe())
    reads = verify_reads()
    missing = sorted({"ledger_nodes", "ledger_checkpoints"} - set(reads))
    print(
        f"custody/ledger/verify.py reads {' and '.join(reads) or 'no tree tables'}"
        + (f"; NOT {' nor '.join(missing)}: this figure leaves that out" if missing else "")
    )
    with _common.running_app(args.db, CUSTODY_LOG_KEY=_ledger.bench_key().text()) as (app, url):
        if args.db == "postgresql":
            print(f"PostgreSQL {_common.pg_version(url)}; {_common.cpu_model()}")
        actors = _common.setup_actors(app)
        built = _ledger.build(app, actors, args.n, case_items=args.case_items, checkpoint_every=args.checkpoint_every)
        print(
            f"built {built.entries:,} entries ({built.items:,} items, {built.index_rows:,} index rows, "
            f"mean body {built.body_bytes / built.entries:.0f} bytes) in {built.seconds:.1f} s; "
            f"head seq {built.head_seq:,}"
        )
        t = time.perf_counter()
        print(f"{_ledger.check_tree(app)} in {time.perf_counter() - t:.1f} s")

        bodies = load_bodies(app)
        if len(bodies) != built.head_seq:
            raise SystemExit(f"expected {built.head_seq} bodies, read {len(bodies)}")
        with app.app_context():
            from custody.extensions import db
            from custody.ledger import proofs

            head_root = proofs.root(db.session, built.head_seq)
            db.session.remove()
        runs: dict[str, list[float]] = {k: [] for k in ("verify", "cpu", "chain", "tree", "read chain", "read tree")}
        n = built.head_seq
        for r in range(1, args.repeat + 1):
            cpu = time.process_time()
            seconds, result = run_verify(app)
            cpu = time.process_time() - cpu
            if not (result.ok and result.checked == n):
                raise SystemExit(f"verification failed: {result}")
            chain_s, last = baseline(bodies)
            tree_s, last_too, root = baseline_tree(bodies)
            if last != result.head_hash or last_too != last or root != head_root:
                raise SystemExit("a baseline does not end at the head hash, or the tree's root")
            read_chain, read_tree = read_only(app)
            for key, value in (
                ("verify", seconds),
                ("cpu", cpu),
                ("chain", chain_s),
                ("tree", tree_s),
                ("read chain", read_chain),
                ("read tree", read_chain + read_tree),
            ):
                runs[key].append(value)
            print(
                f"round {r}: verify_chain {seconds:.3f} s = {n / seconds:,.0f} entries/s (this process's CPU "
                f"{cpu:.3f} s); bare hashlib, chain {chain_s:.3f} s = {n / chain_s:,.0f} entries/s (ratio "
                f"{chain_s / seconds:.3f}), chain + tree {tree_s:.3f} s (ratio {tree_s / seconds:.3f}); reading the "
                f"rows alone: chain {read_chain:.3f} s, + nodes and checkpoints {read_chain + read_tree:.3f} s"
            )
        med = {key: _common.median(values) for key, values in runs.items()}

        def ratio(base: str, over: str) -> str:
            values = sorted(b / v for b, v in zip(runs[base], runs[over], strict=True))
            return f"{_common.median(values):.3f} [{values[0]:.3f}–{values[-1]:.3f}]"

        v = med["verify"]
        print(
            f"RESULT verify_chain db={args.db} n={n} checkpoints={n // args.checkpoint_every} "
            f"(verify reads {'+'.join(reads) or 'the chain only'}): median {v:.3f} s = {n / v:,.0f} entries/s "
            f"(CPU of this process {med['cpu']:.3f} s); bare hashlib: chain {med['chain']:.3f} s = "
            f"{n / med['chain']:,.0f} entries/s, ratio {ratio('chain', 'verify')}; chain + tree {med['tree']:.3f} s = "
            f"{n / med['tree']:,.0f} entries/s, ratio {ratio('tree', 'verify')}; reading rows alone: chain "
            f"{med['read chain']:.3f} s (ceiling {ratio('chain', 'read chain')}), with nodes and checkpoints "
            f"{med['read tree']:.3f} s (ceiling {ratio('tree', 'read tree')})"
        )

        if args.profile:
            from custody.extensions import db
            from custody.ledger import verify_chain

            with app.app_context():
                prof = cProfile.Profile()
                prof.enable()
                verify_chain(db.session)
                prof.disable()
                db.session.remove()
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(20)
            print("cProfile of verify_chain, top by own time:")
            print(out.getvalue())


if __name__ == "__main__":
    main()
