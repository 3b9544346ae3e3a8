"""Conditional updates: the database, not the order two requests happen to run in, decides a race."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Update

from custody.extensions import db


def changed_rows(stmt: Update) -> int:
    """Run ``UPDATE … WHERE <expected state>`` and say how many rows it changed.

    A writer that lost a race finds the state already changed and changes nothing,
    so the caller raises ``InvalidState`` instead of applying an act twice.
    """
    result = cast(CursorResult[Any], db.session.execute(stmt.execution_options(synchronize_session=False)))
    return result.rowcount
