"""SQLAlchemy 2 typed models: data only, no rules and no ledger writes."""

from custody.models.agency import Agency, AgencyKind
from custody.models.case import Case, CaseHolder, Stage
from custody.models.item import Category, Flag, Item, ItemStatus
from custody.models.ledger import LedgerEntry, LedgerEntryItem, LedgerHead
from custody.models.location import Location, LocationKind
from custody.models.user import ApiToken, Role, User, UserRole

__all__ = [
    "Agency",
    "AgencyKind",
    "ApiToken",
    "Case",
    "CaseHolder",
    "Category",
    "Flag",
    "Item",
    "ItemStatus",
    "LedgerEntry",
    "LedgerEntryItem",
    "LedgerHead",
    "Location",
    "LocationKind",
    "Role",
    "Stage",
    "User",
    "UserRole",
]
