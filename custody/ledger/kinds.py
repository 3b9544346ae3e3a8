from enum import StrEnum


class EntryKind(StrEnum):
    """What an entry records: ``subject.action``."""

    AGENCY_CREATED = "agency.created"
    USER_CREATED = "user.created"
    LOCATION_CREATED = "location.created"
    CASE_OPENED = "case.opened"
    ITEM_REGISTERED = "item.registered"
    ITEM_INTAKE = "item.intake"
    ITEM_MOVED = "item.moved"
    ITEM_PHOTO_ADDED = "item.photo_added"
    CHECKOUT_REQUESTED = "checkout.requested"
    CHECKOUT_APPROVED = "checkout.approved"
    CHECKOUT_RELEASED = "checkout.released"
    CHECKOUT_RETURNED = "checkout.returned"
    CHECKOUT_CANCELLED = "checkout.cancelled"
    HANDOVER_REQUESTED = "handover.requested"
    HANDOVER_APPROVED = "handover.approved"
    HANDOVER_CHECKED = "handover.checked"
    HANDOVER_ACCEPTED = "handover.accepted"
    HANDOVER_REJECTED = "handover.rejected"
    HANDOVER_CANCELLED = "handover.cancelled"
    HANDOVER_RECEIPT_ISSUED = "handover.receipt_issued"
    STOCKTAKE_OPENED = "stocktake.opened"
    STOCKTAKE_CLOSED = "stocktake.closed"
