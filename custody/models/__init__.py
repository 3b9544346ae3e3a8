"""SQLAlchemy 2 typed models: data only, no rules and no ledger writes."""

from custody.models.agency import Agency, AgencyKind
from custody.models.case import Case, CaseHolder, ClosingReason, Stage
from custody.models.checkout import OPEN_CHECKOUT, Checkout, CheckoutItem, CheckoutStatus, Purpose
from custody.models.checkpoint import LedgerCheckpoint, LedgerCosignature, LedgerNode
from custody.models.disposition import (
    OPEN_DISPOSITION,
    Disposition,
    DispositionItem,
    DispositionKind,
    DispositionStatus,
)
from custody.models.handover import (
    DECIDED_HANDOVER,
    OPEN_HANDOVER,
    Handover,
    HandoverItem,
    HandoverKind,
    HandoverStatus,
    LineState,
    Presence,
)
from custody.models.item import EARLY_SALE_FLAGS, Category, Flag, Item, ItemStatus
from custody.models.ledger import LedgerCheck, LedgerEntry, LedgerEntryItem, LedgerHead
from custody.models.location import Location, LocationKind
from custody.models.photo import Photo
from custody.models.security import SecurityEvent, SecurityKind
from custody.models.stocktake import ScanResult, Stocktake, StocktakeItem, StocktakeScan, StocktakeStatus
from custody.models.user import ApiToken, Role, User, UserRole

__all__ = [
    "DECIDED_HANDOVER",
    "EARLY_SALE_FLAGS",
    "OPEN_CHECKOUT",
    "OPEN_DISPOSITION",
    "OPEN_HANDOVER",
    "Agency",
    "AgencyKind",
    "ApiToken",
    "Case",
    "CaseHolder",
    "Category",
    "Checkout",
    "CheckoutItem",
    "CheckoutStatus",
    "ClosingReason",
    "Disposition",
    "DispositionItem",
    "DispositionKind",
    "DispositionStatus",
    "Flag",
    "Handover",
    "HandoverItem",
    "HandoverKind",
    "HandoverStatus",
    "Item",
    "ItemStatus",
    "LedgerCheck",
    "LedgerCheckpoint",
    "LedgerCosignature",
    "LedgerEntry",
    "LedgerEntryItem",
    "LedgerHead",
    "LedgerNode",
    "LineState",
    "Location",
    "LocationKind",
    "Photo",
    "Presence",
    "Purpose",
    "Role",
    "ScanResult",
    "SecurityEvent",
    "SecurityKind",
    "Stage",
    "Stocktake",
    "StocktakeItem",
    "StocktakeScan",
    "StocktakeStatus",
    "User",
    "UserRole",
]
