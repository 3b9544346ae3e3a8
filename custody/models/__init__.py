"""SQLAlchemy 2 typed models: data only, no rules and no ledger writes."""

from custody.models.agency import Agency, AgencyKind
from custody.models.case import Case, CaseHolder, Stage
from custody.models.checkout import OPEN_CHECKOUT, Checkout, CheckoutItem, CheckoutStatus, Purpose
from custody.models.item import Category, Flag, Item, ItemStatus
from custody.models.ledger import LedgerEntry, LedgerEntryItem, LedgerHead
from custody.models.location import Location, LocationKind
from custody.models.photo import Photo
from custody.models.stocktake import ScanResult, Stocktake, StocktakeItem, StocktakeScan, StocktakeStatus
from custody.models.user import ApiToken, Role, User, UserRole

__all__ = [
    "OPEN_CHECKOUT",
    "Agency",
    "AgencyKind",
    "ApiToken",
    "Case",
    "CaseHolder",
    "Category",
    "Checkout",
    "CheckoutItem",
    "CheckoutStatus",
    "Flag",
    "Item",
    "ItemStatus",
    "LedgerEntry",
    "LedgerEntryItem",
    "LedgerHead",
    "Location",
    "LocationKind",
    "Photo",
    "Purpose",
    "Role",
    "ScanResult",
    "Stage",
    "Stocktake",
    "StocktakeItem",
    "StocktakeScan",
    "StocktakeStatus",
    "User",
    "UserRole",
]
