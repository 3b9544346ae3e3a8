"""Backup and restore (issue 8): an online snapshot restores to the same verifying ledger, and a restore
refuses a damaged backup or a non-empty target before writing anything. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import inspect

from custody import create_app, files
from custody.extensions import db
from custody.ledger import SYSTEM, EntryKind, append, verify_chain
from custody.ledger.notes import SignerKey
from custody.models import LedgerHead
from custody.services import backups
from custody.services.checkpoints import make_checkpoint
from custody.services.uow import unit_of_work
from tests.databases import own_database


@pytest.fixture
def fresh(app: Flask, database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """A second app on an empty database (no schema) and an empty files directory, with the same log key."""
    with own_database(database_url, tmp_path, "restore") as target_url:
        yield from _restore_app(app, target_url, tmp_path)


def _restore_app(app: Flask, target_url: str, tmp_path: Path) -> Iterator[Flask]:
    target = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": target_url,
            "SECRET_KEY": "test-secret",
            "CUSTODY_FILES_DIR": str(tmp_path / "restored-files"),
            "CUSTODY_BASE_URL": app.config["CUSTODY_BASE_URL"],
            "CUSTODY_LOG_KEY_FILE": app.config["CUSTODY_LOG_KEY_FILE"],
        }
    )
    yield target
    with target.app_context():
        db.session.remove()
        db.engine.dispose()


def _some_history(make: Any) -> list[str]:
    """A few acts, a signed checkpoint, and two stored files."""
    handler = make.user("handler")
    make.items(handler, make.case(handler), 3)
    make_checkpoint("@test")
    make.user("keeper")
    db.session.rollback()
    return [files.put(b"photo one"), files.put(b"receipt two")]


def _head() -> tuple[int, str]:
    db.session.rollback()
    head = db.session.get(LedgerHead, 1)
    assert head is not None
    return head.seq, head.hash


def test_backup_then_restore_gives_the_same_verifying_ledger(
    app: Flask, make: Any, fresh: Flask, tmp_path: Path
) -> None:
    stored = _some_history(make)
    manifest = backups.backup(tmp_path / "bk")
    assert manifest["head"] == dict(zip(("seq", "hash"), _head(), strict=True))
    assert manifest["head"]["seq"] > 3
    assert {e["path"].rsplit("/", 1)[-1] for e in manifest["files"]} >= set(stored)
    assert "PRIVATE" not in (tmp_path / "bk" / "log.pub").read_text()
    with fresh.app_context():
        result = backups.restore(tmp_path / "bk")
        # Every stored file is backed up, those of earlier tests in this session's files folder too.
        stored_files = [e for e in manifest["files"] if e["path"].startswith("files/")]
        expected = (manifest["head"]["seq"], manifest["head"]["hash"], len(stored_files))
        assert (result.seq, result.hash, result.files) == expected
        assert verify_chain(db.session).ok
        assert _head() == (manifest["head"]["seq"], manifest["head"]["hash"])
        assert all(files.path(sha).read_bytes() in (b"photo one", b"receipt two") for sha in stored)


def test_cli_backup_and_restore(app: Flask, make: Any, fresh: Flask, tmp_path: Path) -> None:
    _some_history(make)
    out = app.test_cli_runner().invoke(args=["custody", "backup", str(tmp_path / "bk")])
    assert out.exit_code == 0, out.output
    assert "private key is NOT" in out.output
    with fresh.app_context():  # with_appcontext would otherwise use the test's (source) app context
        done = fresh.test_cli_runner().invoke(args=["custody", "restore", str(tmp_path / "bk")])
    assert done.exit_code == 0, done.output
    assert "the ledger verifies" in done.output


@pytest.mark.parametrize("victim", ["database", "file", "key"])
def test_a_tampered_backup_is_refused_and_nothing_is_written(
    app: Flask, make: Any, fresh: Flask, tmp_path: Path, victim: str
) -> None:
    stored = _some_history(make)
    manifest = backups.backup(tmp_path / "bk")
    name = {"database": manifest["database_file"], "key": "log.pub"}.get(victim)
    relative = name or next(e["path"] for e in manifest["files"] if e["path"].endswith(stored[0]))
    path = tmp_path / "bk" / relative
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.chmod(0o644)
    path.write_bytes(bytes(data))
    with fresh.app_context():
        with pytest.raises(backups.BackupError, match="damaged") as refused:
            backups.restore(tmp_path / "bk")
        assert relative in str(refused.value)
        if fresh.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
            assert not (tmp_path / "restored.sqlite3").exists()
        assert inspect(db.engine).get_table_names() == []
        assert not Path(fresh.config["CUSTODY_FILES_DIR"]).exists()
        out = fresh.test_cli_runner().invoke(args=["custody", "restore", str(tmp_path / "bk")])
        assert out.exit_code != 0 and relative in out.output, out.output


def test_restore_into_a_non_empty_database_is_refused(app: Flask, make: Any, tmp_path: Path) -> None:
    _some_history(make)
    backups.backup(tmp_path / "bk")
    before = _head()
    listing = sorted(Path(app.config["CUSTODY_FILES_DIR"]).rglob("*"))
    with pytest.raises(backups.BackupError, match="not empty"):
        backups.restore(tmp_path / "bk")
    assert _head() == before
    assert sorted(Path(app.config["CUSTODY_FILES_DIR"]).rglob("*")) == listing


def test_restore_into_an_empty_database_with_files_present_is_refused(
    app: Flask, make: Any, fresh: Flask, tmp_path: Path
) -> None:
    _some_history(make)
    backups.backup(tmp_path / "bk")
    with fresh.app_context():
        Path(fresh.config["CUSTODY_FILES_DIR"]).mkdir(parents=True)
        (Path(fresh.config["CUSTODY_FILES_DIR"]) / "stray").write_text("x")
        with pytest.raises(backups.BackupError, match="files directory"):
            backups.restore(tmp_path / "bk")
        assert inspect(db.engine).get_table_names() == []


def test_backup_while_another_thread_appends_restores_to_the_manifest_head(
    app: Flask, make: Any, fresh: Flask, tmp_path: Path
) -> None:
    _some_history(make)
    stop, appended, errors = threading.Event(), [0], []

    def writer() -> None:
        with app.app_context():
            try:
                while not stop.is_set():
                    with unit_of_work() as session:
                        append(session, actor=SYSTEM, kind=EntryKind.ITEM_MOVED, data={"n": appended[0]}, items=["X1"])
                    appended[0] += 1
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while appended[0] < 5:
            threading.Event().wait(0.01)
        manifest = backups.backup(tmp_path / "bk")
        start = appended[0]
        while appended[0] < start + 5:
            threading.Event().wait(0.01)
    finally:
        stop.set()
        thread.join(timeout=60)
    assert not errors, errors
    assert _head()[0] > manifest["head"]["seq"]  # the writer kept going past the snapshot
    with fresh.app_context():
        result = backups.restore(tmp_path / "bk")
        assert (result.seq, result.hash) == (manifest["head"]["seq"], manifest["head"]["hash"])
        assert result.checked == result.seq
    assert json.loads((tmp_path / "bk" / "manifest.json").read_text())["tree_root"] == result.root


def test_restore_with_another_log_key_configured_is_refused(
    app: Flask, make: Any, fresh: Flask, tmp_path: Path
) -> None:
    _some_history(make)
    backups.backup(tmp_path / "bk")
    other = tmp_path / "other.key"
    other.write_text(SignerKey.generate("elsewhere/custody-ledger").text() + "\n")
    fresh.config["CUSTODY_LOG_KEY_FILE"] = str(other)
    with fresh.app_context():
        with pytest.raises(backups.BackupError, match="log key"):
            backups.restore(tmp_path / "bk")
        assert inspect(db.engine).get_table_names() == []
