"""Annotated column types shared by the models."""

from datetime import datetime
from typing import Annotated

from sqlalchemy import CheckConstraint
from sqlalchemy.orm import mapped_column

from custody import clock
from custody.db import UTCDateTime

intpk = Annotated[int, mapped_column(primary_key=True)]
utc_created = Annotated[datetime, mapped_column(UTCDateTime(), default=clock.now)]


def one_of(column: str, values: type, name: str | None = None) -> CheckConstraint:
    """A CHECK that keeps an enum-like text column to its vocabulary."""
    allowed = ", ".join(f"'{v}'" for v in values)  # type: ignore[attr-defined]
    return CheckConstraint(f"{column} IN ({allowed})", name=name or f"{column}_valid")
