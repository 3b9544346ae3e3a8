from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from custody.db import Base, UTCDateTime
from custody.models._columns import intpk, one_of, utc_created
from custody.models.agency import Agency


class Stage(StrEnum):
    INVESTIGATION = "investigation"
    PROSECUTION_REVIEW = "prosecution_review"
    TRIAL = "trial"
    EXECUTION = "execution"
    CLOSED = "closed"


class ClosingReason(StrEnum):
    JUDGMENT_EXECUTED = "judgment_executed"
    WITHDRAWN = "withdrawn"
    NOT_PROSECUTED = "not_prosecuted"
    OTHER = "other"


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (one_of("stage", Stage),)

    id: Mapped[intpk]
    case_no: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str | None] = mapped_column(Text)
    stage: Mapped[str] = mapped_column(String(24), default=Stage.INVESTIGATION)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[utc_created]
    # Closed by its holder (judgment executed, case withdrawn …): its items still stored feed an alert.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_reason: Mapped[str | None] = mapped_column(String(24))
    closed_note: Mapped[str | None] = mapped_column(Text)

    agency: Mapped[Agency] = relationship(lazy="joined")
    holders: Mapped[list["CaseHolder"]] = relationship(order_by="CaseHolder.ordinal", lazy="selectin")


class CaseHolder(Base):
    """Every agency that has held a case, in order: it decides who may still see it."""

    __tablename__ = "case_holders"
    # (agency_id, case_id) answers "which cases did my agency ever hold?", asked by every scoped read.
    __table_args__ = (
        UniqueConstraint("case_id", "ordinal"),
        Index("ix_case_holders_agency_id_case_id", "agency_id", "case_id"),
    )

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    ordinal: Mapped[int] = mapped_column(Integer)
    since: Mapped[datetime] = mapped_column(UTCDateTime())

    agency: Mapped[Agency] = relationship(lazy="joined")
