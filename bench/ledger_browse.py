"""Ledger browser: page 1 vs a page deep in the ledger, per filter, through the service and over HTTP.

Builds a ledger of ``--n`` entries (bench/_ledger.py, every item in the one big case, so
that a case filter spans the whole ledger; one target item with ``--item-entries`` entries
spread evenly over it), then, for each filter, times in interleaved rounds:

* the service (``ledger_view.browse``, newest first, what /audit/ledger shows): the first
  page, and the page whose ``before`` cursor is ``--deep`` entries below the head;
* over HTTP (``GET /api/v1/ledger/entries``, oldest first, werkzeug's threaded server on
  127.0.0.1, a bearer token): ``after=0`` and ``after=head - deep`` (``--via client``: the
  Flask test client instead; ``--via none``: no HTTP).

and prints the median latency of each and the ratio deep / first (aim: ≤ 2). Every page asks
for 50 entries. ``--indexes`` says whether the indexes this browser needs and the migration
does not have yet (PROPOSED) are created first: ``proposed`` (default), ``none``, or ``both``
(the whole run twice, without then with). ``--plans`` prints each deep page's query plan.

    python bench/ledger_browse.py                                   # smoke: 20,000 entries, SQLite
    python bench/ledger_browse.py --n 1000000 --deep 900000
    python bench/ledger_browse.py --db postgresql --n 1000000 --deep 900000 --plans
"""

from __future__ import annotations

import contextlib
import json
import time
from datetime import timedelta
from typing import Any

import _common
import _ledger

PROPOSED = (
    "CREATE INDEX ix_ledger_entries_agency_seq ON ledger_entries (agency, seq)",
    "CREATE INDEX ix_ledger_entries_kind_seq ON ledger_entries (kind, seq)",
    "CREATE INDEX ix_ledger_entries_actor_seq ON ledger_entries (actor, seq)",
    "CREATE INDEX ix_ledger_entries_at_seq ON ledger_entries (at, seq)",
)
LIMIT = 50


def filters(actors: _common.Actors, target: str, head: int) -> dict[str, tuple[str, dict[str, Any]]]:
    """name → (who browses, EntryFilter fields): every filter the browser has, and a handler's scoped view."""
    since = _ledger.BASE_TIME
    until = _ledger.BASE_TIME + timedelta(seconds=head - 10)  # all but the newest few: the deep cursor is inside
    return {
        "no filter": ("auditor", {}),
        "agency": ("auditor", {"agency": actors.agency_code}),
        "kind (1 in 3)": ("auditor", {"kind": "item.registered"}),
        "kind (rare: 2 at the start)": ("auditor", {"kind": "case.opened"}),
        "actor (rare: the set-up's @cli)": ("auditor", {"actor": "@cli"}),
        "case": ("auditor", {"case_no": actors.case_no}),
        "item": ("auditor", {"item": target}),
        "actor": ("auditor", {"actor": "handler1"}),
        "time range": ("auditor", {"since": since, "until": until}),
        "case + kind": ("auditor", {"case_no": actors.case_no, "kind": "item.moved"}),
        "handler (scoped)": ("handler", {}),
    }


def api_query(where: dict[str, Any]) -> dict[str, str]:
    out = {k: str(v) for k, v in where.items() if k not in ("since", "until")}
    if "since" in where:
        out["from"] = where["since"].isoformat()
    if "until" in where:
        out["to"] = where["until"].isoformat()
    return out


