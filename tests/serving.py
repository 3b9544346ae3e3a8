"""The app served for real by gunicorn in a process group of its own: for the load and crash tests.

These tests need what the test client cannot give: several worker processes writing at once, and a
server that can be killed (SIGKILL to the whole group, as a power cut would) in the middle of an act.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def environment(database_url: str, instance: Path, **extra: str) -> dict[str, str]:
    """What the server and the `flask custody` commands of one test see."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTODY_")}
    env.update(
        FLASK_APP="wsgi",
        CUSTODY_DATABASE_URL=database_url,
        CUSTODY_SECRET_KEY="test-secret",
        CUSTODY_FILES_DIR=str(instance / "files"),
        CUSTODY_LOG_KEY_FILE=str(instance / "log.key"),
        CUSTODY_BASE_URL="http://custody.test",
        CUSTODY_LOG_FORMAT="text",
        CUSTODY_LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


def flask(env: dict[str, str], *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    """``flask custody …`` in a subprocess, as an operator runs it."""
    return subprocess.run(  # noqa: S603 - our own flask, with arguments the tests choose
        [str(Path(sys.executable).parent / "flask"), "custody", *args],
        env=env,
        cwd=ROOT,
        input=input,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@dataclass
class Server:
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(
        self, method: str, path: str, *, token: str = "", body: Any = None, timeout: float = 60
    ) -> tuple[int, Any]:
        """One request on a new connection: (status, parsed JSON or raw bytes)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            raw = response.read()
            if "json" in (response.getheader("Content-Type") or ""):
                return response.status, json.loads(raw)
            return response.status, raw
        finally:
            conn.close()

    def kill(self) -> None:
        """SIGKILL to the master and every worker at once: nothing gets to clean up."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)


@contextlib.contextmanager
def gunicorn(env: dict[str, str], *, workers: int = 2, threads: int = 1, timeout: int = 120) -> Iterator[Server]:
    """gunicorn serving wsgi:app on a free loopback port once /healthz answers; stopped afterwards."""
    port = free_port()
    log = Path(env["CUSTODY_FILES_DIR"]).parent / f"gunicorn-{port}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads)]
    cmd += ["--bind", f"127.0.0.1:{port}", "--timeout", str(timeout), "--error-logfile", str(log), "wsgi:app"]
    process = subprocess.Popen(  # noqa: S603 - our own gunicorn command
        cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    server = Server(port, process, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer /healthz within 60 s:\n{log.read_text()[-3000:]}")
            with contextlib.suppress(OSError):
                if server.request("GET", "/healthz", timeout=5)[0] == 200:
                    break
            time.sleep(0.1)
        yield server
    finally:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
