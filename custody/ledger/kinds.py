from enum import StrEnum


class EntryKind(StrEnum):
    """What an entry records: ``subject.action``."""

    AGENCY_CREATED = "agency.created"
    USER_CREATED = "user.created"
    LOCATION_CREATED = "location.created"
    CASE_OPENED = "case.opened"
    ITEM_REGISTERED = "item.registered"
