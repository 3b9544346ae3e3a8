from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from custody.db import Base, UTCDateTime
from custody.models._columns import intpk, one_of, utc_created
from custody.models.item import Item
from custody.models.location import Location


class StocktakeStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class ScanResult(StrEnum):
    EXPECTED = "expected"
    UNEXPECTED = "unexpected"
    DUPLICATE = "duplicate"  # answered, never stored


class Stocktake(Base):
    """Counting a location and its children by scanning."""

    __tablename__ = "stocktakes"
    __table_args__ = (one_of("status", StocktakeStatus),)

    id: Mapped[intpk]
    number: Mapped[str] = mapped_column(String(16), unique=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default=StocktakeStatus.OPEN, index=True)
    expected: Mapped[int] = mapped_column(Integer)
    found: Mapped[int | None] = mapped_column(Integer)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[utc_created]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The ledger entry of the close: any later entry naming a missing item means it turned up.
    close_seq: Mapped[int | None] = mapped_column(Integer)

    location: Mapped[Location] = relationship(lazy="joined")


class StocktakeItem(Base):
    """What the stocktake expects to find: the items stored in its scope when it was opened."""

    __tablename__ = "stocktake_items"
    # What closed stocktakes did not find: the "stocktake missing" alert reads only these rows.
    __table_args__ = (
        Index(
            "ix_stocktake_items_missing",
            "stocktake_id",
            "item_id",
            postgresql_where=text("NOT found"),
            sqlite_where=text("found = 0"),
        ),
    )

    stocktake_id: Mapped[int] = mapped_column(ForeignKey("stocktakes.id"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True, index=True)
    found: Mapped[bool] = mapped_column(Boolean, default=False)

    item: Mapped[Item] = relationship()


class StocktakeScan(Base):
    """An item scanned during a stocktake; scanning it again is a duplicate, refused by the unique constraint."""

    __tablename__ = "stocktake_scans"
    __table_args__ = (UniqueConstraint("stocktake_id", "item_id"), one_of("result", ScanResult))

    id: Mapped[intpk]
    stocktake_id: Mapped[int] = mapped_column(ForeignKey("stocktakes.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    result: Mapped[str] = mapped_column(String(12))
    scanned_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    scanned_at: Mapped[utc_created]

    item: Mapped[Item] = relationship()
