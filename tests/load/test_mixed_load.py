"""Issue 8, item 3: the bounded mixed load against gunicorn, with a backup taken in the middle of it.

32 clients for CUSTODY_LOAD_SECONDS (default 60) seconds against 2 gunicorn workers, 70 % scans, 20 %
histories, 10 % intakes and moves. Afterwards: no 5xx (no error at all: every writer owns its items);
every acknowledged act has exactly one ledger entry of its kind for its item and nothing else was
appended; the live ledger verifies; the backup taken under load restores into an empty database,
verifies there, and its ledger is a prefix of the live one. And /metrics, summed over the workers by
prometheus_client's multiprocess mode, counts exactly the scans the clients sent.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

import pytest

from tests.databases import own_database
from tests.load import driver
from tests.serving import environment, flask, gunicorn

pytestmark = [pytest.mark.slow, pytest.mark.load]

CLIENTS = 32
WORKERS = 2


def _run(env: dict[str, str], *args: str) -> str:
    done = flask(env, *args)
    assert done.returncode == 0, f"custody {' '.join(args)}: {done.stdout[-2000:]} {done.stderr[-3000:]}"
    return done.stdout


def test_mixed_load_keeps_every_act_and_a_backup_taken_under_it_restores(database_url: str, tmp_path: Path) -> None:
    seconds = float(os.environ.get("CUSTODY_LOAD_SECONDS", "60"))
    password = "Load-" + secrets.token_urlsafe(12)
    with (
        own_database(database_url, tmp_path, "load") as live,
        own_database(database_url, tmp_path, "restored") as restored,
    ):
        env = environment(live, tmp_path / "live")
        _run(env, "init")
        _run(env, "demo", "--password", password)
        metrics_dir = tmp_path / "prometheus"
        metrics_dir.mkdir()
        backup_dir = tmp_path / "backup"
        took: list[float] = []
        before = 0

        def backup() -> None:
            """Half-way through, once the load has written something, so that the backup holds some of its acts."""
            patience = time.monotonic() + seconds / 2
            while driver.head_seq(live) <= before and time.monotonic() < patience:
                time.sleep(0.2)
            started = time.monotonic()
            _run(env, "backup", str(backup_dir))
            took.append(time.monotonic() - started)

        serving = environment(live, tmp_path / "live", PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
        with gunicorn(serving, workers=WORKERS) as server:
            world = driver.build_world(server, password, items=3000, stored=4 * CLIENTS, clients=CLIENTS)
            before = driver.head_seq(live)
            outcome = driver.run_load(server.port, world, seconds=seconds, during=backup)
            scans_counted = driver.scraped(server, "custody_http_requests_total", endpoint="/api/v1/scan")
            scans_timed = driver.scraped(server, "custody_http_request_duration_seconds_count", endpoint="/api/v1/scan")
            assert server.process.poll() is None, "gunicorn died under the load"

        found = driver.entries_since(live, before)
        print("\n".join(driver.result_lines(outcome, found)), f"\nbackup under load took {took[0]:.1f} s")
        assert outcome.fives() == 0, outcome.errors()
        assert not outcome.errors(), outcome.errors()
        assert not outcome.unknown
        assert len(outcome.acks) > 0 and len(outcome.latencies["scan"]) > 0
        assert driver.missing_or_extra(outcome, found) == {}
        assert sum(found.values()) == len(outcome.acks), "entries of other kinds appeared during the load"
        _run(env, "verify")  # exit 0: the live ledger is intact
        # Each worker counts its own requests; only multiprocess mode makes one scrape see both workers' counts.
        assert scans_counted == scans_timed == len(outcome.latencies["scan"])

        restore_env = environment(restored, tmp_path / "restored", CUSTODY_LOG_KEY_FILE=env["CUSTODY_LOG_KEY_FILE"])
        _run(restore_env, "restore", str(backup_dir))
        _run(restore_env, "verify")
        saved, now = driver.chain(restored), driver.chain(live)
        assert before < len(saved) <= len(now)
        assert saved == now[: len(saved)]
