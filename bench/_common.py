"""Shared plumbing for the benchmarks: a throw-away database, the app, a handler with a case.

Every benchmark makes its own database (a SQLite file in a temporary folder, or a
PostgreSQL database with a random name on the loopback server), builds the schema
with the real migrations, and drops it all when it finishes, even on an error.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import secrets
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PG_SERVER = os.environ.get("CUSTODY_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    return p


@contextlib.contextmanager
def database(kind: str) -> Iterator[str]:
    """A fresh, empty database URL; removed afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="custody-bench-") as folder:
            yield f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        return
    from sqlalchemy.engine import make_url

    from tests.databases import postgres_database

    if make_url(PG_SERVER).host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("benchmarks only use a PostgreSQL server on the loopback interface")
    with postgres_database(PG_SERVER, f"custody_bench_{os.getpid()}_{secrets.token_hex(3)}") as url:
        yield url


def make_app(url: str, **extra: Any) -> Any:
    """The real app on ``url``, with the schema built by the migrations."""
    from flask_migrate import upgrade

    from custody import create_app

    instance = Path(tempfile.mkdtemp(prefix="custody-bench-instance-"))
    config = {
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "x",
        "CUSTODY_PASSWORD_METHOD": "pbkdf2:sha256:1000",
        "CUSTODY_FILES_DIR": str(instance / "files"),
        "CUSTODY_BASE_URL": "http://127.0.0.1",
        "CUSTODY_LOG_KEY_FILE": str(instance / "log.key"),  # never the repository's instance/log.key
    }
    config.update(extra)
    app = create_app(config)
    app.config["BENCH_INSTANCE"] = instance
    with app.app_context():
        upgrade()
    return app


def dispose(app: Any) -> None:
    import shutil

    from custody.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    shutil.rmtree(app.config["BENCH_INSTANCE"], ignore_errors=True)


@contextlib.contextmanager
def running_app(kind: str, **extra: Any) -> Iterator[tuple[Any, str]]:
    with database(kind) as url:
        app = make_app(url, **extra)
        try:
            yield app, url
        finally:
            dispose(app)


@dataclass
class Actors:
    handler_id: int
    auditor_id: int
    agency_code: str
    case_no: str  # the big case
    small_case_no: str
    handler_token: str
    auditor_token: str


def setup_actors(app: Any) -> Actors:
    """An agency with a handler and an auditor, two open cases, and a bearer token for each user."""
    from custody.extensions import db
    from custody.ledger import SYSTEM
    from custody.services import auth, cases, people

    with app.app_context():
        agency = people.add_agency(SYSTEM, "POL1", "Police 1", "police")
        password = "p" * 12
        handler = people.add_user(
            SYSTEM, "handler1", agency_code=agency.code, roles=("handler",), password=password, name="H"
        )
        auditor = people.add_user(
            SYSTEM, "auditor1", agency_code=agency.code, roles=("auditor",), password=password, name="A"
        )
        case = cases.open_case(handler, "BENCH-1", "Benchmark case")
        small = cases.open_case(handler, "BENCH-2", "Benchmark case with few items")
        h_token, _ = auth.issue_token(handler)
        a_token, _ = auth.issue_token(auditor)
        actors = Actors(handler.id, auditor.id, agency.code, case.case_no, small.case_no, h_token, a_token)
        db.session.remove()
    return actors


@contextlib.contextmanager
def serving(app: Any, via: str) -> Iterator[int | None]:
    """``via="server"``: the app under werkzeug's threaded WSGI server on 127.0.0.1 (an ephemeral
    port), yielding the port; ``via="client"``: nothing (callers use the Flask test client)."""
    if via == "client":
        yield None
        return
    from werkzeug.serving import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args: Any, **kwargs: Any) -> None:
            pass

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        thread.join(timeout=10)


def request(method: str, port: int, path: str, token: str, body: bytes | None = None) -> tuple[int, bytes]:
    """One request over a fresh loopback connection; (status, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    try:
        headers = {"Authorization": f"Bearer {token}"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


class Client:
    """One keep-alive HTTP/1.1 connection with a bearer token, as a handheld scanner would hold."""

    def __init__(self, port: int, token: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.reconnects = 0

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, bytes, float]:
        data = json.dumps(body).encode() if body is not None else None
        t = time.perf_counter()
        self.conn.request(method, path, body=data, headers=self.headers)
        resp = self.conn.getresponse()
        payload = resp.read()
        seconds = time.perf_counter() - t
        if resp.getheader("Connection", "").lower() == "close":
            self.reconnects += 1
            self.conn.close()
        return resp.status, payload, seconds


def quantiles(seconds: list[float], points: tuple[float, ...] = (0.5, 0.9, 0.99), unit: str = "ms") -> str:
    """``n=… p50 … p90 … p99 … max … ms (mean …)`` of durations given in seconds (``unit``: ms or µs)."""
    scale, places = (1e6, 1) if unit == "µs" else (1e3, 2)
    values = sorted(s * scale for s in seconds)

    def q(f: float) -> float:
        return values[min(len(values) - 1, int(f * len(values)))]

    marks = " ".join(f"p{round(f * 100)} {q(f):.{places}f}" for f in points)
    return f"n={len(values):,} {marks} max {values[-1]:.{places}f} {unit} (mean {statistics.fmean(values):.{places}f})"


def describe() -> str:
    """One line about where the figures came from."""
    return (
        f"python {platform.python_version()} · SQLite {sqlite3.sqlite_version} · "
        f"{os.cpu_count()} CPUs · {platform.platform()}"
    )


def timeit(fn: Callable[[], Any], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def median(values: list[float]) -> float:
    return statistics.median(values)


def pg_version(url: str) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SHOW server_version")).scalar())
    finally:
        engine.dispose()


def cpu_model() -> str:
    """The CPU's model name (/proc/cpuinfo), for the record of where figures came from."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Gunicorn:
    port: int
    pid: int
    log: Path

    def processes(self) -> list[int]:
        """The master and its workers."""
        pids = [self.pid]
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, IndexError, ValueError):
                if int(stat.read_text().rpartition(")")[2].split()[1]) == self.pid:
                    pids.append(int(stat.parent.name))
        return pids

    def cpu_seconds(self) -> float:
        """User + system CPU time used so far by the master and its (long-lived) workers."""
        ticks = 0
        for pid in self.processes():
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
                ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        return ticks / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def gunicorn(workers: int, options: list[str], env: dict[str, str], app: str = "wsgi:app") -> Iterator[Gunicorn]:
    """gunicorn serving ``app`` on a free port of 127.0.0.1, once /healthz answers and every worker runs;
    stopped (SIGTERM, then SIGKILL) afterwards, also on errors."""
    port = free_port()
    fd, log_name = tempfile.mkstemp(prefix="custody-gunicorn-", suffix=".log")
    os.close(fd)
    log = Path(log_name)
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--chdir",
        str(ROOT),
        "--error-logfile",
        str(log),
        *options,
        app,
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = Gunicorn(port, proc.pid, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"gunicorn exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not answer /healthz within 60 s:\n{log.read_text()[-3000:]}")
            with contextlib.suppress(OSError):
                if request("GET", port, "/healthz", "")[0] == 200 and len(server.processes()) > workers:
                    break
            time.sleep(0.1)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.unlink(missing_ok=True)
