"""A database of a test's own, beside the session's: for restores and for migrations run down and up."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, make_url, text


@contextmanager
def own_database(session_url: str, tmp_path: Path, prefix: str) -> Iterator[str]:
    """The URL of a new empty database on the session's server (a file for SQLite), dropped afterwards."""
    base = make_url(session_url)
    if base.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / f'{prefix}.sqlite3'}"
        return
    with postgres_database(session_url, f"custody_{prefix}_{secrets.token_hex(4)}") as url:
        yield url


@contextmanager
def postgres_database(server_url: str, name: str) -> Iterator[str]:
    """A new database ``name`` on the server of ``server_url``, dropped afterwards (also used by bench/)."""
    server = make_url(server_url)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
