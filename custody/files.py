"""The files directory (photos, issued receipts), content-addressed by SHA-256.

A file is named by the hash of its bytes, and that hash is what the ledger records: the
name cannot drift from the content without a re-hash showing it, writing the same bytes
twice is a no-op, and a file written by a transaction that then rolled back is harmless,
an orphan nobody refers to. Writes go to a temporary file in the target's directory, are
fsynced, then renamed into place, so a reader never sees half a file, even after a crash.

Layout under ``CUSTODY_FILES_DIR``: ``<aa>/<bb>/<sha256>`` for originals (two levels keep
directories small), ``thumbs/<sha256>-<size>.jpg`` for derived thumbnails, which can be
deleted at any time and are made again from the original.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO

from flask import current_app

SHA256 = re.compile(r"^[0-9a-f]{64}$")


def root() -> Path:
    return Path(current_app.config["CUSTODY_FILES_DIR"])


def is_sha256(text: str) -> bool:
    """Only a lowercase hex SHA-256 names a file: anything else (``../x``) never reaches the file system."""
    return bool(SHA256.match(text))


def _checked(sha256: str) -> str:
    if not is_sha256(sha256):
        raise ValueError(f"Not a SHA-256 hex digest: {sha256[:80]!r}")
    return sha256


def path(sha256: str) -> Path:
    sha256 = _checked(sha256)
    return root() / sha256[:2] / sha256[2:4] / sha256


def exists(sha256: str) -> bool:
    return path(sha256).is_file()


def open(sha256: str) -> BinaryIO:  # the store's verb, read as ``files.open(sha)``
    return path(sha256).open("rb")


def put(data: bytes) -> str:
    """Store ``data`` under its SHA-256 and return the hash; already stored → nothing is written."""
    sha256 = hashlib.sha256(data).hexdigest()
    target = path(sha256)
    if not target.is_file():
        _write(target, data)
    return sha256


def thumbnail_path(sha256: str, size: int) -> Path:
    return root() / "thumbs" / f"{_checked(sha256)}-{int(size)}.jpg"


def put_thumbnail(sha256: str, size: int, data: bytes) -> Path:
    """Store a derived file; made from the same original it is the same, so a concurrent writer does no harm."""
    target = thumbnail_path(sha256, size)
    _write(target, data)
    return target


def _write(target: Path, data: bytes) -> None:
    """Temporary file in the same directory, fsync, atomic rename, fsync the directory (the rename's durability)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(temporary, 0o444)  # evidence is never edited in place
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
