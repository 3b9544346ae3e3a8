"""The unit of work: the only place that commits.

The outermost service call commits; nested calls join it; an exception rolls
back and re-raises. On SQLite a write transaction must start with BEGIN
IMMEDIATE (taking the write lock up front), otherwise a transaction that read
first and writes later can fail with SQLITE_BUSY instead of waiting: the
engine's ``begin`` hook asks ``write_requested()`` which BEGIN to send.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import ParamSpec, TypeVar

from sqlalchemy.orm import Session

from custody.extensions import db

_write: ContextVar[bool] = ContextVar("custody_write_transaction", default=False)
P = ParamSpec("P")
R = TypeVar("R")


def write_requested() -> bool:
    return _write.get()


@contextmanager
def unit_of_work() -> Iterator[Session]:
    session = db.session()
    depth = session.info.get("uow_depth", 0)
    if depth:
        session.info["uow_depth"] = depth + 1
        try:
            yield session
        finally:
            session.info["uow_depth"] = depth
        return
    if session.in_transaction():
        # A read (loading the signed-in user, say) began a deferred transaction. End it, so
        # the write transaction begins IMMEDIATE on SQLite and reads fresh rows on PostgreSQL.
        session.commit()
    token = _write.set(True)
    session.info["uow_depth"] = 1
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info["uow_depth"] = 0
        _write.reset(token)


def transactional(fn: Callable[P, R]) -> Callable[P, R]:
    """Run a service function as one unit of work."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with unit_of_work():
            return fn(*args, **kwargs)

    return wrapper
