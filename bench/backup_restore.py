"""Backup and restore of a big ledger, as an operator runs them: wall time, size, peak memory.

Builds a ledger of ``--entries`` entries and about ``--items`` items (bench/_ledger.py, with its
Merkle tree and a checkpoint signed every ``--checkpoint-every`` entries) and ``--files`` stored
files of ``--file-kb`` KiB (random bytes under their SHA-256 names, the layout custody.files
writes; no photo rows point at them, which the backup does not look at), then runs, each as
a subprocess of ``.venv/bin/flask`` with only CUSTODY_* environment variables (FLASK_APP=wsgi):

1. ``flask custody backup DEST`` on the built database;
2. ``flask custody restore DEST`` into a second, empty database and an empty files directory
   (the restore verifies the whole ledger itself);
3. ``flask custody verify`` on the restored database, alone, to split the restore's verify from the rest.

Each subprocess runs ``flask.cli.main`` behind a few lines that only wrap the stage functions of
custody.services.backups with timers (the ``STAGES`` line), so one run gives both the operator's wall
time and where it went. Peak RSS and CPU come from ``/usr/bin/time`` around each command (they include
pg_dump / pg_restore, which the flask process waits for, but not the PostgreSQL server's own processes).
Afterwards the restored head (seq, hash) and tree root (``ledger.proofs.root`` over the restored
nodes) and every table's row count are compared with the original's. Everything (databases, folders)
is removed at the end, also on errors.

    python bench/backup_restore.py                                   # smoke: 20,000 items, 60,000 entries
    python bench/backup_restore.py --db postgresql --items 1000000 --entries 3000000 --files 10000
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _common
import _ledger

FLASK = Path(sys.executable).parent / "flask"
# Runs `flask ARGS…` with the named functions of custody.services.backups wrapped in timers; prints
# their total seconds as one JSON line (STAGES …) on stderr when the command exits, however it exits.
STAGED = """
import atexit, functools, json, sys, time
import custody.services.backups as backups
spent = {}
def timed(name, fn):
    @functools.wraps(fn)
    def inner(*args, **kwargs):
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[name] = spent.get(name, 0.0) + time.perf_counter() - started
    return inner
for name in sys.argv[1].split(","):
    setattr(backups, name, timed(name, getattr(backups, name)))
