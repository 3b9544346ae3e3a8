"""Online backups and restores: the database snapshot, the files directory and the log's public key.

A backup is a directory: the database (a SQLite copy made by the sqlite3 backup API, or a
``pg_dump`` custom-format archive), ``files/`` (the content-addressed originals), ``log.pub``
(the log's verifier key; the private signing key is a secret and is backed up separately), and
``manifest.json``, which names every file with its SHA-256 and size and records the ledger head
(seq, hash) and the tree root *of the snapshot itself*, so a restore can prove it got back
exactly the ledger that was saved. The app keeps serving while a backup runs: SQLite's backup
API restarts when another connection writes, and pg_dump reads the exported snapshot of the very
transaction that read the head. Files are copied after the database: a file is written before
the transaction that refers to it commits, so every file the snapshot needs is already there
(later ones are harmless orphans).

A restore writes nothing until it has checked everything it can: the target database and files
directory are empty, and every file of the backup has the hash and size the manifest gives.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from glob import glob
from pathlib import Path
from typing import Any, TypeVar

from flask import current_app
from sqlalchemy import inspect, text
from sqlalchemy.engine import URL, make_url

from custody.errors import Conflict
from custody.extensions import db
from custody.ledger import tree, verify_chain
from custody.ledger.offline import VerifierKey

FORMAT = 1
MANIFEST = "manifest.json"
KEY_FILE = "log.pub"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
CHUNK = 1 << 20
# Stored files are hashed, copied and fsynced this many at a time: hashlib and file I/O release the GIL, and
# one fsync at a time leaves a copy of 10,000 photos mostly waiting on the disk (bench/backup_restore.py).
WORKERS = 8
T = TypeVar("T")
R = TypeVar("R")


class BackupError(Conflict):
    """A backup or restore that cannot be done; a refused restore has written nothing."""

    title = "Backup or restore refused"


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str
    root: str


def _url() -> URL:
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


def _kind() -> str:
    backend = _url().get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"backups support SQLite and PostgreSQL, not {backend}")
    return backend


def _head_of(seq: int, head_hash: str, frontier: str) -> Head:
    return Head(int(seq), head_hash, tree.root_of(tree.parse_frontier(frontier, int(seq))).hex())


def _hash_copy(source: Path, target: Path | None) -> tuple[str, int]:
    """SHA-256 and size of ``source``, copying it to ``target`` on the way (one read for both)."""
    digest, size = hashlib.sha256(), 0
    out = target.open("wb") if target is not None else None
    try:
        with source.open("rb") as fh:
            while chunk := fh.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                if out is not None:
                    out.write(chunk)
        if out is not None:
            out.flush()
            os.fsync(out.fileno())
    finally:
        if out is not None:
            out.close()
    return digest.hexdigest(), size


def _each(work: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """``work`` over ``items`` on WORKERS threads, results in order; the first failure (in order) is raised."""
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(work, items))


def _pg_tool(name: str) -> str:
    """pg_dump / pg_restore from PATH, else the newest /usr/lib/postgresql/*/bin (Debian keeps them there)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    if not candidates:
        raise BackupError(f"{name} was not found on PATH or in /usr/lib/postgresql/*/bin")
    return candidates[-1]


def _pg_args() -> tuple[list[str], dict[str, str]]:
    """libpq connection options and environment: the password goes in PGPASSWORD, never on a command line."""
    url = _url()
    args = ["--dbname", url.database or "postgres"]
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603 (our argv, no shell)
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {done.stderr.strip()[:2000]}")


# --- backup -------------------------------------------------------------------------------------


def _snapshot_sqlite(dest: Path) -> Head:
    source_path = _url().database
    if not source_path or source_path == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    target = dest / SQLITE_FILE
    source = sqlite3.connect(source_path, timeout=30)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # one step: a consistent copy even while others write
        row = copy.execute("SELECT seq, hash, frontier FROM ledger_head WHERE id = 1").fetchone()
    finally:
        copy.close()
        source.close()
    if row is None:
        raise BackupError("the database has no ledger head: run `flask custody init` first")
    return _head_of(*row)


