"""The ledger: entries, head and verification."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from flask_smorest import Blueprint

from custody.api.schemas.common import MAX_SEQ
from custody.api.schemas.ledger import (
    EntryPageSchema,
    EntryQuerySchema,
    EntrySchema,
    HeadSchema,
    VerifySchema,
    entry_filter,
)
from custody.services import ledger_view
from custody.services.pagination import parse_cursor

blp = Blueprint("ledger", __name__, description="The tamper-evident ledger")


@blp.route("/ledger/entries")
@blp.arguments(EntryQuerySchema, location="query")
@blp.response(200, EntryPageSchema)
def entries(query: dict[str, Any]) -> Any:
    """Entries after ``after``, oldest first, that the caller may see and the filters select.

    ``next`` is the cursor of the following page. Both ``after`` and ``cursor`` are a seq to start after; given both,
    the later one counts, so a client that keeps its first ``after`` and follows ``next`` still moves forward.
    """
    starts = [seq for seq in (parse_cursor(query.get("cursor")), query.get("after")) if seq is not None]
    after = max(starts) if starts else None
    return ledger_view.entries(current_user, after=after, limit=query.get("limit"), where=entry_filter(query))


@blp.route(f"/ledger/entries/<int(max={MAX_SEQ}):seq>")
@blp.response(200, EntrySchema)
def entry(seq: int) -> Any:
    """One entry the caller may see, with its body: the canonical text hashed into the chain and the Merkle tree."""
    return ledger_view.entry(current_user, seq)


@blp.route("/ledger/head")
@blp.response(200, HeadSchema)
def head() -> Any:
    """The latest sequence number and hash."""
    return ledger_view.head()


@blp.route("/ledger/verify", methods=["POST"])
@blp.response(200, VerifySchema)
def verify() -> dict[str, Any]:
    """Recompute the whole chain and name the first bad entry (auditor or admin)."""
    return ledger_view.verify(current_user).as_dict()
