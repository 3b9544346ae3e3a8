from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from custody.db import Base
from custody.models._columns import intpk, utc_created


class Photo(Base):
    """A photo of an item. The file lives in the files directory under its SHA-256, which the ledger records."""

    __tablename__ = "photos"
    __table_args__ = (UniqueConstraint("item_id", "sha256"),)

    id: Mapped[intpk]
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    media_type: Mapped[str] = mapped_column(String(20))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[utc_created]
