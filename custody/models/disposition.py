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


class DispositionKind(StrEnum):
    RETURN_TO_OWNER = "return_to_owner"
    CONFISCATE = "confiscate"
    AUCTION = "auction"
    DESTROY = "destroy"
    TRANSFER_OUT = "transfer_out"
    # 先行处置: before judgment, only for perishable (or fast-depreciating) items, with a reason.
    EARLY_SALE = "early_sale"


class DispositionStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    EXECUTED = "executed"
    CANCELLED = "cancelled"


OPEN_DISPOSITION = (DispositionStatus.REQUESTED, DispositionStatus.APPROVED)


class Disposition(Base):
    """An item's final fate (design §5.6): requested by the custodian agency, approved, executed by the keeper."""

    __tablename__ = "dispositions"
    __table_args__ = (one_of("status", DispositionStatus), one_of("kind", DispositionKind))

    id: Mapped[intpk]
    number: Mapped[str] = mapped_column(String(16), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    basis_doc_no: Mapped[str] = mapped_column(String(100))
    recipient: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default=DispositionStatus.REQUESTED, index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[utc_created]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    executed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    executed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The execution's ledger entry, printed on the disposition record (处置清单).
    execution_seq: Mapped[int | None] = mapped_column(Integer)
    execution_hash: Mapped[str | None] = mapped_column(String(64))
    # Set once, when the record is first issued; the file itself sits in the content-addressed store.
    record_sha256: Mapped[str | None] = mapped_column(String(64))
    record_seq: Mapped[int | None] = mapped_column(Integer)

    case: Mapped[Case] = relationship(lazy="joined")
    agency: Mapped[Agency] = relationship(lazy="joined")
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    executed_by: Mapped[User | None] = relationship(foreign_keys=[executed_by_id])
    cancelled_by: Mapped[User | None] = relationship(foreign_keys=[cancelled_by_id])
    lines: Mapped[list["DispositionItem"]] = relationship(back_populates="disposition", order_by="DispositionItem.id")


class DispositionItem(Base):
    """One item of a disposition; ``active`` while the disposition is open, so the partial unique index keeps an
    item in at most one open disposition whatever two requests do at the same moment."""

    __tablename__ = "disposition_items"
    __table_args__ = (
        Index(
            "uq_disposition_items_active_item",
            "item_id",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
    )

    id: Mapped[intpk]
    disposition_id: Mapped[int] = mapped_column(ForeignKey("dispositions.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The shelf it left from when the keeper scanned it out, kept for the record.
    location: Mapped[str | None] = mapped_column(String(40))

    disposition: Mapped[Disposition] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship(lazy="joined")
