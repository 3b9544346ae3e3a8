"""Conditional updates: the database, not the order two requests happen to run in, decides a race."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, Update, update

from custody.errors import InvalidState
from custody.extensions import db


def changed_rows(stmt: Update) -> int:
    """Run ``UPDATE … WHERE <expected state>`` and say how many rows it changed.

    A writer that lost a race finds the state already changed and changes nothing,
    so the caller raises ``InvalidState`` instead of applying an act twice.
    """
    result = cast(CursorResult[Any], db.session.execute(stmt.execution_options(synchronize_session=False)))
    return result.rowcount


def advance(row: Any, allowed: Sequence[str], what: str, **values: object) -> None:
    """Move a workflow row (a check-out, a handover: ``id``, ``number``, ``status``) on from one of ``allowed``.

    ``UPDATE … WHERE status IN allowed``: of two people acting at the same moment, the second finds the
    status already changed (PostgreSQL re-checks the row after the first commits; SQLite serialises
    writers), changes nothing and gets InvalidState, a 409. ``what`` names the row in the message.
    """
    if row.status not in allowed:
        raise InvalidState(f"{what} {row.number} is {row.status}")
    model = type(row)
    changed = changed_rows(update(model).where(model.id == row.id, model.status.in_(allowed)).values(**values))
    if changed != 1:
        raise InvalidState(f"{what} {row.number} changed just now; reload it")
