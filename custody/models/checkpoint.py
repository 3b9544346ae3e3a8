"""The verifiable log's tables: stored Merkle nodes, signed checkpoints and witnesses' cosignatures.

None of these is part of the hash chain (making a checkpoint appends no entry); each is checked
against the entries by ``verify``. Hashes are lowercase hex, like the chain's.
"""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from custody.db import Base, UTCDateTime


class LedgerNode(Base):
    """A perfect subtree of 2**level leaves, stored when the entry ``seq`` (its last leaf) was appended.

    Keyed by (seq, level) so that verification reads them in the order the entries complete them;
    leaves (level 0) are not stored: they are SHA-256(0x00 ‖ body) of the entry itself.
    """

    __tablename__ = "ledger_nodes"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64))


class LedgerCheckpoint(Base):
    """A C2SP checkpoint of the first ``size`` entries, signed by the log key; every one is kept."""

    __tablename__ = "ledger_checkpoints"

    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)  # the signed note as the log signed it, without cosignatures
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    by: Mapped[str] = mapped_column(String(64))  # a username, "@cli", "@receipt" or "@schedule"


class LedgerCosignature(Base):
    """A witness's cosignature of a checkpoint: the signature line as the witness returned it."""

    __tablename__ = "ledger_cosignatures"
    __table_args__ = (UniqueConstraint("size", "witness", name="uq_ledger_cosignatures_size_witness"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger, ForeignKey("ledger_checkpoints.size"), index=True)
    witness: Mapped[str] = mapped_column(String(200))  # the witness key's name
    line: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
