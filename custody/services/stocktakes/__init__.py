"""Stocktakes: count a location and everything under it by scanning, then report what is missing.

Opening snapshots what the records say is there (one INSERT … SELECT over the
location's subtree), so items moved in or out while the count runs do not shift
the target. A scan changes no item record, so it writes no ledger entry (and
stays fast); the close is the act, and its one entry names every item expected
or found. The unique (stocktake, item) constraint decides duplicates, also when
two keepers scan the same label at once.
"""

from custody.services.stocktakes.counting import close_stocktake, open_stocktake, record_scan
from custody.services.stocktakes.records import (
    FOUND,
    MISSING,
    UNEXPECTED,
    Report,
    ReportRow,
    Scanned,
    Summary,
    get_stocktake,
    list_stocktakes,
    recent_scans,
    report,
)

__all__ = [
    "FOUND",
    "MISSING",
    "UNEXPECTED",
    "Report",
    "ReportRow",
    "Scanned",
    "Summary",
    "close_stocktake",
    "get_stocktake",
    "list_stocktakes",
    "open_stocktake",
    "recent_scans",
    "record_scan",
    "report",
]
