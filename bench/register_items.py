"""Register N items in ONE API call: POST /api/v1/cases/{case_no}/items {"items": [...N rows...]}.

Prints the wall time of each call (client side: request sent → response read),
a breakdown of where the time went (measured by thin timing wrappers around the
request's stages), and with --profile the top functions by cumulative time
(cProfile, which inflates the total; read its proportions, not its seconds).

    python bench/register_items.py                         # smoke: 1,000 items, test client, SQLite
    python bench/register_items.py --n 10000 --via server --repeat 5
    python bench/register_items.py --db postgresql --n 10000 --via server --repeat 5 --profile
"""

from __future__ import annotations

import cProfile
import functools
import io
import json
import pstats
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import _common

CATEGORIES = ("electronics", "valuables", "documents", "goods", "cash", "other")


def rows(n: int) -> list[dict[str, Any]]:
    """N plausible rows, every optional field filled, as a client would send them."""
    out = []
    for i in range(n):
        out.append(
            {
                "name": f"Mobile phone, black, IMEI 35{i:013d}",
                "category": CATEGORIES[i % len(CATEGORIES)],
                "quantity": "1" if i % 7 else "2.5",
                "unit": "pc" if i % 7 else "kg",
                "description": f"Seized from the vehicle, bag {i // 50 + 1}, slot {i % 50 + 1}; screen cracked.",
                "estimated_value": f"{(i % 500) * 10 + 99}.50",
                "owner_name": f"Owner {i % 300}",
                "seizure_doc_no": f"SZ-2026-{i // 100:05d}",
                "seized_at": "2026-11-20T08:30:00+08:00",
                "seized_by": "Officer Wang",
                "seal_no": f"SEAL-{i:07d}",
                "flags": ["fragile"] if i % 3 == 0 else [],
            }
        )
    return out


