"""Handovers (design §5.4): a case's custody passes to the next agency while its items stay on the shelf."""

from custody.services.handovers.decisions import MISSING_REASON, accept_handover, reject_handover
from custody.services.handovers.presence import PresenceScan, check_presence, progress, scan_present
from custody.services.handovers.reads import (
    DIRECTIONS,
    STAGE_AFTER,
    Inbox,
    case_handovers,
    find_any,
    find_decided,
    get_handover,
    inbox,
    inbox_counts,
    item_count,
    kind_between,
    line_rows,
    list_handovers,
    may_see,
    open_handover_of,
    steps_for,
)
from custody.services.handovers.receipts import Verdict, check_upload, issue_receipt, verify_upload, verify_url
from custody.services.handovers.requests import MAX_ITEMS, approve_handover, cancel_handover, request_handover

__all__ = [
    "DIRECTIONS",
    "MAX_ITEMS",
    "MISSING_REASON",
    "STAGE_AFTER",
    "Inbox",
    "PresenceScan",
    "Verdict",
    "accept_handover",
    "approve_handover",
    "cancel_handover",
    "case_handovers",
    "check_presence",
    "check_upload",
    "find_any",
    "find_decided",
    "get_handover",
    "inbox",
    "inbox_counts",
    "issue_receipt",
    "item_count",
    "kind_between",
    "line_rows",
    "list_handovers",
    "may_see",
    "open_handover_of",
    "progress",
    "reject_handover",
    "request_handover",
    "scan_present",
    "steps_for",
    "verify_upload",
    "verify_url",
]
