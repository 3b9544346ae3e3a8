"""Full verification (custody.ledger.verify_chain, what `flask custody verify` runs) of N entries.

Builds a ledger of N entries (bench/_ledger.py), then times verify_chain and, in
the same run, the bare-hashlib baseline: every stored body loaded into memory
first, then only ``h = sha256(prev + body.encode()).digest()`` in seq order is
timed. Prints entries/s for both and their ratio (aim: ≥ 0.25).

    python bench/verify_chain.py                              # smoke: 20,000 entries, SQLite
    python bench/verify_chain.py --n 1000000 --repeat 3
    python bench/verify_chain.py --db postgresql --n 1000000 --repeat 3 --profile
"""

from __future__ import annotations

import cProfile
import hashlib
import io
import pstats
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


def read_only(app: Any) -> float:
    """Only reading what verify_chain reads (same queries, raw cursors, batches of 10,000), no checks:
    the ceiling of the ratio for any verifier that fetches its rows into Python."""
    from custody.extensions import db
    from custody.ledger.verify import _AT_SQL

    with app.app_context():
        raw = db.engine.raw_connection()
        postgres = db.engine.dialect.name == "postgresql"
        at = _AT_SQL.get(db.engine.dialect.name, "at")
        try:
            t = time.perf_counter()
            for i, sql in enumerate((
                f"SELECT seq, {at}, kind, actor, agency, case_no, body, prev_hash, hash "
                "FROM ledger_entries ORDER BY seq",
                "SELECT seq, item_code, prev_seq FROM ledger_entry_items ORDER BY seq, item_code",
            )):
                cur = raw.driver_connection.cursor(name=f"bench_{i}") if postgres else raw.cursor()
                cur.execute(sql)
                while cur.fetchmany(10000):
                    pass
                cur.close()
            seconds = time.perf_counter() - t
            raw.rollback()
        finally:
            raw.close()
    return seconds


def baseline(bodies: list[str]) -> tuple[float, str]:
    sha256 = hashlib.sha256
    h = bytes(32)
    t = time.perf_counter()
    for body in bodies:
        h = sha256(h + body.encode()).digest()
    return time.perf_counter() - t, h.hex()


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
    p.add_argument("--profile", action="store_true", help="one extra verify_chain under cProfile")
    args = p.parse_args()

    print(f"verify_chain: {args.n:,} entries, db={args.db}")
    print(_common.describe())
    with _common.running_app(args.db) as (app, url):
        if args.db == "postgresql":
            print(f"PostgreSQL {_common.pg_version(url)}")
        actors = _common.setup_actors(app)
        built = _ledger.build(app, actors, args.n, case_items=args.case_items)
        print(f"built {built.entries:,} entries ({built.items:,} items, {built.index_rows:,} index rows, "
              f"mean body {built.body_bytes / built.entries:.0f} bytes) in {built.seconds:.1f} s; "
              f"head seq {built.head_seq:,}")

        bodies = load_bodies(app)
        if len(bodies) != built.head_seq:
            raise SystemExit(f"expected {built.head_seq} bodies, read {len(bodies)}")
        verify_runs, base_runs, read_runs, cpu_runs = [], [], [], []
        n = built.head_seq
        for r in range(1, args.repeat + 1):
            cpu = time.process_time()
            seconds, result = run_verify(app)
            cpu = time.process_time() - cpu
            if not (result.ok and result.checked == n):
                raise SystemExit(f"verification failed: {result}")
            base_s, last = baseline(bodies)
            if last != result.head_hash:
                raise SystemExit("baseline chain does not end at the head hash")
            read_s = read_only(app)
            verify_runs.append(seconds)
            base_runs.append(base_s)
            read_runs.append(read_s)
            cpu_runs.append(cpu)
            print(f"round {r}: verify_chain {seconds:.3f} s = {n / seconds:,.0f} entries/s (this process's CPU "
                  f"{cpu:.3f} s); bare hashlib {base_s:.3f} s = {n / base_s:,.0f} entries/s; "
                  f"ratio {base_s / seconds:.3f}; "
                  f"reading the rows alone {read_s:.3f} s (ratio ceiling {base_s / read_s:.3f})")
        v, b, rd = _common.median(verify_runs), _common.median(base_runs), _common.median(read_runs)
        ratios = sorted(bb / vv for bb, vv in zip(base_runs, verify_runs, strict=True))
        ceilings = sorted(bb / rr for bb, rr in zip(base_runs, read_runs, strict=True))
        print(f"RESULT verify_chain db={args.db} n={n}: median {v:.3f} s = {n / v:,.0f} entries/s "
              f"(CPU of this process {_common.median(cpu_runs):.3f} s); "
              f"baseline median {b:.3f} s = {n / b:,.0f} entries/s; "
              f"ratio (median of rounds) {_common.median(ratios):.3f} [{ratios[0]:.3f}–{ratios[-1]:.3f}]; "
              f"reading rows alone {rd:.3f} s, ratio ceiling {_common.median(ceilings):.3f}")

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
