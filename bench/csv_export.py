"""CSV export of the whole ledger (and of the current holdings) through the real HTTP server:
wall time, and the server process's peak memory over its idle memory.

Builds a ledger of ``--n`` entries (bench/_ledger.py; about 2n/3 items), serves the app with
gunicorn (1 worker, gthread: a sync worker's heartbeat stops while it streams, and gunicorn
kills a worker silent for ``--timeout``), warms it up with a small export, then downloads
``GET /api/v1/ledger/entries.csv`` and ``GET /api/v1/holdings.csv`` as the auditor over one
loopback connection, reading 64 KiB at a time. A thread samples the worker's resident memory
(/proc/<pid>/status VmRSS) every 10 ms; its peak high-water mark (VmHWM, reset before each
download when the kernel allows) is reported as well. Aim: memory flat, peak ≤ idle + 100 MB.

    python bench/csv_export.py                                 # smoke: 20,000 entries, SQLite
    python bench/csv_export.py --n 1000000
    python bench/csv_export.py --db postgresql --n 1000000
"""

from __future__ import annotations

import contextlib
import http.client
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import _common
import _ledger

READ = 64 * 1024


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise SystemExit(f"no {field} for process {pid}")


def reset_peak(pid: int) -> bool:
    """Reset VmHWM (Linux ≥ 4.0: writing 5 to clear_refs); False when not allowed."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class Sampler(threading.Thread):
    """The highest VmRSS seen while running, sampled every ``every`` seconds."""

    def __init__(self, pid: int, every: float = 0.01) -> None:
        super().__init__(daemon=True)
        self.pid, self.every, self.peak, self.samples = pid, every, 0, 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            with contextlib.suppress(OSError):
                self.peak = max(self.peak, rss_kib(self.pid))
                self.samples += 1
            time.sleep(self.every)


def download(port: int, path: str, token: str, worker: int) -> dict[str, Any]:
    hwm_reset = reset_peak(worker)
    idle = rss_kib(worker)
    sampler = Sampler(worker)
    sampler.start()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
    t = time.perf_counter()
    conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    resp = conn.getresponse()
    if resp.status != 200:
        raise SystemExit(f"HTTP {resp.status}: {resp.read()[:300]!r}")
    first_byte = None
    size = lines = 0
    head = b""
    cut = None
    try:
        while chunk := resp.read(READ):
            if first_byte is None:
                first_byte = time.perf_counter() - t
                head = chunk[:3]
            size += len(chunk)
            lines += chunk.count(b"\n")
    except (http.client.HTTPException, OSError) as error:
        cut = f"{type(error).__name__} after {time.perf_counter() - t:.1f} s"
    wall = time.perf_counter() - t
    conn.close()
    sampler.done.set()
    sampler.join()
    if cut is not None or not Path(f"/proc/{worker}").exists():
        raise SystemExit(
            f"{path}: the download was cut off ({cut or 'worker gone'}; {size / 1e6:.0f} MB, {lines:,} lines): "
            "the worker died (a sync worker's whole response must fit in gunicorn's --timeout)"
        )
    hwm = rss_kib(worker, "VmHWM")
    return {
        "wall": wall,
        "first_byte": first_byte or wall,
        "bytes": size,
        "rows": lines - 1,
        "bom": head == b"\xef\xbb\xbf",
        "idle": idle,
        "peak": max(sampler.peak, hwm if hwm_reset else 0),
        "sampled_peak": sampler.peak,
        "hwm": hwm if hwm_reset else None,
        "samples": sampler.samples,
        "after": rss_kib(worker),
    }


def main() -> None:
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=20000, help="entries in the ledger (1000000 for the full figure)")
    p.add_argument("--repeat", type=int, default=2, help="downloads of each file")
    p.add_argument("--timeout", type=int, default=600, help="gunicorn --timeout")
    p.add_argument(
        "--worker-class",
        default="gthread",
        help="gunicorn worker class; a sync worker streaming for longer than --timeout is killed (try sync, 30)",
    )
    args = p.parse_args()
    print(
        f"csv_export: {args.n:,} entries, db={args.db}, gunicorn 1 worker ({args.worker_class}), "
        f"--timeout {args.timeout}"
    )
    print(_common.describe())
    with _common.running_app(args.db) as (app, url), tempfile.TemporaryDirectory(prefix="custody-bench-") as tmp:
        if args.db == "postgresql":
            print(f"PostgreSQL {_common.pg_version(url)}")
        actors = _common.setup_actors(app)
        built = _ledger.build(app, actors, args.n)
        print(
            f"built {built.entries:,} entries ({built.items:,} items, {built.body_bytes / 1e6:.0f} MB of bodies) "
            f"in {built.seconds:.1f} s"
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTODY_")}
        env.update(
            CUSTODY_ENV="production",
            CUSTODY_DATABASE_URL=url,
            CUSTODY_SECRET_KEY="bench-" + "x" * 32,
            CUSTODY_FILES_DIR=str(Path(tmp) / "files"),
            CUSTODY_BASE_URL="http://127.0.0.1",
        )
        options = ["--worker-class", args.worker_class, "--timeout", str(args.timeout)]
        if args.worker_class == "gthread":
            options += ["--threads", "2"]
        with _common.gunicorn(1, options, env) as server:
            worker = next(pid for pid in server.processes() if pid != server.pid)
            token = actors.auditor_token
            _common.request("GET", server.port, "/api/v1/ledger/entries.csv?kind=case.opened", token)  # warm-up
            print(f"worker {worker}: idle RSS {rss_kib(worker) / 1024:.1f} MiB after warm-up")
            for name, path, expected in (
                ("entries", "/api/v1/ledger/entries.csv", built.head_seq),
                ("holdings", "/api/v1/holdings.csv", built.items),
            ):
                for i in range(args.repeat):
                    r = download(server.port, path, token, worker)
                    if r["rows"] != expected or not r["bom"]:
                        raise SystemExit(f"{path}: {r['rows']:,} rows (expected {expected:,}), BOM {r['bom']}")
                    rise = (r["peak"] - r["idle"]) / 1024
                    hwm = "n/a" if r["hwm"] is None else f"{r['hwm'] / 1024:.1f}"
                    print(
                        f"RESULT csv_export db={args.db} {name} run {i + 1}: {r['rows']:,} rows, "
                        f"{r['bytes'] / 1e6:.0f} MB in {r['wall']:.1f} s ({r['rows'] / r['wall']:,.0f} rows/s, "
                        f"{r['bytes'] / 1e6 / r['wall']:.1f} MB/s; first byte after {r['first_byte'] * 1000:.0f} ms); "
                        f"worker RSS idle {r['idle'] / 1024:.1f} MiB, peak {r['peak'] / 1024:.1f} MiB "
                        f"(sampled {r['sampled_peak'] / 1024:.1f}, VmHWM {hwm}; {r['samples']:,} samples): "
                        f"rise {rise:.1f} MiB; after {r['after'] / 1024:.1f} MiB"
                    )


if __name__ == "__main__":
    main()
