"""Scan lookup under load: ``GET /api/v1/scan?code=…`` against gunicorn, and /healthz as the baseline.

Builds a centre through the services (``--items`` items over ``--cases`` cases of
one police agency, ``--stored`` of them taken in onto a shelf by a centre
keeper), then for each worker class in ``--worker-classes`` starts gunicorn with
``--workers`` workers on ``wsgi:app`` at a free port of 127.0.0.1 (production
settings, CUSTODY_* environment), waits for /healthz, and runs ``--clients``
concurrent keep-alive clients for ``--seconds`` seconds against the scan
endpoint (a random item code per request, the ``--as`` user's bearer token),
then the same against /healthz (a trivial JSON endpoint of the same app) in the
same run. Prints p50/p90/p99/max latency, requests/s, errors (non-2xx
responses and socket errors), the server's and the generator's CPU time per
request, and the throughput ratio scan/healthz (aim: ≥ 0.7, scan p99 ≤ 25 ms).

The load generator is ``wrk`` (installed with apt-get when missing and this runs
as root, unless ``--no-install``); without it a Python asyncio client with raw
HTTP/1.1 keep-alive connections runs, and the output says which one ran. The
generator and gunicorn share this machine's cores.

    python bench/scan_load.py                                         # smoke: 2,000 items, 5 s per run, SQLite
    python bench/scan_load.py --items 20000 --stored 2000 --seconds 20
    python bench/scan_load.py --db postgresql --items 20000 --stored 2000 --seconds 20
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import resource
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import _common

SCAN = "/api/v1/scan?code="
HEALTH = "/healthz"

# wrk: a random code per request from the file given as the first script argument, the bearer token as the
# second, the path (or prefix, when it ends in "=") as the third; one machine-readable line at the end.
WRK_SCRIPT = """
local codes, counter = {}, 0
function setup(thread) counter = counter + 1; thread:set("seed", counter) end
function init(args)
  for line in io.lines(args[1]) do codes[#codes + 1] = line end
  wrk.headers["Authorization"] = "Bearer " .. args[2]
  prefix, random_code = args[3], args[3]:sub(-1) == "="
  math.randomseed(seed or 1)
end
function request()
  if random_code then return wrk.format(nil, prefix .. codes[math.random(#codes)]) end
  return wrk.format(nil, prefix)
end
function done(s, latency, requests)
  local e = s.errors
  io.write(string.format("BENCH %d %d %d %d %d %d %d\\n", s.requests, s.duration, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max, e.connect + e.read + e.write + e.status + e.timeout))
end
"""


@dataclass
class Result:
    requests: int
    seconds: float
    p50: float  # milliseconds
    p90: float
    p99: float
    max: float
    errors: int
    server_cpu: float  # seconds
    generator_cpu: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        per = 1000 / max(self.requests, 1)
        return (
            f"{self.rps:,.0f} req/s ({self.requests:,} in {self.seconds:.1f} s), latency p50 {self.p50:.2f} "
            f"p90 {self.p90:.2f} p99 {self.p99:.2f} max {self.max:.2f} ms, errors {self.errors}, CPU per "
            f"request: server {self.server_cpu * per:.2f} ms, generator {self.generator_cpu * per:.2f} ms"
        )


def pick_generator(choice: str, install: bool) -> str:
    """``wrk`` when it is (or can be made) available, else the Python client; says what it did."""
    missing = choice in ("auto", "wrk") and shutil.which("wrk") is None
    if missing and install and os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk is not installed: installing it with `apt-get install -y wrk` (--no-install to skip)", flush=True)
        done = subprocess.run(["apt-get", "install", "-y", "wrk"], capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            print(f"apt-get install wrk failed ({done.stderr.strip()[-300:]}); using the Python client")
    elif missing and choice == "auto":
        print("wrk is not installed (apt-get install -y wrk): using the Python client, which costs more CPU")
    if shutil.which("wrk") is not None and choice != "python":
        return "wrk"
    if choice == "wrk":
        raise SystemExit("wrk is not installed (apt-get install -y wrk)")
    return "python"


def run_wrk(
    server: _common.Gunicorn, prefix: str, codes_file: Path, token: str, clients: int, seconds: float, script: Path
) -> Result:
    threads = min(clients, os.cpu_count() or 1)
    cmd = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(clients),
        "-d",
        f"{max(1, round(seconds))}s",
        "--timeout",
        "5s",
        "-s",
        str(script),
        f"http://127.0.0.1:{server.port}",
        "--",
        str(codes_file),
        token,
        prefix,
    ]
    cpu0, gen0 = server.cpu_seconds(), resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    cpu1, gen1 = server.cpu_seconds(), resource.getrusage(resource.RUSAGE_CHILDREN)
    found = re.search(r"^BENCH ([\d ]+)$", out.stdout, re.M)
    if out.returncode != 0 or found is None:
        raise SystemExit(f"wrk failed ({out.returncode}): {out.stdout[-1000:]} {out.stderr[-1000:]}")
    n, duration, p50, p90, p99, top, errors = (int(x) for x in found.group(1).split())
    generator = gen1.ru_utime + gen1.ru_stime - gen0.ru_utime - gen0.ru_stime
    return Result(n, duration / 1e6, p50 / 1e3, p90 / 1e3, p99 / 1e3, top / 1e3, errors, cpu1 - cpu0, generator)


async def _python_load(
    port: int, prefix: str, codes: list[str], token: str, clients: int, seconds: float
) -> tuple[list[float], int]:
    """``clients`` connections, each sending its next request when the last answer is read; a connection the
    server closes (``Connection: close``, as gunicorn's sync workers answer) is reopened untimed."""
    deadline = time.perf_counter() + seconds
    latencies: list[float] = []
    errors = 0

    async def client(seed: int) -> None:
        nonlocal errors
        rnd = random.Random(seed)
        reader: asyncio.StreamReader | None = None
        writer: asyncio.StreamWriter | None = None
        while time.perf_counter() < deadline:
            path = prefix + rnd.choice(codes) if prefix.endswith("=") else prefix
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                assert reader is not None
                t = time.perf_counter()
                writer.write(
                    f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\r\n".encode()
                )
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
                length = re.search(r"\r\ncontent-length: *(\d+)", head)
                close = length is None or "\r\nconnection: close" in head
                await (reader.readexactly(int(length.group(1))) if length else reader.read())
                latencies.append(time.perf_counter() - t)
                errors += not head.startswith("http/1.1 2")
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                errors, close = errors + 1, True
            if close and writer is not None:
                writer.close()
                writer = None
        if writer is not None:
            writer.close()

    await asyncio.wait_for(asyncio.gather(*(client(i) for i in range(clients))), seconds + 60)
    return latencies, errors


def run_python(
    server: _common.Gunicorn, prefix: str, codes: list[str], token: str, clients: int, seconds: float
) -> Result:
    cpu0, gen0, t = server.cpu_seconds(), time.process_time(), time.perf_counter()
    latencies, errors = asyncio.run(_python_load(server.port, prefix, codes, token, clients, seconds))
    wall, cpu1, gen1 = time.perf_counter() - t, server.cpu_seconds(), time.process_time()
    ms = sorted(x * 1000 for x in latencies) or [0.0]

    def q(f: float) -> float:
        return ms[min(len(ms) - 1, int(f * len(ms)))]

    return Result(len(latencies), wall, q(0.5), q(0.9), q(0.99), ms[-1], errors, cpu1 - cpu0, gen1 - gen0)


def build_centre(app: Any, n_items: int, n_cases: int, stored: int, as_user: str) -> tuple[list[str], str]:
    """The item codes (shuffled) and a bearer token of the scanning user."""
    from custody import clock
    from custody.extensions import db
    from custody.ledger import SYSTEM
    from custody.models import User
    from custody.services import auth, cases, items, locations, people, warehouse

    actors = _common.setup_actors(app)
    with app.app_context():
        people.add_agency(SYSTEM, "CTR1", "Custody centre", "centre")
        keeper = people.add_user(SYSTEM, "keeper1", agency_code="CTR1", roles=("keeper",), password="p" * 12, name="K")
        handler = db.session.get(User, actors.handler_id)
        assert handler is not None
        seized = clock.now() - timedelta(hours=1)
        codes: list[str] = []
        for c in range(n_cases):
            case_no = actors.case_no if c == 0 else f"LOAD-{c + 1}"
            if c:
                cases.open_case(handler, case_no, f"Load case {c + 1}")
            rows = [
                {
                    "name": f"Phone {c}-{i}",
                    "category": "electronics",
                    "quantity": Decimal(1),
                    "unit": "pc",
                    "seizure_doc_no": f"DOC-{c}",
                    "seized_at": seized,
                    "seal_no": f"S-{c}-{i}",
                    "flags": [],
                }
                for i in range(n_items // n_cases + (c < n_items % n_cases))
            ]
            codes += [item.code for item in items.register_items(handler, case_no, rows)]
        shelf = locations.create_location(keeper, name="Shelf A", kind="warehouse")
        for code in codes[:stored]:
            warehouse.intake(keeper, code, location=shelf.code, seal_intact=True)
        tokens = {
            "keeper": auth.issue_token(keeper)[0],
            "handler": actors.handler_token,
            "auditor": actors.auditor_token,
        }
        db.session.remove()
    random.Random(1).shuffle(codes)
    return codes, tokens[as_user]


def gunicorn_env(url: str, files: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTODY_")}
    env.update(
        CUSTODY_ENV="production",
        CUSTODY_DATABASE_URL=url,
        CUSTODY_SECRET_KEY="bench-" + "x" * 32,
        CUSTODY_FILES_DIR=str(files),
        CUSTODY_BASE_URL="http://127.0.0.1",
    )
    return env


def run_class(
    args: Any, worker_class: str, env: dict[str, str], codes_file: Path, codes: list[str], token: str, script: Path
) -> dict[str, Result]:
    options = ["--worker-class", worker_class]
    label = f"{args.workers}×{worker_class}"
    if worker_class == "gthread":
        options += ["--threads", str(args.threads)]
        label += f"×{args.threads} threads"
    with _common.gunicorn(args.workers, options, env, app=args.app) as server:
        status, body = _common.request("GET", server.port, SCAN + codes[0], token)
        if status != 200 or json.loads(body).get("kind") != "item":
            raise SystemExit(f"the scan endpoint answered {status}: {body[:300]!r}")
        out: dict[str, Result] = {}
        for name, prefix in (("scan", SCAN), ("healthz", HEALTH)):
            for seconds in (args.warmup, args.seconds):  # the warm-up run is not counted
                if args.generator == "wrk":
                    result = run_wrk(server, prefix, codes_file, token, args.clients, seconds, script)
                else:
                    result = run_python(server, prefix, codes, token, args.clients, seconds)
            out[name] = result
            print(
                f"RESULT scan_load db={args.db} gen={args.generator} gunicorn={label} clients={args.clients} "
                f"[{name}] {result.line()}; 1-min load average {os.getloadavg()[0]:.1f}",
                flush=True,
            )
        ratio = out["scan"].rps / out["healthz"].rps if out["healthz"].rps else float("nan")
        print(
            f"RESULT scan_load db={args.db} gen={args.generator} gunicorn={label} throughput ratio scan/healthz "
            f"{ratio:.3f} (aim ≥ 0.7: {'met' if ratio >= 0.7 else 'missed'}; scan p99 {out['scan'].p99:.1f} ms, "
            f"aim ≤ 25 ms: {'met' if out['scan'].p99 <= 25 else 'missed'})",
            flush=True,
        )
        if args.verbose:
            print(server.log.read_text()[-3000:])
    return out


def main() -> None:
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("--pg", dest="db", action="store_const", const="postgresql", help="same as --db postgresql")
    p.add_argument("--items", type=int, default=2000, help="items in the centre (20000 for the figure)")
    p.add_argument("--cases", type=int, default=4, help="cases the items are spread over")
    p.add_argument("--stored", type=int, default=200, help="items taken in onto a shelf (the rest stay registered)")
    p.add_argument(
        "--as",
        dest="as_user",
        choices=("keeper", "handler", "auditor"),
        default="keeper",
        help="who scans: a centre keeper, the cases' handler (access through case holders), an auditor",
    )
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--worker-classes", default="sync,gthread", help="comma-separated gunicorn worker classes")
    p.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    p.add_argument("--app", default="wsgi:app", help="what gunicorn serves (another module on PYTHONPATH: a variant)")
    p.add_argument("--clients", type=int, default=16, help="concurrent keep-alive connections")
    p.add_argument("--seconds", type=float, default=5, help="length of each measured run (20 for the figure)")
    p.add_argument("--warmup", type=float, default=2, help="seconds of load before each measured run, not counted")
    p.add_argument("--generator", choices=("auto", "wrk", "python"), default="auto")
    p.add_argument("--no-install", action="store_true", help="do not apt-get install wrk when it is missing")
    p.add_argument("--verbose", action="store_true", help="print the tail of gunicorn's error log")
    args = p.parse_args()
    if not (1 <= args.cases <= args.items and 0 <= args.stored <= args.items and args.clients >= 1):
        p.error("need 1 ≤ --cases ≤ --items, 0 ≤ --stored ≤ --items and --clients ≥ 1")
    args.generator = pick_generator(args.generator, install=not args.no_install)

    print(
        f"scan_load: {args.items:,} items in {args.cases} cases ({args.stored:,} stored), scanned as "
        f"{args.as_user}; db={args.db}; gunicorn {args.workers} workers ({args.worker_classes}); {args.clients} "
        f"clients × {args.seconds:g} s per run (+{args.warmup:g} s warm-up); generator: {args.generator}"
    )
    print(_common.describe())
    print(
        f"CPU: {os.cpu_count()} × {_common.cpu_model()}. The load generator and gunicorn share these cores, "
        "so every figure includes the cost of generating the load.",
        flush=True,
    )
    with _common.running_app(args.db) as (app, url), tempfile.TemporaryDirectory(prefix="custody-scan-") as tmp:
        if args.db == "postgresql":
            print(f"PostgreSQL {_common.pg_version(url)}")
        t = time.perf_counter()
        codes, token = build_centre(app, args.items, args.cases, args.stored, args.as_user)
        print(f"built the centre in {time.perf_counter() - t:.1f} s", flush=True)
        codes_file, script = Path(tmp) / "codes.txt", Path(tmp) / "scan.lua"
        codes_file.write_text("\n".join(codes) + "\n")
        script.write_text(WRK_SCRIPT)
        env = gunicorn_env(url, Path(tmp) / "files")
        results = {
            wc: run_class(args, wc, env, codes_file, codes, token, script) for wc in args.worker_classes.split(",")
        }
    if len(results) > 1:
        each = [
            f"{wc} {r['scan'].rps:,.0f} req/s p99 {r['scan'].p99:.1f} ms ratio {r['scan'].rps / r['healthz'].rps:.3f}"
            for wc, r in results.items()
        ]
        print(f"RESULT scan_load db={args.db} scan by worker class: {'; '.join(each)}")


if __name__ == "__main__":
    main()
