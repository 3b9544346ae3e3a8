from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from custody.db import Base, UTCDateTime
from custody.models._columns import intpk, one_of, utc_created
from custody.models.agency import Agency
from custody.models.case import Case
from custody.models.item import Item
from custody.models.user import User


class CheckoutStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    RELEASED = "released"
    PARTIALLY_RETURNED = "partially_returned"
    RETURNED = "returned"
    CANCELLED = "cancelled"


OPEN_CHECKOUT = (
    CheckoutStatus.REQUESTED,
    CheckoutStatus.APPROVED,
    CheckoutStatus.RELEASED,
    CheckoutStatus.PARTIALLY_RETURNED,
)


class Purpose(StrEnum):
    APPRAISAL = "appraisal"
    IDENTIFICATION = "identification"
    COURT_EXHIBIT = "court_exhibit"
    OTHER = "other"
    # Released to the receiving agency with the case file after a handover; no due time.
    MOVES_WITH_CASE = "moves_with_case"


class Checkout(Base):
    """Items leaving the shelf for a while: requested, approved, released, returned."""

    __tablename__ = "checkouts"
    __table_args__ = (
        one_of("status", CheckoutStatus),
        one_of("purpose", Purpose),
        # Overdue check-outs: only those still out, not the years of returned ones past their due time.
        Index(
            "ix_checkouts_out_due_at",
            "due_at",
            postgresql_where=text("status IN ('released', 'partially_returned')"),
            sqlite_where=text("status IN ('released', 'partially_returned')"),
        ),
    )

    id: Mapped[intpk]
    number: Mapped[str] = mapped_column(String(16), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    taken_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=CheckoutStatus.REQUESTED, index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[utc_created]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    case: Mapped[Case] = relationship(lazy="joined")
    agency: Mapped[Agency] = relationship(lazy="joined")
    taken_by: Mapped[User] = relationship(foreign_keys=[taken_by_id], lazy="joined")
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    released_by: Mapped[User | None] = relationship(foreign_keys=[released_by_id])
    lines: Mapped[list["CheckoutItem"]] = relationship(
        back_populates="checkout", order_by="CheckoutItem.id", lazy="selectin"
    )


class CheckoutItem(Base):
    """One item of a check-out. ``active`` until it is back (or the check-out is cancelled).

    The partial unique index lets the database, not a race between two handlers, decide
    that an item is in at most one open check-out.
    """

    __tablename__ = "checkout_items"
    __table_args__ = (
        Index(
            "uq_checkout_items_active_item",
            "item_id",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
    )

    id: Mapped[intpk]
    checkout_id: Mapped[int] = mapped_column(ForeignKey("checkouts.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    returned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    seal_intact: Mapped[bool | None] = mapped_column(Boolean)
    return_note: Mapped[str | None] = mapped_column(Text)

    checkout: Mapped[Checkout] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship(lazy="joined")