class Stages:
    """Accumulated seconds per stage, from wrappers installed around the request's steps."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._undo: list[Callable[[], None]] = []

    def wrap(self, owner: Any, name: str, label: str) -> None:
        original = getattr(owner, name)
        own = name in vars(owner)

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[label] += time.perf_counter() - t

        setattr(owner, name, timed)
        self._undo.append(lambda: setattr(owner, name, original) if own else delattr(owner, name))

    def reset(self) -> None:
        self.seconds.clear()

    def undo(self) -> None:
        for fn in reversed(self._undo):
            fn()


def install_stages(app: Any) -> Stages:
    import webargs.flaskparser
    from sqlalchemy.orm import Session

    import custody.ledger.canonical as canonical
    import custody.services.items as item_service
    from custody.api.schemas.items import ItemBatchSchema, ItemListSchema

    ledger_append = sys.modules["custody.ledger.append"]  # the package's ``append`` shadows the module
    s = Stages()
    s.wrap(webargs.flaskparser.FlaskParser, "_raw_load_json", "request JSON parse")
    s.wrap(ItemBatchSchema, "load", "marshmallow load (validation)")
    s.wrap(item_service, "register_items", "service total (register_items incl. commit)")
    s.wrap(item_service, "_new_codes", "  new codes (+ uniqueness SELECTs)")
    s.wrap(item_service, "_check_rows", "  row checks")
    s.wrap(item_service, "append", "  ledger append total")
    s.wrap(ledger_append, "_previous_seqs", "    previous seqs")
    s.wrap(canonical, "body", "    canonical body (JSON encode)")
    s.wrap(Session, "commit", "  commit")
    s.wrap(ItemListSchema, "dump", "marshmallow dump (response)")
    s.wrap(app.json, "dumps", "response JSON encode")
    return s


def report_stages(stages: Stages, wall: float) -> None:
    sec = stages.seconds
    service = sec.get("service total (register_items incl. commit)", 0.0)
    inner = sum(v for k, v in sec.items() if k.startswith("  ") and not k.startswith("    "))
    rows_out = dict(sec)
    rows_out["  item INSERT … RETURNING + access checks (rest of service)"] = service - inner
    ledger = sec.get("  ledger append total", 0.0)
    ledger_inner = sum(v for k, v in sec.items() if k.startswith("    "))
    rows_out["    entry + index INSERTs, hash (rest of append)"] = ledger - ledger_inner
    top = sum(v for k, v in sec.items() if not k.startswith(" "))
    rows_out["other (routing, auth, HTTP, …)"] = wall - top
    order = [
        "request JSON parse",
        "marshmallow load (validation)",
        "service total (register_items incl. commit)",
        "  row checks",
        "  new codes (+ uniqueness SELECTs)",
        "  item INSERT … RETURNING + access checks (rest of service)",
        "  ledger append total",
        "    previous seqs",
        "    canonical body (JSON encode)",
        "    entry + index INSERTs, hash (rest of append)",
        "  commit",
        "marshmallow dump (response)",
        "response JSON encode",
        "other (routing, auth, HTTP, …)",
    ]
    print(f"  {'stage':<62} {'seconds':>8} {'share':>6}")
    for key in order:
        if key in rows_out:
            v = rows_out[key]
            print(f"  {key:<62} {v:8.3f} {100 * v / wall:5.1f}%")
    print(f"  {'wall':<62} {wall:8.3f}")


def main() -> None:
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=1000, help="items per call (10000 for the full figure)")
    p.add_argument("--repeat", type=int, default=1, help="calls, each into a fresh case")
    p.add_argument("--via", choices=("client", "server"), default="client",
                   help="the Flask test client, or a real HTTP server on 127.0.0.1")
    p.add_argument("--profile", action="store_true", help="one extra call under cProfile; print the top functions")
    args = p.parse_args()

    payload = json.dumps({"items": rows(args.n)}).encode()
    print(f"register_items: {args.n} items in one call, {len(payload) / 1e6:.1f} MB of JSON, "
          f"db={args.db}, via={args.via}")
    print(_common.describe())
    with _common.running_app(args.db, CUSTODY_MAX_UPLOAD_MB="64") as (app, url):
        if args.db == "postgresql":
            print(f"PostgreSQL {_common.pg_version(url)}")
        actors = _common.setup_actors(app)
        stages = install_stages(app)
        client = app.test_client()
        from custody.services import cases

        def fresh_case(i: int) -> str:
            from custody.extensions import db
            from custody.models import User

            with app.app_context():
                case = cases.open_case(db.session.get(User, actors.handler_id), f"BENCH-R{i}", "Registration benchmark")
                no = case.case_no
                db.session.remove()
            return no

        with _common.serving(app, args.via) as port:

            def call(case_no: str) -> float:
                path = f"/api/v1/cases/{case_no}/items"
                t = time.perf_counter()
                if port is None:
                    resp = client.post(path, data=payload, headers={"Authorization": f"Bearer {actors.handler_token}"},
                                       content_type="application/json")
                    status, data = resp.status_code, resp.get_data()
                else:
                    status, data = _common.request("POST", port, path, actors.handler_token, payload)
                wall = time.perf_counter() - t
                if status != 201:
                    raise SystemExit(f"HTTP {status}: {data[:500]!r}")
                got = len(json.loads(data)["items"])
                if got != args.n:
                    raise SystemExit(f"expected {args.n} items back, got {got}")
                return wall

            call(fresh_case(0))  # warm-up: imports, caches, first connection
            walls = []
            for i in range(1, args.repeat + 1):
                case_no = fresh_case(i)
                stages.reset()
                wall = call(case_no)
                walls.append(wall)
                print(f"call {i}: {wall:.3f} s ({args.n / wall:,.0f} items/s)")
                if i == args.repeat:
                    print("where the time went (last call):")
                    report_stages(stages, wall)
            walls.sort()
            print(f"RESULT register_items db={args.db} via={args.via} n={args.n}: "
                  f"median {_common.median(walls):.3f} s, min {walls[0]:.3f} s, max {walls[-1]:.3f} s "
                  f"over {len(walls)} calls")

            if args.profile:
                stages.undo()
                case_no = fresh_case(args.repeat + 1)
                prof = cProfile.Profile()
                # The server runs requests on other threads; profiling them needs the test client.
                t = time.perf_counter()
                prof.enable()
                headers = {"Authorization": f"Bearer {actors.handler_token}"}
                resp = client.post(f"/api/v1/cases/{case_no}/items", data=payload, headers=headers,
                                   content_type="application/json")
                prof.disable()
                assert resp.status_code == 201, resp.get_data()[:300]
                print(f"cProfile (test client, {time.perf_counter() - t:.3f} s under the profiler), "
                      "top by cumulative time:")
                out = io.StringIO()
                pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(45)
                print(out.getvalue())
                out = io.StringIO()
                pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(25)
                print("top by own time:")
                print(out.getvalue())


if __name__ == "__main__":
    main()
