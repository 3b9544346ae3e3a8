"""Keyset pagination: ``{"items", "next"}`` pages that stay fast however deep they go."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import BigInteger, ColumnElement, Select, literal
from sqlalchemy.orm import InstrumentedAttribute

from custody.errors import InvalidInput
from custody.extensions import db

T = TypeVar("T")
DEFAULT_LIMIT, MAX_LIMIT = 50, 1000


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    next: str | None


def parse_cursor(cursor: str | None) -> int | None:
    if cursor in (None, ""):
        return None
    try:
        value = int(str(cursor))
    except ValueError:
        raise InvalidInput("Bad cursor", errors={"cursor": ["Not a cursor from this API"]}) from None
    if not 0 <= value < 2**63:  # a database integer; larger would overflow the driver
        raise InvalidInput("Bad cursor", errors={"cursor": ["Not a cursor from this API"]})
    return value


def bound(after: int) -> ColumnElement[int]:
    """A cursor as a BIGINT parameter: past 2**31 it must find nothing, not overflow PostgreSQL's INTEGER ids."""
    return literal(after, BigInteger())


def check_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput("Bad limit", errors={"limit": [f"Between 1 and {MAX_LIMIT}"]})
    return limit


def keyset_page(
    stmt: Select[Any],
    key: ColumnElement[int] | InstrumentedAttribute[int],
    key_of: Any,
    limit: int | None,
    after: int | None,
    *,
    newest_first: bool = False,
) -> Page[Any]:
    """Rows of ``stmt`` with ``key`` past ``after``, in key order (descending when ``newest_first``)."""
    limit = check_limit(limit)
    if after is not None:
        stmt = stmt.where(key < bound(after) if newest_first else key > bound(after))
    rows = list(db.session.scalars(stmt.order_by(key.desc() if newest_first else key).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, str(key_of(rows[-1])) if more and rows else None)
