"""Human names, in the user's language, for the domain's vocabulary."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

from custody.web.format import quantity

STAGES = {
    "investigation": _l("Investigation"),
    "prosecution_review": _l("Prosecution review"),
    "trial": _l("Trial"),
    "execution": _l("Execution"),
    "closed": _l("Closed"),
}
CLOSING_REASONS = {
    "judgment_executed": _l("Judgment executed"),
    "withdrawn": _l("Case withdrawn"),
    "not_prosecuted": _l("Not prosecuted"),
    "other": _l("Other"),
}
CATEGORIES = {
    "cash": _l("Cash"),
    "valuables": _l("Valuables"),
    "vehicle": _l("Vehicle"),
    "electronics": _l("Electronics"),
    "documents": _l("Documents"),
    "weapon": _l("Weapon"),
    "drugs": _l("Drugs"),
    "hazardous": _l("Hazardous goods"),
    "goods": _l("Goods"),
    "other": _l("Other"),
}
STATUSES = {
    "registered": _l("Registered"),
    "in_storage": _l("In storage"),
    "checked_out": _l("Checked out"),
    "disposed": _l("Disposed"),
}
FLAGS = {
    "perishable": _l("Perishable"),
    "hazardous": _l("Hazardous"),
    "high_value": _l("High value"),
    "fragile": _l("Fragile"),
    "biological": _l("Biological"),
    "large": _l("Large"),
    "depreciating": _l("Depreciating"),
}
ENTRY_KINDS = {
    "agency.created": _l("Agency created"),
    "user.created": _l("User created"),
    "location.created": _l("Location created"),
    "case.opened": _l("Case opened"),
    "case.closed": _l("Case closed"),
    "item.registered": _l("Items registered"),
    "item.intake": _l("Taken in"),
    "item.moved": _l("Moved"),
    "item.photo_added": _l("Photo added"),
    "item.late_intake_acknowledged": _l("Late intake acknowledged"),
    "checkout.requested": _l("Check-out requested"),
    "checkout.approved": _l("Check-out approved"),
    "checkout.released": _l("Released for check-out"),
    "checkout.returned": _l("Returned from check-out"),
    "checkout.cancelled": _l("Check-out cancelled"),
    "handover.requested": _l("Handover requested"),
    "handover.approved": _l("Handover approved"),
    "handover.checked": _l("Presence checked for handover"),
    "handover.accepted": _l("Handover accepted"),
    "handover.rejected": _l("Handover rejected"),
    "handover.cancelled": _l("Handover cancelled"),
    "handover.receipt_issued": _l("Handover receipt issued"),
    "disposition.requested": _l("Disposition requested"),
    "disposition.approved": _l("Disposition approved"),
    "disposition.executed": _l("Disposition executed"),
    "disposition.cancelled": _l("Disposition cancelled"),
    "disposition.record_issued": _l("Disposition record issued"),
    "stocktake.opened": _l("Stocktake opened"),
    "stocktake.closed": _l("Stocktake closed"),
}
CHECKOUT_STATUSES = {
    "requested": _l("Requested"),
    "approved": _l("Approved"),
    "released": _l("Released"),
    "partially_returned": _l("Partly returned"),
    "returned": _l("Returned"),
    "cancelled": _l("Cancelled"),
}
PURPOSES = {
    "appraisal": _l("Appraisal"),
    "identification": _l("Identification"),
    "court_exhibit": _l("Court exhibit"),
    "other": _l("Other"),
    "moves_with_case": _l("Moves with the case"),
}
HANDOVER_STATUSES = {
    "requested": _l("Requested"),
    "approved": _l("Approved"),
    "checked": _l("Presence checked"),
    "accepted": _l("Accepted"),
    "partially_accepted": _l("Partly accepted"),
    "rejected": _l("Rejected"),
    "cancelled": _l("Cancelled"),
}
# The legal names of the moves between agencies (design §5.4).
HANDOVER_KINDS = {
    "prosecution_review": _l("Transfer for prosecution review"),
    "supplementary_investigation": _l("Returned for supplementary investigation"),
    "indictment": _l("Public prosecution"),
    "appeal": _l("Appeal"),
    "transfer": _l("Transfer of jurisdiction"),
}
DISPOSITION_STATUSES = {
    "requested": _l("Requested"),
    "approved": _l("Approved"),
    "executed": _l("Executed"),
    "cancelled": _l("Cancelled"),
}
# An item's final fate (design §5.6), as the legal texts name it.
DISPOSITION_KINDS = {
    "return_to_owner": _l("Return to owner"),
    "confiscate": _l("Confiscation"),
    "auction": _l("Auction"),
    "destroy": _l("Destruction"),
    "transfer_out": _l("Transfer out"),
    "early_sale": _l("Early sale (perishable items)"),
}
LINE_STATES = {"pending": _l("Pending"), "accepted": _l("Accepted"), "rejected": _l("Rejected")}
PRESENCE = {"present": _l("Present"), "missing": _l("Missing")}
SCAN_RESULTS = {"expected": _l("Expected"), "unexpected": _l("Unexpected"), "duplicate": _l("Already scanned")}
SEVERITIES = {"high": _l("High"), "medium": _l("Medium"), "low": _l("Low")}
ALERT_RULES = {
    "late_intake": _l("Taken in late"),
    "intake_overdue": _l("Waiting for intake too long"),
    "checkout_overdue": _l("Check-out overdue"),
    "stocktake_missing": _l("Missing in stocktake"),
    "handover_waiting": _l("Handover waiting too long"),
    "closed_case_items": _l("Items of a closed case not disposed of"),
    "disposition_waiting": _l("Disposition not executed"),
    "ledger_verification_failed": _l("Ledger verification failed"),
    "ledger_not_verified": _l("Ledger not verified recently"),
}
AGENCY_KINDS = {
    "police": _l("Police"),
    "procuratorate": _l("Procuratorate"),
    "court": _l("Court"),
    "centre": _l("Custody centre"),
    "supervision": _l("Supervision"),
}
ROLES = {
    "handler": _l("Case handler"),
    "approver": _l("Approver"),
    "keeper": _l("Keeper"),
    "auditor": _l("Auditor"),
    "admin": _l("Administrator"),
}
LOCATION_KINDS = {"warehouse": _l("Warehouse"), "zone": _l("Zone"), "shelf": _l("Shelf"), "bin": _l("Bin")}
FIELDS = {
    "name": _l("Name"),
    "category": _l("Category"),
    "quantity": _l("Quantity"),
    "unit": _l("Unit"),
    "seal_no": _l("Seal number"),
    "seizure_doc_no": _l("Seizure document number"),
    "seized_at": _l("Seized at"),
    "owner_name": _l("Owner"),
    "estimated_value": _l("Estimated value (CNY)"),
    "description": _l("Description"),
    "flags": _l("Flags"),
    "seized_by": _l("Seized by"),
    "case_no": _l("Case number"),
    "title": _l("Title"),
    "summary": _l("Summary"),
    "items": _l("Items"),
    "_row": _l("Row"),
}


def _label(table: dict[str, Any]) -> Any:
    return lambda key: table.get(key, key)


def register(app: Flask) -> None:
    @app.context_processor
    def _labels() -> dict[str, Any]:
        return {
            "stage_label": _label(STAGES),
            "closing_reason_label": _label(CLOSING_REASONS),
            "closing_reasons": list(CLOSING_REASONS.items()),
            "category_label": _label(CATEGORIES),
            "status_label": _label(STATUSES),
            "flag_label": _label(FLAGS),
            "entry_label": _label(ENTRY_KINDS),
            "location_kind_label": _label(LOCATION_KINDS),
            "field_label": _label(FIELDS),
            "agency_kind_label": _label(AGENCY_KINDS),
            "role_label": _label(ROLES),
            "checkout_status_label": _label(CHECKOUT_STATUSES),
            "purpose_label": _label(PURPOSES),
            "handover_status_label": _label(HANDOVER_STATUSES),
            "handover_kind_label": _label(HANDOVER_KINDS),
            "disposition_status_label": _label(DISPOSITION_STATUSES),
            "disposition_kind_label": _label(DISPOSITION_KINDS),
            "line_state_label": _label(LINE_STATES),
            "presence_label": _label(PRESENCE),
            "scan_result_label": _label(SCAN_RESULTS),
            "severity_label": _label(SEVERITIES),
            "alert_rule_label": _label(ALERT_RULES),
            "quantity": quantity,
        }
