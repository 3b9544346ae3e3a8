from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from custody.db import Base, UTCDateTime
from custody.models._columns import intpk, one_of, utc_created
from custody.models.agency import Agency
from custody.models.case import Case
from custody.models.item import Item
from custody.models.user import User


class HandoverKind(StrEnum):
    PROSECUTION_REVIEW = "prosecution_review"
    SUPPLEMENTARY_INVESTIGATION = "supplementary_investigation"
    INDICTMENT = "indictment"
    APPEAL = "appeal"
    TRANSFER = "transfer"


class HandoverStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    CHECKED = "checked"
    ACCEPTED = "accepted"
    PARTIALLY_ACCEPTED = "partially_accepted"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


OPEN_HANDOVER = (HandoverStatus.REQUESTED, HandoverStatus.APPROVED, HandoverStatus.CHECKED)
DECIDED_HANDOVER = (HandoverStatus.ACCEPTED, HandoverStatus.PARTIALLY_ACCEPTED, HandoverStatus.REJECTED)
# The receiver may refuse the whole handover once it is approved, with or without the presence check.
REJECTABLE = (HandoverStatus.APPROVED, HandoverStatus.CHECKED)


class LineState(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class Presence(StrEnum):
    PRESENT = "present"
    MISSING = "missing"


class Handover(Base):
    """The transfer of a case's custody from one agency to the next (design §5.4).

    ``open`` is true from request until acceptance, rejection or cancellation; a partial unique
    index on it lets the database decide "one open handover per case" when two handlers race.
    """

    __tablename__ = "handovers"
    __table_args__ = (
        one_of("status", HandoverStatus),
        one_of("kind", HandoverKind),
        Index(
            "uq_handovers_open_case",
            "case_id",
            unique=True,
            sqlite_where=text("open"),
            postgresql_where=text("open"),
        ),
    )

    id: Mapped[intpk]
    number: Mapped[str] = mapped_column(String(16), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    from_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    to_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(20), default=HandoverStatus.REQUESTED, index=True)
    open: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str | None] = mapped_column(Text)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[utc_created]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Accepted (wholly or partly), rejected or cancelled: who closed it and when.
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(Text)
    # The ledger entry of the decision, printed on the receipt.
    decision_seq: Mapped[int | None] = mapped_column(Integer)
    decision_hash: Mapped[str | None] = mapped_column(String(64))
    # Set once, when the receipt is first issued; the file itself sits in the content-addressed store.
    receipt_sha256: Mapped[str | None] = mapped_column(String(64))
    receipt_seq: Mapped[int | None] = mapped_column(Integer)
    # The check-out that takes the items marked "moves with the case" to the receiving agency.
    checkout_number: Mapped[str | None] = mapped_column(String(16))

    case: Mapped[Case] = relationship(lazy="joined")
    from_agency: Mapped[Agency] = relationship(foreign_keys=[from_agency_id], lazy="joined")
    to_agency: Mapped[Agency] = relationship(foreign_keys=[to_agency_id], lazy="joined")
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    checked_by: Mapped[User | None] = relationship(foreign_keys=[checked_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    lines: Mapped[list["HandoverItem"]] = relationship(back_populates="handover", order_by="HandoverItem.id")


class HandoverItem(Base):
    """One item of a handover: whether it moves with the case, its presence, and the receiver's decision.

    ``active`` while the handover is open; the partial unique index keeps an item in at most one
    open handover, whatever two requests do at the same moment. ``location`` is the shelf the keeper
    found it on, kept so that the receipt prints where it was at the handover, not where it is today.
    """

    __tablename__ = "handover_items"
    __table_args__ = (
        one_of("state", LineState),
        Index(
            "uq_handover_items_active_item",
            "item_id",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
    )

    id: Mapped[intpk]
    handover_id: Mapped[int] = mapped_column(ForeignKey("handovers.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    moves: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    presence: Mapped[str | None] = mapped_column(String(10))
    location: Mapped[str | None] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(10), default=LineState.PENDING)
    reason: Mapped[str | None] = mapped_column(Text)

    handover: Mapped[Handover] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship(lazy="joined")
