"""Check-outs (design §5.3): items leave the shelf for a while and come back through the keeper."""

from custody.services.checkouts.acts import (
    MAX_ITEMS,
    REQUESTABLE,
    approve_checkout,
    cancel_checkout,
    release_checkout,
    request_checkout,
    return_items,
)
from custody.services.checkouts.reads import (
    OUT,
    get_checkout,
    is_overdue,
    line_state,
    list_checkouts,
    normal_codes,
    open_checkout_of,
    out_by_due,
    out_lines,
    takers,
    visible_filter,
)
from custody.services.checkouts.with_case import open_for_handover

__all__ = [
    "MAX_ITEMS",
    "OUT",
    "REQUESTABLE",
    "approve_checkout",
    "cancel_checkout",
    "get_checkout",
    "is_overdue",
    "line_state",
    "list_checkouts",
    "normal_codes",
    "open_checkout_of",
    "open_for_handover",
    "out_by_due",
    "out_lines",
    "release_checkout",
    "request_checkout",
    "return_items",
    "takers",
    "visible_filter",
]
