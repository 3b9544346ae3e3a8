"""Item history latency (GET /api/v1/items/{code}/history) at two ledger sizes, in one run.

Builds two databases (bench/_ledger.py), each with the same number of target
items whose histories have exactly ``--depth`` entries spread over the whole
ledger, then requests those histories in interleaved rounds (small, large,
small, large, …, so that noise hits both alike) as the case's handler, and
prints the median latency at each size and their ratio (aim: ≤ 1.5).
It also times the service call alone (services.items.item_history, no HTTP).

The targets belong to a case of their own, and the other items to cases of
``--case-items`` items, so the figure isolates the ledger's size. With
``--case-items 0 --big-targets 2`` every other item (about 2/3 of the entry count)
belongs to one big case, and 2 more targets of the same shape too: their line
shows what the size of an item's case costs (see docs/benchmarks.md).

    python bench/item_history.py                                  # smoke: 2,000 vs 20,000 entries, SQLite
    python bench/item_history.py --small 10000 --large 1000000
    python bench/item_history.py --db postgresql --small 10000 --large 1000000 --via server
"""

from __future__ import annotations

import contextlib
import json
import time
from typing import Any

import _common
import _ledger


def main() -> None:
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("--small", type=int, default=2000, help="entries in the small ledger")
    p.add_argument("--large", type=int, default=20000, help="entries in the large ledger (1000000 for the full figure)")
    p.add_argument("--targets", type=int, default=5, help="items whose history is requested (in a small case)")
    p.add_argument("--big-targets", type=int, default=0, help="items whose history is requested (in the big case)")
    p.add_argument("--case-items", type=int, default=200,
                   help="items per case for the other items; 0: all in one big case")
    p.add_argument("--depth", type=int, default=10, help="entries in each target's history")
    p.add_argument("--rounds", type=int, default=60, help="rounds; each requests every target at both sizes")
    p.add_argument("--via", choices=("client", "server"), default="client",
                   help="the Flask test client, or a real HTTP server on 127.0.0.1")
    args = p.parse_args()

    print(f"item_history: {args.small:,} vs {args.large:,} entries, {args.targets} items × {args.depth} entries, "
          f"{args.rounds} rounds, db={args.db}, via={args.via}, case_items={args.case_items}")
    print(_common.describe())
    with contextlib.ExitStack() as stack:
        sizes: dict[str, dict[str, Any]] = {}
        for label, n in (("small", args.small), ("large", args.large)):
            app, url = stack.enter_context(_common.running_app(args.db))
            if label == "small" and args.db == "postgresql":
                print(f"PostgreSQL {_common.pg_version(url)}")
            actors = _common.setup_actors(app)
            built = _ledger.build(app, actors, n, targets=args.targets, big_targets=args.big_targets, depth=args.depth,
                                  case_items=args.case_items)
            print(f"{label}: built {built.entries:,} entries ({built.items:,} items, {built.index_rows:,} index rows) "
                  f"in {built.seconds:.1f} s")
            port = stack.enter_context(_common.serving(app, args.via))
            sizes[label] = {"app": app, "actors": actors, "built": built, "port": port, "client": app.test_client()}

        def fetch(size: dict[str, Any], code: str) -> float:
            path = f"/api/v1/items/{code}/history"
            token = size["actors"].handler_token
            t = time.perf_counter()
            if size["port"] is None:
                resp = size["client"].get(path, headers={"Authorization": f"Bearer {token}"})
                status, data = resp.status_code, resp.get_data()
            else:
                status, data = _common.request("GET", size["port"], path, token)
            seconds = time.perf_counter() - t
            if status != 200:
                raise SystemExit(f"HTTP {status}: {data[:300]!r}")
            got = len(json.loads(data)["entries"])
            if got != args.depth:
                raise SystemExit(f"{code}: expected {args.depth} entries, got {got}")
            return seconds

        def service(size: dict[str, Any], code: str) -> float:
            from custody.extensions import db
            from custody.models import User
            from custody.services import items

            with size["app"].app_context():
                user = db.session.get(User, size["actors"].handler_id)
                t = time.perf_counter()
                _item, entries = items.item_history(user, code)
                seconds = time.perf_counter() - t
                assert len(entries) == args.depth
                db.session.remove()
            return seconds

        for size in sizes.values():  # warm-up: first connections, caches, imports
            for code in size["built"].targets + size["built"].big_targets:
                for _ in range(3):
                    fetch(size, code)
                    service(size, code)
        series = ("GET /history, item in a small case", "service item_history, item in a small case",
                  "GET /history, item in the big case")
        times: dict[str, dict[str, list[float]]] = {name: {"small": [], "large": []} for name in series}
        for _ in range(args.rounds):
            for label, size in sizes.items():
                for code in size["built"].targets:
                    times[series[0]][label].append(fetch(size, code))
                    times[series[1]][label].append(service(size, code))
                for code in size["built"].big_targets:
                    times[series[2]][label].append(fetch(size, code))
        for name in series:
            if not times[name]["small"]:
                continue
            small, large = _common.median(times[name]["small"]), _common.median(times[name]["large"])
            print(f"RESULT item_history db={args.db} via={args.via} [{name}] median at {args.small:,} entries "
                  f"{small * 1000:.2f} ms, at {args.large:,} entries {large * 1000:.2f} ms; ratio {large / small:.3f} "
                  f"({len(times[name]['small'])} requests each)")


if __name__ == "__main__":
    main()