def _snapshot_postgres(dest: Path) -> Head:
    """pg_dump of the snapshot exported by the transaction that read the head, kept open until the dump ends."""
    args, env = _pg_args()
    with db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            row = conn.execute(text("SELECT seq, hash, frontier FROM ledger_head WHERE id = 1")).one()
            command = [_pg_tool("pg_dump"), "--format=custom", "--no-owner", f"--snapshot={snapshot}"]
            _run([*command, "--file", str(dest / PG_FILE), *args], env)
    return _head_of(*row)


def _copy_files(dest: Path) -> list[dict[str, Any]]:
    """Every original of the files directory, each checked against its name (thumbnails are derived: skipped)."""
    root = Path(current_app.config["CUSTODY_FILES_DIR"])
    if not root.is_dir():
        return []

    def copy(source: Path) -> dict[str, Any]:
        relative = Path("files") / source.relative_to(root)
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        sha256, size = _hash_copy(source, target)
        if sha256 != source.name:
            raise BackupError(f"the stored file {source} does not hash to its name (it hashes to {sha256})")
        return {"path": relative.as_posix(), "sha256": sha256, "size": size}

    sources = sorted(root.glob("??/??/*"))
    return _each(copy, [s for s in sources if s.is_file() and not s.name.startswith(".") and len(s.name) == 64])


def backup(dest: Path) -> dict[str, Any]:
    """Write a backup into ``dest`` (new or empty) and return its manifest."""
    from custody.ledger.keys import log_key

    kind = _kind()
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"{dest} exists and is not an empty directory")
    dest.mkdir(parents=True, exist_ok=True)
    db.session.rollback()  # our own session holds no snapshot or lock while the copy runs
    created_at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    head = _snapshot_sqlite(dest) if kind == "sqlite" else _snapshot_postgres(dest)
    database = SQLITE_FILE if kind == "sqlite" else PG_FILE
    verifier = log_key().verifier.text()
    (dest / KEY_FILE).write_text(verifier + "\n")
    listed: list[dict[str, Any]] = []
    for name in (database, KEY_FILE):
        sha256, size = _hash_copy(dest / name, None)
        listed.append({"path": name, "sha256": sha256, "size": size})
    manifest = {
        "format": FORMAT,
        "created_at": created_at,
        "database": kind,
        "database_file": database,
        "head": {"seq": head.seq, "hash": head.hash},
        "tree_root": head.root,
        "log_verifier_key": verifier,
        "files": listed + _copy_files(dest),
    }
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return manifest


# --- restore ------------------------------------------------------------------------------------


