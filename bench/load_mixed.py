"""The mixed load of issue 8: gunicorn, 32 clients, 70 % scans, 20 % histories, 10 % intakes and moves.

Builds a centre through the real CLI and API (``custody init``, ``custody demo``, a case with
``--items`` registered items, ``--stored`` of them taken in), serves it with gunicorn (``--workers``
sync workers, PROMETHEUS_MULTIPROC_DIR set as in production) on a free port of 127.0.0.1, and runs
``--clients`` keep-alive client threads for ``--seconds`` seconds; half-way through it takes a backup
with ``flask custody backup`` (``--no-backup`` to skip). The clients are the load test's own driver
(tests/load/driver.py): each owns the items it writes, so every write should succeed.

Prints requests/s overall and per kind, p50/p99 per kind, errors by status, and the acts acknowledged
against the ledger entries found after the run (aim: equal, 0 errors), then verifies the ledger.
The clients (Python threads) and the server share this machine's cores.

    python bench/load_mixed.py                                   # 60 s, 32 clients, 2 workers, SQLite
    python bench/load_mixed.py --db postgresql
    python bench/load_mixed.py --seconds 10 --clients 8          # a smoke run
"""

from __future__ import annotations

import os
import secrets
import tempfile
import time
from pathlib import Path

import _common

from tests.load import driver
from tests.serving import environment, flask, gunicorn


def main() -> None:
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--items", type=int, default=3000, help="registered items (scan and history targets)")
    p.add_argument("--stored", type=int, default=128, help="of which taken in before the load (move targets)")
    p.add_argument("--no-backup", action="store_true", help="do not take a backup half-way through")
    args = p.parse_args()
    print(f"load_mixed: {_common.describe()} · {_common.cpu_model()}")
    print(f"  load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with _common.database(args.db) as url, tempfile.TemporaryDirectory(prefix="custody-load-") as folder:
        if args.db == "postgresql":
            print(f"  PostgreSQL {_common.pg_version(url)}")
        instance = Path(folder)
        password = "Load-" + secrets.token_urlsafe(12)
        env = environment(url, instance / "instance")
        for command in (("init",), ("demo", "--password", password)):
            done = flask(env, *command)
            if done.returncode != 0:
                raise SystemExit(f"custody {command[0]} failed: {done.stderr[-2000:]}")
        metrics = instance / "prometheus"
        metrics.mkdir()
        took: list[float] = []

        def backup() -> None:
            started = time.monotonic()
            done = flask(env, "backup", str(instance / "backup"))
            took.append(time.monotonic() - started)
            if done.returncode != 0:
                print(f"  backup FAILED: {done.stderr[-1000:]}")

        serving = environment(url, instance / "instance", PROMETHEUS_MULTIPROC_DIR=str(metrics))
        with gunicorn(serving, workers=args.workers) as server:
            t = time.perf_counter()
            world = driver.build_world(server, password, items=args.items, stored=args.stored, clients=args.clients)
            print(
                f"  set-up: {args.items:,} items registered, {args.stored:,} taken in, {time.perf_counter() - t:.1f} s"
            )
            before = driver.head_seq(url)
            print(
                f"  running {args.clients} clients for {args.seconds:g} s against gunicorn "
                f"({args.workers} sync workers), {args.db}"
            )
            # Server CPU (master and workers, from /proc) and this process's CPU (the client threads) per request:
            # figures that, unlike requests/s, hardly depend on what else the machine is running.
            cpu = _common.Gunicorn(server.port, server.process.pid, server.log)
            server_cpu, client_cpu = cpu.cpu_seconds(), time.process_time()
            outcome = driver.run_load(
                server.port, world, seconds=args.seconds, during=None if args.no_backup else backup
            )
            server_cpu, client_cpu = cpu.cpu_seconds() - server_cpu, time.process_time() - client_cpu
            scans = driver.scraped(server, "custody_http_requests_total", endpoint="/api/v1/scan")
        print(f"  load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        found = driver.entries_since(url, before)
        for line in driver.result_lines(outcome, found):
            print(line)
        per = 1e3 / max(outcome.requests, 1)
        print(f"RESULT CPU per request: server {server_cpu * per:.2f} ms, clients {client_cpu * per:.2f} ms")
        print(f"RESULT /metrics scans counted over the workers {scans:,.0f} · sent {len(outcome.latencies['scan']):,}")
        if took:
            print(f"RESULT backup under load {took[0]:.1f} s")
        verified = flask(env, "verify")
        print(f"RESULT verify exit {verified.returncode}: {verified.stdout.strip()[-200:]}")


if __name__ == "__main__":
    main()
