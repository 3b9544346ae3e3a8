"""The ledger's tables. Rows here are only ever inserted (the head row is updated).

Hashes are lowercase hex text so that anyone with read access can re-check the
chain with a few lines of SQL and any SHA-256.
"""

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from custody.db import Base, UTCDateTime

ZERO_HASH = "0" * 64


class LedgerHead(Base):
    """The single row that serialises appends: read under a lock, then advanced."""

    __tablename__ = "ledger_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    hash: Mapped[str] = mapped_column(String(64), default=ZERO_HASH)
    # The Merkle tree's frontier (custody/ledger/tree.py): the hex roots of its perfect subtrees, largest first.
    frontier: Mapped[str] = mapped_column(Text, default="", server_default="")


class LedgerEntry(Base):
    __tablename__ = "ledger_entries"
    # One (column, seq) index per filter of the auditors' ledger browser: a page deep in a filtered ledger is a
    # range scan, as fast as the first (bench/ledger_browse.py); a time range becomes a seq range through (at, seq).
    __table_args__ = (
        Index("ix_ledger_entries_case_no_seq", "case_no", "seq"),
        Index("ix_ledger_entries_agency_seq", "agency", "seq"),
        Index("ix_ledger_entries_kind_seq", "kind", "seq"),
        Index("ix_ledger_entries_actor_seq", "actor", "seq"),
        Index("ix_ledger_entries_at_seq", "at", "seq"),
    )

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(64))
    agency: Mapped[str] = mapped_column(String(16))
    case_no: Mapped[str | None] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class LedgerEntryItem(Base):
    """The item → entry index: an item's history is one indexed range scan."""

    __tablename__ = "ledger_entry_items"
    __table_args__ = (Index("ix_ledger_entry_items_item_code_seq", "item_code", "seq"),)

    seq: Mapped[int] = mapped_column(BigInteger, ForeignKey("ledger_entries.seq"), primary_key=True)
    item_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    prev_seq: Mapped[int | None] = mapped_column(BigInteger)


class LedgerCheck(Base):
    """One full verification and its result (CLI, API, the auditors' button, the schedule).

    Not part of the chain (checking appends no entry): the latest row is what the
    "ledger verification failed" alert reads, and the history shows the ledger was checked.
    """

    __tablename__ = "ledger_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    by: Mapped[str] = mapped_column(String(64))  # a username, or "@cli"
    ok: Mapped[bool] = mapped_column(Boolean)
    checked: Mapped[int] = mapped_column(BigInteger)
    first_bad_seq: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str | None] = mapped_column(String(32))
    head_seq: Mapped[int] = mapped_column(BigInteger)