def _read_manifest(src: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((src / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupError(f"{src} has no {MANIFEST}: not a backup") from None
    except ValueError as exc:
        raise BackupError(f"{src / MANIFEST} is not valid JSON: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{src / MANIFEST} is not a format-{FORMAT} backup manifest")
    return manifest


def _check_backup(src: Path, manifest: dict[str, Any]) -> None:
    """Every listed file present with its hash and size, the paths inside the backup, the key the manifest's."""
    base = src.resolve()

    def check(entry: dict[str, Any]) -> None:
        path = (src / entry["path"]).resolve()
        if base not in path.parents:
            raise BackupError(f"the manifest names a file outside the backup: {entry['path']}")
        if not path.is_file():
            raise BackupError(f"the backup is damaged: {entry['path']} is missing")
        sha256, size = _hash_copy(path, None)
        if (sha256, size) != (entry["sha256"], entry["size"]):
            raise BackupError(
                f"the backup is damaged: {entry['path']} does not match its hash and size in the manifest"
            )
        if entry["path"].startswith("files/") and Path(entry["path"]).name != sha256:
            raise BackupError(f"the backup is damaged: {entry['path']} does not hash to its name")

    _each(check, manifest["files"])
    if (src / KEY_FILE).read_text().strip() != manifest["log_verifier_key"]:
        raise BackupError(f"the backup is damaged: {KEY_FILE} differs from the manifest's key")


def _check_target(manifest: dict[str, Any]) -> tuple[VerifierKey, bool]:
    """Refuse a target that holds anything, or a configured log key that is not the backup's.

    Also says whether the private key is in place: no key is made here, since a new one would sign
    checkpoints that no agency holding the backup's verifier key could check."""
    from custody.ledger.keys import ensure_log_key

    kind = _kind()
    if manifest["database"] != kind:
        raise BackupError(f"the backup is of a {manifest['database']} database; this app uses {kind}")
    url = _url()
    if kind == "sqlite" and not Path(str(url.database)).exists():
        tables = []  # do not let an inspection create the file of a restore that may yet be refused
    else:
        tables = inspect(db.engine).get_table_names()
        db.session.rollback()
    if tables:
        raise BackupError(f"the database is not empty (it has {len(tables)} tables): restore needs an empty one")
    root = Path(current_app.config["CUSTODY_FILES_DIR"])
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise BackupError(f"the files directory {root} is not empty: restore needs an empty one")
    verifier = VerifierKey.parse(manifest["log_verifier_key"])
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    present = bool(app.config.get("CUSTODY_LOG_KEY") or Path(app.config["CUSTODY_LOG_KEY_FILE"]).exists())
    if present and ensure_log_key(app)[0].verifier.text() != verifier.text():
        raise BackupError("the configured log key is not the one this backup's ledger was signed with")
    return verifier, present


def _restore_database(src: Path, manifest: dict[str, Any]) -> None:
    archive = src / manifest["database_file"]
    if manifest["database"] == "sqlite":
        target = Path(str(_url().database))
        db.session.remove()
        db.engine.dispose()  # no pooled connection may keep the old (empty) file open
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.restoring")
        _hash_copy(archive, temporary)
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(temporary, target)
        return
    args, env = _pg_args()
    command = [_pg_tool("pg_restore"), "--no-owner", "--single-transaction", "--exit-on-error"]
    _run([*command, *args, str(archive)], env)


def _restore_files(src: Path, manifest: dict[str, Any]) -> int:
    root = Path(current_app.config["CUSTODY_FILES_DIR"])

    def put(entry: dict[str, Any]) -> None:
        target = root / Path(entry["path"]).relative_to("files")
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".incoming-{target.name}")
        _hash_copy(src / entry["path"], temporary)
        os.chmod(temporary, 0o444)  # as custody.files writes them: evidence is never edited in place
        os.replace(temporary, target)

    stored = [entry for entry in manifest["files"] if entry["path"].startswith("files/")]
    _each(put, stored)
    return len(stored)


@dataclass(frozen=True)
class RestoreResult:
    seq: int
    hash: str
    root: str
    files: int
    checked: int
    key_present: bool


def restore(src: Path) -> RestoreResult:
    """Check the backup and the (empty) target, restore, then verify the ledger and compare the head."""
    manifest = _read_manifest(src)
    _check_backup(src, manifest)
    verifier, key_present = _check_target(manifest)
    _restore_database(src, manifest)
    files = _restore_files(src, manifest)
    db.session.rollback()
    result = verify_chain(db.session, log_key=verifier)
    row = db.session.execute(text("SELECT seq, hash, frontier FROM ledger_head WHERE id = 1")).one()
    db.session.rollback()
    head = _head_of(*row)
    if not result.ok:
        raise BackupError(f"the restored ledger does not verify: entry {result.first_bad_seq}: {result.reason}")
    wanted = manifest["head"]
    if (head.seq, head.hash, head.root) != (wanted["seq"], wanted["hash"], manifest["tree_root"]):
        raise BackupError(
            f"the restored head (seq {head.seq}, {head.hash}) is not the manifest's"
            f" (seq {wanted['seq']}, {wanted['hash']})"
        )
    return RestoreResult(head.seq, head.hash, head.root, files, result.checked, key_present)
