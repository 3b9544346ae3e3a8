from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from custody.db import Base
from custody.models._columns import intpk, one_of, utc_created


class LocationKind(StrEnum):
    WAREHOUSE = "warehouse"
    ZONE = "zone"
    SHELF = "shelf"
    BIN = "bin"


# Which kinds may contain which: a bin sits on a shelf, a shelf in a zone or warehouse.
ALLOWED_PARENTS: dict[str, tuple[str | None, ...]] = {
    LocationKind.WAREHOUSE: (None,),
    LocationKind.ZONE: (LocationKind.WAREHOUSE,),
    LocationKind.SHELF: (LocationKind.WAREHOUSE, LocationKind.ZONE),
    LocationKind.BIN: (LocationKind.SHELF,),
}


class Location(Base):
    __tablename__ = "locations"
    __table_args__ = (one_of("kind", LocationKind),)

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"), index=True)
    created_at: Mapped[utc_created]

    parent: Mapped["Location | None"] = relationship(remote_side="Location.id", lazy="joined", join_depth=1)
