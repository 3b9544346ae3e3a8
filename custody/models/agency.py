from enum import StrEnum

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from custody.db import Base
from custody.models._columns import intpk, one_of, utc_created


class AgencyKind(StrEnum):
    POLICE = "police"
    PROCURATORATE = "procuratorate"
    COURT = "court"
    CENTRE = "centre"
    SUPERVISION = "supervision"


class Agency(Base):
    __tablename__ = "agencies"
    __table_args__ = (one_of("kind", AgencyKind),)

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[utc_created]

    def __repr__(self) -> str:
        return f"<Agency {self.code}>"
