from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from custody.db import Base
from custody.models._columns import intpk, one_of, utc_created


class SecurityKind(StrEnum):
    SIGNIN = "signin"
    SIGNIN_FAILED = "signin_failed"
    LOCKOUT = "lockout"  # a failure that started (or lengthened) a delay
    THROTTLED = "signin_throttled"  # an attempt refused, its password unchecked, during a delay
    FORBIDDEN = "forbidden"  # a permission refusal (403)
    SESSION_EXPIRED = "session_expired"
    SIGNOUT = "signout"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 - an event kind, not a password


class SecurityEvent(Base):
    """The security log: who signed in, who failed, who was refused. Kept apart from the custody ledger,
    which records acts on evidence; this records attempts, and it is also what sign-in throttling counts."""

    __tablename__ = "security_events"
    __table_args__ = (
        one_of("kind", SecurityKind),
        Index("ix_security_events_username_at", "username", "at"),
        Index("ix_security_events_address_at", "address", "at"),
        Index("ix_security_events_at", "at"),  # newest first, for the admins' page
    )

    id: Mapped[intpk]
    at: Mapped[utc_created]
    kind: Mapped[str] = mapped_column(String(24))
    username: Mapped[str | None] = mapped_column(String(64))  # as typed, for failures of unknown users too
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    address: Mapped[str | None] = mapped_column(String(45))
    method: Mapped[str | None] = mapped_column(String(8))
    path: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[str | None] = mapped_column(String(200))
    request_id: Mapped[str | None] = mapped_column(String(64))

    def __repr__(self) -> str:
        return f"<SecurityEvent {self.kind} {self.username}>"
