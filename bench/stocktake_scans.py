"""Stocktake scans over real HTTP: one keeper counting ``--items`` items, label after label.

Builds a centre through the services (``--items`` items registered in one call
and taken in onto ``--shelves`` shelves of one warehouse, ``--strays`` more on
another warehouse), then serves the app with gunicorn (``--via gunicorn``,
default: production settings, one gthread worker, so connections are kept
alive) or werkzeug's threaded server (``--via werkzeug``) on 127.0.0.1, opens a
stocktake of the warehouse and, over ONE keep-alive connection with a bearer
token (a handheld scanner is one client), scans every expected item in random
order, the strays (unexpected) and ``--duplicates`` labels a second time, each
``POST /api/v1/stocktakes/{number}/scans`` timed from request to the last byte
of the answer. Prints p50/p90/p99/max per scan (aim: p99 ≤ 20 ms), by result,
then the close (one ledger entry naming every item) and the CSV report.

Set-up takes the items in with a direct UPDATE (no intake entries): the
stocktake reads only where items are and their status, and 5,000 intakes one by
one would take most of the run.

    python bench/stocktake_scans.py                  # 5,000 items, SQLite, gunicorn
    python bench/stocktake_scans.py --pg             # the same on PostgreSQL
    python bench/stocktake_scans.py --items 500 --via werkzeug
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import _common


def build(app: Any, n_items: int, shelves: int, strays: int) -> tuple[list[str], list[str], str, str]:
    """(expected codes, stray codes, warehouse code, keeper's bearer token)."""
    from sqlalchemy import update

    from custody import clock
    from custody.extensions import db
    from custody.ledger import SYSTEM
    from custody.models import Item, User
    from custody.services import auth, items, locations, people
    from custody.services.uow import unit_of_work

    actors = _common.setup_actors(app)
    with app.app_context():
        people.add_agency(SYSTEM, "CTR1", "Custody centre", "centre")
        keeper = people.add_user(SYSTEM, "keeper1", agency_code="CTR1", roles=("keeper",), password="p" * 12, name="K")
        handler = db.session.get(User, actors.handler_id)
        assert handler is not None
        seized = clock.now() - timedelta(hours=1)
        rows = [
            {
                "name": f"涉案手机 {i}",
                "category": "electronics",
                "quantity": Decimal(1),
                "unit": "部",
                "seizure_doc_no": "DOC-1",
                "seized_at": seized,
                "seal_no": f"S-{i}",
                "flags": [],
            }
            for i in range(n_items + strays)
        ]
        codes = [item.code for item in items.register_items(handler, actors.case_no, rows)]
        store = locations.create_location(keeper, name="一号库", kind="warehouse")
        places = [
            locations.create_location(keeper, name=f"A-{s:02d}", kind="shelf", parent=store.code)
            for s in range(shelves)
        ]
        elsewhere = locations.create_location(keeper, name="二号库", kind="warehouse")
        with unit_of_work():
            for i, code in enumerate(codes):
                place = elsewhere if i >= n_items else places[i % shelves]
                db.session.execute(
                    update(Item)
                    .where(Item.code == code)
                    .values(status="in_storage", location_id=place.id, intake_at=clock.now())
                )
        token = auth.issue_token(keeper)[0]
        store_code = store.code
        db.session.remove()
    return codes[:n_items], codes[n_items:], store_code, token


@contextlib.contextmanager
def served(app: Any, url: str, via: str) -> Iterator[tuple[int, Callable[[], float]]]:
    """(port, a clock of the server's CPU seconds): gunicorn's processes, or this process under werkzeug."""
    if via == "werkzeug":
        with _common.serving(app, "server") as port:
            assert port is not None
            yield port, time.process_time  # includes the client's share
        return
    files = Path(tempfile.mkdtemp(prefix="custody-bench-files-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTODY_")}
    env.update(
        CUSTODY_ENV="production",
        CUSTODY_DATABASE_URL=url,
        CUSTODY_SECRET_KEY="bench-" + "x" * 32,
        CUSTODY_FILES_DIR=str(files),
        CUSTODY_BASE_URL="http://127.0.0.1",
    )
    with _common.gunicorn(1, ["--worker-class", "gthread", "--threads", "2", "--keep-alive", "30"], env) as server:
        yield server.port, server.cpu_seconds


def main() -> None:
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("--pg", dest="db", action="store_const", const="postgresql", help="same as --db postgresql")
    p.add_argument("--items", type=int, default=5000, help="items expected (in storage in the warehouse)")
    p.add_argument("--shelves", type=int, default=20, help="shelves of the warehouse the items are spread over")
    p.add_argument("--strays", type=int, default=50, help="items on another warehouse, scanned as unexpected")
    p.add_argument("--missing", type=int, default=50, help="expected items left unscanned")
    p.add_argument("--duplicates", type=int, default=100, help="labels scanned a second time")
    p.add_argument("--via", choices=("gunicorn", "werkzeug"), default="gunicorn")
    args = p.parse_args()

    print(
        f"stocktake_scans: {args.items:,} items on {args.shelves} shelves, {args.strays} strays, "
        f"{args.missing} missing, {args.duplicates} duplicates, db={args.db}, via={args.via}"
    )
    print(_common.describe())
    with _common.running_app(args.db) as (app, url):
        if args.db == "postgresql":
            print(f"PostgreSQL {_common.pg_version(url)}")
        t = time.perf_counter()
        expected, strays, store, token = build(app, args.items, args.shelves, args.strays)
        print(f"built the centre in {time.perf_counter() - t:.1f} s")
        rnd = random.Random(1)
        scanned = rnd.sample(expected, len(expected) - args.missing)
        plan = [(code, "expected") for code in scanned] + [(code, "unexpected") for code in strays]
        rnd.shuffle(plan)
        again = [(code, "duplicate") for code, _result in rnd.sample(plan, min(args.duplicates, len(plan)))]
        for code, result in again:  # each somewhere after its first scan
            first = next(i for i, (c, _r) in enumerate(plan) if c == code)
            plan.insert(rnd.randint(first + 1, len(plan)), (code, result))

        with served(app, url, args.via) as (port, server_cpu):
            client = _common.Client(port, token)
            status, body, opened_in = client.call("POST", "/api/v1/stocktakes", {"location": store})
            if status != 201:
                raise SystemExit(f"opening answered {status}: {body[:300]!r}")
            number = json.loads(body)["number"]
            print(
                f"RESULT stocktake_scans db={args.db} via={args.via} open ({json.loads(body)['expected']:,} "
                f"expected): {opened_in * 1000:.1f} ms"
            )
            times: dict[str, list[float]] = {"expected": [], "unexpected": [], "duplicate": []}
            path = f"/api/v1/stocktakes/{number}/scans"
            wall, cpu = time.perf_counter(), server_cpu()
            for code, want in plan:
                status, body, seconds = client.call("POST", path, {"code": code})
                got = json.loads(body).get("result") if status == 200 else None
                if got != want:
                    raise SystemExit(f"{code}: expected {want}, got HTTP {status} {body[:300]!r}")
                times[want].append(seconds)
            wall, cpu = time.perf_counter() - wall, server_cpu() - cpu
            every = [s for values in times.values() for s in values]
            print(
                f"RESULT stocktake_scans db={args.db} via={args.via} per scan: {_common.quantiles(every)}; "
                f"{len(every) / wall:,.0f} scans/s, server CPU {cpu / len(every) * 1000:.2f} ms per scan, "
                f"{client.reconnects} reconnects "
                f"(aim p99 ≤ 20 ms: {'met' if sorted(every)[int(0.99 * len(every))] <= 0.020 else 'missed'})"
            )
            for result, values in times.items():
                print(f"RESULT stocktake_scans db={args.db} via={args.via}   {result}: {_common.quantiles(values)}")
            status, body, closed_in = client.call("POST", f"/api/v1/stocktakes/{number}/close")
            closed = json.loads(body)
            if status != 200 or len(closed["missing"]) != args.missing or len(closed["unexpected"]) != len(strays):
                raise SystemExit(f"closing answered {status}: {body[:300]!r}")
            print(
                f"RESULT stocktake_scans db={args.db} via={args.via} close (one entry naming "
                f"{args.items + len(strays):,} items): {closed_in * 1000:.0f} ms"
            )
            status, body, csv_in = client.call("GET", f"/api/v1/stocktakes/{number}/report.csv")
            if status != 200:
                raise SystemExit(f"the CSV report answered {status}")
            print(
                f"RESULT stocktake_scans db={args.db} via={args.via} report.csv ({len(body) / 1024:,.0f} KiB): "
                f"{csv_in * 1000:.0f} ms"
            )


if __name__ == "__main__":
    main()
