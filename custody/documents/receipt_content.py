"""What a handover receipt says: the data the service gathers and the vocabulary it is printed in.

Kept apart from the drawing (custody.documents.receipt) so that the service and the tests can build
a ``Receipt`` without reading the layout code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Signature:
    """Who did a step of the handover, for which agency, and when (UTC)."""

    name: str
    username: str
    agency: str
    at: datetime


@dataclass(frozen=True)
class ReceiptLine:
    code: str
    name: str
    category: str  # the vocabulary key (``cash``, ``electronics`` …); the document prints both languages
    quantity: str  # decimal as text, as stored
    unit: str
    features: str | None
    seal_no: str | None
    location: str | None  # the shelf the keeper found it on at the presence check
    moves: bool  # moves with the case (随案移送) rather than staying on the shelf
    state: str  # accepted | rejected | pending
    reason: str | None


@dataclass(frozen=True)
class Receipt:
    number: str
    case_no: str
    case_title: str
    from_agency: str  # "name (CODE)"
    to_agency: str
    kind: str  # HandoverKind value
    status: str  # accepted | partially_accepted | rejected
    reason: str | None  # the whole handover's rejection reason
    requested: Signature
    approved: Signature | None
    checked: Signature | None
    decided: Signature | None
    lines: tuple[ReceiptLine, ...]
    decision_seq: int
    decision_hash: str
    verify_url: str
    timezone: str  # times are printed in this zone (e.g. Asia/Shanghai)


# The vocabulary in both languages, fixed here rather than translated per reader.
KINDS = {
    "prosecution_review": "移送审查起诉 Prosecution review",
    "supplementary_investigation": "退回补充侦查 Supplementary investigation",
    "indictment": "提起公诉 Indictment",
    "appeal": "上诉移送 Appeal",
    "transfer": "移送管辖 Transfer of jurisdiction",
}
STATUSES = {
    "accepted": "已接收 Accepted",
    "partially_accepted": "部分接收 Partially accepted",
    "rejected": "已拒收 Rejected",
}
STATES = {"accepted": "接收 Accepted", "rejected": "拒收 Rejected", "pending": "待定 Pending"}
CATEGORIES = {
    "cash": "现金 Cash",
    "valuables": "贵重物品 Valuables",
    "vehicle": "车辆 Vehicle",
    "electronics": "电子设备 Electronics",
    "documents": "文书证件 Documents",
    "weapon": "武器 Weapon",
    "drugs": "毒品 Drugs",
    "hazardous": "危险物品 Hazardous goods",
    "goods": "一般物品 Goods",
    "other": "其他 Other",
}
MOVES = {True: "随案 Moves", False: "留存 Stays"}
# Reasons the system itself writes (services.handovers.decisions.MISSING_REASON), printed in both languages.
REASONS = {"missing at the presence check": "清点时缺失 missing at the presence check"}
NOTHING = "—"