atexit.register(lambda: print("STAGES " + json.dumps(spent), file=sys.stderr, flush=True))
sys.argv = ["flask", *sys.argv[2:]]
from flask.cli import main
main()
"""
BACKUP_STAGES = "_snapshot_sqlite,_snapshot_postgres,_copy_files"
RESTORE_STAGES = "_check_backup,_check_target,_restore_database,_restore_files,verify_chain"


class Run:
    """One finished command: wall seconds, CPU (user + system, its own and its children's), peak RSS."""

    def __init__(self, name: str, wall: float, cpu: float, rss_mb: float, out: str, stages: dict[str, float]) -> None:
        self.name, self.wall, self.cpu, self.rss_mb, self.out, self.stages = name, wall, cpu, rss_mb, out, stages

    def line(self) -> str:
        staged = ", ".join(f"{k.lstrip('_')} {v:.1f} s" for k, v in self.stages.items())
        return f"{self.name}: wall {self.wall:.1f} s, CPU {self.cpu:.1f} s, peak RSS {self.rss_mb:.0f} MB" + (
            f" [{staged}]" if staged else ""
        )


def run(name: str, argv: list[str], env: dict[str, str], work: Path, stages: str = "") -> Run:
    """``flask ARGV`` as a child process (behind the stage timers when ``stages`` names any); stops the
    bench with its output when it fails.

    Started through /usr/bin/time, whose wait4 gives the peak RSS of the command and the children it
    reaped: a child forked from this (big, after the build) process would start with our high-water
    mark as its own ru_maxrss, since Linux carries it across exec."""
    command = [sys.executable, "-c", STAGED, stages, *argv] if stages else [str(FLASK), *argv]
    usage_path = work / f"{name}.usage"
    command = ["/usr/bin/time", "-f", "%U %S %M", "-o", str(usage_path), *command]
    out_path, err_path = work / f"{name}.out", work / f"{name}.err"
    with out_path.open("w") as out, err_path.open("w") as err:
        started = time.perf_counter()
        done = subprocess.run(command, env=env, cwd=_common.ROOT, stdout=out, stderr=err, check=False)
        wall = time.perf_counter() - started
    stdout, stderr = out_path.read_text(), err_path.read_text()
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited with {done.returncode}:\n{stdout[-2000:]}\n{stderr[-3000:]}")
    user, system, rss_kb = usage_path.read_text().split()[-3:]
    spent: dict[str, float] = {}
    for text in stderr.splitlines():
        if text.startswith("STAGES "):
            spent = {k: v for k, v in json.loads(text[7:]).items() if v}
    return Run(name, wall, float(user) + float(system), int(rss_kb) / 1024, stdout.strip(), spent)


def write_files(folder: Path, count: int, kib: int, seed: int = 11) -> int:
    """``count`` distinct files of random bytes under <aa>/<bb>/<sha256>; returns the bytes written."""
    import hashlib

    rng = random.Random(seed)
    total = 0
    for _ in range(count):
        data = rng.randbytes(kib * 1024)
        sha = hashlib.sha256(data).hexdigest()
        target = folder / sha[:2] / sha[2:4] / sha
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        total += len(data)
    return total


def snapshot(url: str) -> dict[str, Any]:
    """The head, the root that the stored tree gives, every table's row count and the database's size."""
    from sqlalchemy import create_engine, inspect, text
    from sqlalchemy.orm import Session

    from custody.ledger import proofs

    engine = create_engine(url)
    try:
        with Session(engine) as session:
            seq, head_hash = session.execute(text("SELECT seq, hash FROM ledger_head WHERE id = 1")).one()
            root = proofs.root(session, seq).hex()
            counts = {
                table: session.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()
                for table in sorted(inspect(engine).get_table_names())
            }
            if engine.dialect.name == "postgresql":
                size = session.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
            else:
                size = Path(str(engine.url.database)).stat().st_size
    finally:
        engine.dispose()
    return {"seq": seq, "hash": head_hash, "root": root, "counts": counts, "bytes": int(size)}


def tree_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def shell(command: str) -> str:
    return subprocess.run(command, shell=True, capture_output=True, text=True, check=False).stdout.strip()


def mb(n: float) -> str:
    return f"{n / 1e6:,.0f} MB"


def main() -> None:
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("--items", type=int, default=20000, help="items, about (1000000 for the figure)")
    p.add_argument("--entries", type=int, default=60000, help="ledger entries (3000000 for the figure)")
    p.add_argument("--files", type=int, default=200, help="stored files (photos, receipts) in the files directory")
    p.add_argument("--file-kb", type=int, default=64, help="size of each stored file, KiB")
    p.add_argument("--checkpoint-every", type=int, default=10000, help="a stored, signed checkpoint every N entries")
    p.add_argument("--workdir", default=tempfile.gettempdir(), help="where the backup and the files go")
    args = p.parse_args()
    # _ledger registers items_per_registration items every third entry, so items ≈ per × entries / 3.
    per = max(1, round(3 * args.items / args.entries))
    print(
        f"backup_restore: db={args.db}, {args.entries:,} entries, ~{per * args.entries // 3:,} items, "
        f"{args.files:,} files of {args.file_kb} KiB"
    )
    print(_common.describe(), "·", _common.cpu_model())
    print("disk:", shell(f"df -h {args.workdir} | tail -1"), "· uptime before:", shell("uptime"))

    with contextlib.ExitStack() as stack:
        work = Path(tempfile.mkdtemp(prefix="custody-bench-backup-", dir=args.workdir))
        stack.callback(shutil.rmtree, work, True)
        key_file = work / "log.key"
        key_file.write_text(_ledger.bench_key().text() + "\n")
        key_file.chmod(0o600)
        source_url = stack.enter_context(_common.database(args.db))
        target_url = stack.enter_context(_common.database(args.db))
        if args.db == "postgresql":
            print(f"PostgreSQL {_common.pg_version(source_url)}")

        source_files, target_files, dest = work / "files", work / "restored-files", work / "backup"
        t = time.perf_counter()
        app = _common.make_app(source_url, CUSTODY_LOG_KEY_FILE=str(key_file), CUSTODY_FILES_DIR=str(source_files))
        try:
            actors = _common.setup_actors(app)
            built = _ledger.build(
                app, actors, args.entries, checkpoint_every=args.checkpoint_every, items_per_registration=per
            )
        finally:
            _common.dispose(app)
        t_files = time.perf_counter()
        file_bytes = write_files(source_files, args.files, args.file_kb)
        files_s = time.perf_counter() - t_files
        original = snapshot(source_url)
        build_s = time.perf_counter() - t
        print(
            f"built {built.entries:,} entries ({built.items:,} items, {built.index_rows:,} index rows) in "
            f"{built.seconds:.1f} s, {args.files:,} files ({mb(file_bytes)}) in {files_s:.1f} s; "
            f"database {mb(original['bytes'])}; head seq {original['seq']:,}, root {original['root'][:16]}…"
        )

        def env(url: str, files: Path) -> dict[str, str]:
            keep = {k: v for k, v in os.environ.items() if not k.startswith(("CUSTODY_", "FLASK_"))}
            return keep | {
                "FLASK_APP": "wsgi",
                "CUSTODY_DATABASE_URL": url,
                "CUSTODY_FILES_DIR": str(files),
                "CUSTODY_LOG_KEY_FILE": str(key_file),
                "CUSTODY_SECRET_KEY": "bench-secret",
            }

        startup = run("startup", ["custody", "--help"], env(source_url, source_files), work)
        print(f"{startup.line()} (the interpreter and the app's imports: part of every command's wall time)")
        backup = run("backup", ["custody", "backup", str(dest)], env(source_url, source_files), work, BACKUP_STAGES)
        print(backup.line(), "·", backup.out.splitlines()[0][:160])
        manifest = json.loads((dest / "manifest.json").read_text())
        db_file = dest / manifest["database_file"]
        sizes = {"database": db_file.stat().st_size, "files": tree_size(dest / "files"), "total": tree_size(dest)}
        print(f"backup size: database {mb(sizes['database'])}, files {mb(sizes['files'])}, total {mb(sizes['total'])}")

        restore = run("restore", ["custody", "restore", str(dest)], env(target_url, target_files), work, RESTORE_STAGES)
        print(restore.line(), "·", restore.out.splitlines()[0][:160])
        verify = run("verify", ["custody", "verify"], env(target_url, target_files), work)
        print(verify.line(), "·", verify.out[:160])

        restored = snapshot(target_url)
        for counts in (original["counts"], restored["counts"]):
            counts.pop("ledger_checks", None)  # the verify run adds a row
        same = all(original[k] == restored[k] for k in ("seq", "hash", "root", "counts"))
        if not same:
            raise SystemExit(f"the restored database differs from the original:\n{original}\n{restored}")
        restored_files = tree_size(target_files)
        if restored_files != file_bytes:
            raise SystemExit(f"restored {restored_files} bytes of files, wrote {file_bytes}")
        print(
            f"restored database {mb(restored['bytes'])}; head seq, hash, tree root and the row counts of "
            f"{len(restored['counts'])} tables equal the original's"
        )
        in_restore = restore.stages.get("verify_chain", 0.0)
        print("uptime after:", shell("uptime"))
        print(
            f"RESULT backup_restore db={args.db} entries={built.head_seq} items={original['counts']['items']} "
            f"files={args.files}x{args.file_kb}KiB: build {build_s:.0f} s; backup {backup.wall:.1f} s "
            f"(peak RSS {backup.rss_mb:.0f} MB), size database {mb(sizes['database'])} + files "
            f"{mb(sizes['files'])} = {mb(sizes['total'])} (live database {mb(original['bytes'])}); restore "
            f"{restore.wall:.1f} s (peak RSS {restore.rss_mb:.0f} MB) of which verify {in_restore:.1f} s, "
            f"{restore.wall - in_restore:.1f} s without; verify alone on the restored database {verify.wall:.1f} s "
            f"(peak RSS {verify.rss_mb:.0f} MB); each includes a {startup.wall:.1f} s start-up; "
            "head and root equal the original's"
        )


if __name__ == "__main__":
    main()
