from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, func, select, text
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from custody.db import Base, Money, Quantity, UTCDateTime
from custody.models._columns import intpk, one_of, utc_created
from custody.models.agency import Agency
from custody.models.case import Case
from custody.models.location import Location


class ItemStatus(StrEnum):
    REGISTERED = "registered"
    IN_STORAGE = "in_storage"
    CHECKED_OUT = "checked_out"
    DISPOSED = "disposed"


class Category(StrEnum):
    CASH = "cash"
    VALUABLES = "valuables"
    VEHICLE = "vehicle"
    ELECTRONICS = "electronics"
    DOCUMENTS = "documents"
    WEAPON = "weapon"
    DRUGS = "drugs"
    HAZARDOUS = "hazardous"
    GOODS = "goods"
    OTHER = "other"


class Flag(StrEnum):
    PERISHABLE = "perishable"
    HAZARDOUS = "hazardous"
    HIGH_VALUE = "high_value"
    FRAGILE = "fragile"
    BIOLOGICAL = "biological"
    LARGE = "large"
    # Loses value while it waits (vehicles, electronics): like a perishable item, it may be sold early (design §5.6).
    DEPRECIATING = "depreciating"


# What an early sale needs one of (design §5.6: "perishable or depreciating").
EARLY_SALE_FLAGS = frozenset({Flag.PERISHABLE, Flag.DEPRECIATING})


# Late intakes an auditor has not yet acknowledged, of items still in the centre's books (the alert's rows).
LATE_INTAKE_OPEN_PG = "late_intake AND status <> 'disposed' AND late_intake_acknowledged_at IS NULL"
LATE_INTAKE_OPEN_SQLITE = "late_intake = 1 AND status != 'disposed' AND late_intake_acknowledged_at IS NULL"


class Item(Base):
    __tablename__ = "items"
    __table_args__ = (
        one_of("status", ItemStatus),
        one_of("category", Category),
        # The alert rules' indexes (bench/alerts_scale.py: 1,000,000 items): each rule reads only its own rows.
        Index(
            "ix_items_late_intake",
            "intake_at",
            postgresql_where=text(LATE_INTAKE_OPEN_PG),
            sqlite_where=text(LATE_INTAKE_OPEN_SQLITE),
            postgresql_include=["case_id", "code", "seized_at"],
        ),
        Index(
            "ix_items_awaiting_intake",
            "seized_at",
            postgresql_where=text("status = 'registered'"),
            sqlite_where=text("status = 'registered'"),
        ),
        Index("ix_items_case_id_status", "case_id", "status"),
    )

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(16), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    category: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    unit: Mapped[str] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(Text)
    estimated_value: Mapped[Decimal | None] = mapped_column(Money())
    owner_name: Mapped[str | None] = mapped_column(String(200))
    seizure_doc_no: Mapped[str] = mapped_column(String(100))
    seized_at: Mapped[datetime] = mapped_column(UTCDateTime())
    seized_by: Mapped[str | None] = mapped_column(String(200))
    seal_no: Mapped[str | None] = mapped_column(String(64))
    # Sorted, comma-separated: small, indexable with LIKE, identical on both databases.
    flags_text: Mapped[str] = mapped_column("flags", String(120), default="")
    status: Mapped[str] = mapped_column(String(16), default=ItemStatus.REGISTERED, index=True)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"), index=True)
    custodian_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    late_intake: Mapped[bool] = mapped_column(Boolean, default=False)
    # An auditor reviewed the late intake (the ledger holds who and why): the item stays marked late, the alert ends.
    late_intake_acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # First intake: when the item reached the shelf (alerts and storage-age statistics read it).
    intake_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When a disposition was executed: the item's status is then ``disposed``, read-only forever.
    disposed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    registered_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    registered_at: Mapped[utc_created]

    case: Mapped[Case] = relationship(lazy="joined")
    custodian: Mapped[Agency] = relationship(lazy="joined")
    location: Mapped[Location | None] = relationship(lazy="joined")

    @property
    def flags(self) -> list[str]:
        return [f for f in self.flags_text.split(",") if f]


# Deferred: loading an item joins its case, and counting a large case's items on every item read
# made reads grow with the case. Queries that show cases ask for it (``undefer``), in the same SELECT.
Case.item_count = column_property(  # type: ignore[attr-defined]
    select(func.count(Item.id)).where(Item.case_id == Case.id).correlate_except(Item).scalar_subquery(),
    deferred=True,
)