def run(args: Any, with_indexes: bool) -> None:
    from sqlalchemy import event, text

    with contextlib.ExitStack() as stack:
        app, url = stack.enter_context(_common.running_app(args.db))
        if args.db == "postgresql":
            print(f"PostgreSQL {_common.pg_version(url)}")
        actors = _common.setup_actors(app)
        built = _ledger.build(app, actors, args.n, targets=1, depth=args.item_entries, case_items=0)
        print(f"built {built.entries:,} entries ({built.items:,} items) in {built.seconds:.1f} s")
        from custody.extensions import db
        from custody.models import User
        from custody.services import ledger_view
        from custody.services.ledger_view import EntryFilter

        with app.app_context():
            # Migration 20261206_0005 makes these indexes; "none" drops them to show what they are for.
            t = time.perf_counter()
            with db.engine.begin() as conn:
                for sql in PROPOSED:
                    conn.execute(text(f"DROP INDEX IF EXISTS {sql.split()[2]}"))
                    if with_indexes:
                        conn.execute(text(sql))
                conn.execute(text("ANALYZE"))
            if with_indexes:
                print(f"made the {len(PROPOSED)} filter indexes again in {time.perf_counter() - t:.1f} s")
            else:
                print("without the filter indexes")
            engine = db.engine
        head = built.head_seq
        deep = head - args.deep
        if deep < 1:
            raise SystemExit(f"--deep {args.deep} is past the first entry (head {head})")
        port = stack.enter_context(_common.serving(app, "server" if args.via == "server" else "client"))
        client = app.test_client()
        tokens = {"auditor": actors.auditor_token, "handler": actors.handler_token}
        user_ids = {"auditor": actors.auditor_id, "handler": actors.handler_id}
        cases = filters(actors, built.targets[0], head)

        def service(who: str, where: dict[str, Any], before: int | None) -> tuple[float, int]:
            with app.app_context():
                user = db.session.get(User, user_ids[who])
                user.agency  # noqa: B018  (loaded before timing, as the request's login has done)
                t = time.perf_counter()
                window = ledger_view.browse(user, EntryFilter(**where), before=before, limit=LIMIT)
                seconds = time.perf_counter() - t
                db.session.remove()
            return seconds, len(window.entries)

        def http(who: str, where: dict[str, Any], after: int) -> tuple[float, int]:
            params = {**api_query(where), "after": after, "limit": LIMIT}
            query = "&".join(f"{k}={_quote(v)}" for k, v in params.items())
            path = f"/api/v1/ledger/entries?{query}"
            t = time.perf_counter()
            if port is None:
                resp = client.get(path, headers={"Authorization": f"Bearer {tokens[who]}"})
                status, data = resp.status_code, resp.get_data()
            else:
                status, data = _common.request("GET", port, path, tokens[who])
            seconds = time.perf_counter() - t
            if status != 200:
                raise SystemExit(f"HTTP {status}: {data[:300]!r}")
            return seconds, len(json.loads(data)["items"])

        series: dict[str, dict[str, list[float]]] = {}
        counts: dict[str, tuple[int, int]] = {}
        for _ in range(3):  # warm-up: connections, caches, plans
            for who, where in cases.values():
                service(who, where, None)
                service(who, where, deep)
                if args.via != "none":
                    http(who, where, 0)
                    http(who, where, deep)
        for _ in range(args.rounds):
            for name, (who, where) in cases.items():
                for label, fn, cursor_first, cursor_deep in (
                    ("service browse", service, None, deep),
                    ("GET /ledger/entries", http, 0, deep),
                ):
                    if label.startswith("GET") and args.via == "none":
                        continue
                    times = series.setdefault(f"{label} [{name}]", {"first": [], "deep": []})
                    first, n_first = fn(who, where, cursor_first)
                    deep_s, n_deep = fn(who, where, cursor_deep)
                    times["first"].append(first)
                    times["deep"].append(deep_s)
                    counts[f"{label} [{name}]"] = (n_first, n_deep)
        tag = "with proposed indexes" if with_indexes else "without proposed indexes"
        for key, times in series.items():
            first, deep_s = _common.median(times["first"]), _common.median(times["deep"])
            n_first, n_deep = counts[key]
            print(
                f"RESULT ledger_browse db={args.db} n={args.n:,} {tag} {key}: first page {first * 1000:.2f} ms "
                f"({n_first} rows), {args.deep:,} deep {deep_s * 1000:.2f} ms ({n_deep} rows); "
                f"ratio {deep_s / first:.2f}"
            )
        if args.plans:
            for name, (who, where) in cases.items():
                statements: list[tuple[str, Any]] = []

                def record(
                    conn: Any,
                    cursor: Any,
                    statement: str,
                    parameters: Any,
                    context: Any,
                    many: bool,
                    into: list[tuple[str, Any]] = statements,
                ) -> None:
                    into.append((statement, parameters))

                event.listen(engine, "before_cursor_execute", record)
                try:
                    service(who, where, deep)
                finally:
                    event.remove(engine, "before_cursor_execute", record)
                print(f"\nPLAN [{name}] deep page (service browse):")
                for statement, parameters in statements:
                    if "FROM users" in statement or "FROM agencies" in statement:
                        continue
                    print("  " + " ".join(statement.split())[:300])
                    for line in explain(engine, statement, parameters):
                        print("    " + line)


def explain(engine: Any, statement: str, parameters: Any) -> list[str]:
    prefix = "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " if engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(prefix + statement, parameters)
        rows = cur.fetchall()
        cur.close()
    finally:
        raw.close()
    if engine.dialect.name == "postgresql":
        return [r[0] for r in rows]
    return [str(r[-1]) for r in rows]


def _quote(value: Any) -> str:
    from urllib.parse import quote

    return quote(str(value), safe="")


def main() -> None:
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=20000, help="entries in the ledger (1000000 for the full figure)")
    p.add_argument("--deep", type=int, default=None, help="how far below the head the deep page starts (0.9 × n)")
    p.add_argument("--item-entries", type=int, default=200, help="entries of the one item the item filter names")
    p.add_argument("--rounds", type=int, default=20)
    p.add_argument(
        "--via",
        choices=("server", "client", "none"),
        default="server",
        help="HTTP through werkzeug's server, the Flask test client, or no HTTP at all",
    )
    p.add_argument("--indexes", choices=("proposed", "none", "both"), default="proposed")
    p.add_argument("--plans", action="store_true", help="print the deep page's query plans")
    args = p.parse_args()
    if args.deep is None:
        args.deep = args.n * 9 // 10
    print(
        f"ledger_browse: {args.n:,} entries, deep page {args.deep:,} below the head, {args.rounds} rounds, "
        f"db={args.db}, via={args.via}, indexes={args.indexes}"
    )
    print(_common.describe())
    for with_indexes in {"proposed": (True,), "none": (False,), "both": (False, True)}[args.indexes]:
        run(args, with_indexes)


if __name__ == "__main__":
    main()
