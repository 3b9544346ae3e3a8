"""The disposition record (处置清单): a bilingual PDF, the same bytes every time it is made, like the receipt.

No Flask and no database here: custody.services.dispositions gathers a ``DispositionRecord`` and this
module only draws it.

The record is the receipt's sibling and is drawn by the receipt's machinery (custody.documents.receipt:
the two-pass pagination that knows "page x of y" before drawing, the pen that writes each page's text as
one run of PDF operators; custody.documents.receipt_layout: the page geometry and text blocks). Only what
the record says differs: its head (kind, legal basis, recipient), its columns (the shelf each item left
from, its flags), its totals, three signatures (the agency, the keeper, the recipient) and the
execution's ledger entry. Every label is printed in Chinese and English, times in ``timezone`` with
their UTC offset, and nothing is taken from the clock, so its SHA-256 in the ledger holds for anyone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from reportlab.lib.units import mm

from custody.documents.drawing import (
    CODE_FONT,
    TEXT_FONT,
    clean_text,
    cut_to_width,
)
from custody.documents.receipt_content import CATEGORIES, NOTHING, Signature
from custody.documents.receipt_layout import (
    LEADING,
    PAD,
    QR_SIDE,
    SIZE,
    WIDTH,
    Block,
    Column,
    Sheet,
    compose,
    font_for,
    local_time,
    quantity_text,
    time_text,
    utc_offset,
    wrap,
)


@dataclass(frozen=True)
class RecordLine:
    code: str
    name: str
    category: str  # vocabulary key; printed in both languages
    quantity: str  # decimal as text, as stored
    unit: str
    features: str | None
    seal_no: str | None
    location: str | None  # the shelf it left from when the keeper scanned it out
    flags: tuple[str, ...]


@dataclass(frozen=True)
class DispositionRecord:
    number: str
    case_no: str
    case_title: str
    agency: str  # the custodian agency that asked: "name (CODE)"
    kind: str  # DispositionKind value
    basis_doc_no: str  # the judgment or decision it rests on
    recipient: str | None
    reason: str | None
    requested: Signature
    approved: Signature | None
    executed: Signature | None
    lines: tuple[RecordLine, ...]
    execution_seq: int
    execution_hash: str
    verify_url: str
    timezone: str


# The vocabulary in both languages, fixed here rather than translated per reader (the hash is the reader's too).
KINDS = {
    "return_to_owner": "发还 Return to owner",
    "confiscate": "没收上缴 Confiscation",
    "auction": "拍卖 Auction",
    "destroy": "销毁 Destruction",
    "transfer_out": "移送 Transfer out",
    "early_sale": "先行处置（变卖） Early sale",
}
FLAGS = {
    "perishable": "易腐 Perishable",
    "hazardous": "危险 Hazardous",
    "high_value": "贵重 High value",
    "fragile": "易碎 Fragile",
    "biological": "生物 Biological",
    "large": "大件 Large",
    "depreciating": "易贬值 Depreciating",
}
TITLE = "涉案财物处置清单  Disposition record"

COLUMNS = (
    Column("序号\nNo.", 24),
    Column("物品编号\nCode", 56, CODE_FONT),
    Column("名称\nName", 150),
    Column("类别\nCategory", 52),
    Column("数量\nQuantity", 50),
    Column("特征\nFeatures", 186),
    Column("封条号\nSeal no.", 66),
    Column("出库位置\nLeft from", 60, CODE_FONT),
    Column("标记\nFlags", WIDTH - 644),
)
STEP_COLUMNS = ((0.0, 110.0), (110.0, 230.0), (340.0, 150.0), (490.0, 200.0))  # x, width


def _cells(index: int, line: RecordLine) -> tuple[str, ...]:
    return (
        str(index),
        line.code,
        line.name,
        CATEGORIES.get(line.category, line.category).replace(" ", "\n", 1),
        f"{quantity_text(line.quantity)} {line.unit}",
        line.features or NOTHING,
        line.seal_no or NOTHING,
        line.location or NOTHING,
        "\n".join(FLAGS.get(flag, flag) for flag in line.flags) or NOTHING,
    )


def _row(index: int, line: RecordLine) -> tuple[str, ...]:
    """Each cell wrapped to its column, lines joined by "\\n" (the receipt's row format)."""
    cells = []
    for text, column in zip(_cells(index, line), COLUMNS, strict=True):
        if column.font == CODE_FONT:
            text = clean_text(text)
        cells.append("\n".join(wrap(text, font_for(text, column.font), SIZE, column.width - 2 * PAD)))
    return tuple(cells)


def _table_head() -> Block:
    block = Block()
    x = 0.0
    for column in COLUMNS:
        block.text(x + PAD, PAD, column.title.split("\n"))
        x += column.width
    block.height = 2 * LEADING + 2 * PAD
    block.fills.append((0, 0, WIDTH, block.height))
    return block


def _done(record: DispositionRecord) -> Signature:
    return record.executed or record.approved or record.requested


def _first_head(record: DispositionRecord, zone: ZoneInfo) -> Block:
    """Title, what was done with the items and on what authority, and the QR code's caption (drawn beside it)."""
    block = Block()
    block.text(0, 0, [TITLE], TEXT_FONT, 18)
    day = local_time(_done(record).at, zone)
    fields = [
        ("处置单号 Disposition no.", record.number, CODE_FONT),
        ("案件 Case", f"{record.case_no}  {record.case_title}", TEXT_FONT),
        ("保管责任单位 Custodian agency", record.agency, TEXT_FONT),
        ("处置方式 Kind", KINDS.get(record.kind, record.kind), TEXT_FONT),
        ("法律依据文书号 Legal basis", record.basis_doc_no, TEXT_FONT),
        ("接收人 Recipient", record.recipient or NOTHING, TEXT_FONT),
        *([("处置理由 Reason", record.reason, TEXT_FONT)] if record.reason else []),
        ("执行日期 Date executed" if record.executed else "日期 Date", f"{day:%Y-%m-%d}", TEXT_FONT),
        ("时区 Time zone", f"{record.timezone} ({utc_offset(day)})", TEXT_FONT),
        ("核验网址 Verify at", record.verify_url, TEXT_FONT),
    ]
    top = 30.0
    for label, value, font in fields:
        top = block.labelled(0, top, label, value, WIDTH - QR_SIDE - 12 * mm, font) + 2
    block.text(WIDTH - QR_SIDE, QR_SIDE + 2, ["扫码核验 Scan to verify"], TEXT_FONT, 7)
    block.height = max(top, QR_SIDE + 14) + 4
    return block


def _running_head(record: DispositionRecord) -> Block:
    block = Block()
    title = f"处置清单 Disposition record  {record.number}  案件 Case {record.case_no}"
    block.text(0, 0, [cut_to_width(clean_text(title), TEXT_FONT, 9, WIDTH)], TEXT_FONT, 9)
    block.rules.append((0, 15, WIDTH, 15))
    block.height = 20
    return block


def quantity_totals(lines: Sequence[RecordLine]) -> str:
    """The quantities summed per unit, in the order the units first appear: ``3 个, 12000 元``."""
    sums: dict[str, Decimal] = {}
    odd: list[str] = []  # a quantity that is not a number is listed as it is rather than dropped
    for line in lines:
        try:
            sums[line.unit] = sums.get(line.unit, Decimal(0)) + Decimal(line.quantity)
        except InvalidOperation:
            odd.append(f"{line.quantity} {line.unit}")
    return ", ".join([f"{quantity_text(str(total))} {unit}".strip() for unit, total in sums.items()] + odd) or NOTHING


def _steps(block: Block, record: DispositionRecord, zone: ZoneInfo, top: float) -> float:
    """Who requested, approved and executed, for which agency, and when; returns where the next text may start."""
    block.fills.append((0, top - 2, STEP_COLUMNS[-1][0] + STEP_COLUMNS[-1][1], 12))
    rows = [("步骤 Step", "经办人 Name", "单位 Agency", "时间 Time")]
    for step, who in (
        ("申请 Requested", record.requested),
        ("批准 Approved", record.approved),
        ("执行 Executed", record.executed),
    ):
        signed = who and (step, f"{who.name} ({who.username})", who.agency, time_text(who.at, zone))
        rows.append(signed or (step, NOTHING, NOTHING, NOTHING))
    for cells in rows:
        for (x, width), text in zip(STEP_COLUMNS, cells, strict=True):
            block.text(x + PAD, top, [cut_to_width(clean_text(text), TEXT_FONT, 8, width - 2 * PAD)], TEXT_FONT, 8)
        top += 12
    return top


def _closing(record: DispositionRecord, zone: ZoneInfo) -> Block:
    """Totals, the steps, the execution's ledger entry, and the three signature lines."""
    block = Block()
    totals = f"合计 Totals:  物品 Items {len(record.lines)}   数量 Quantity {quantity_totals(record.lines)}"
    top = block.text(0, 8, [cut_to_width(clean_text(totals), TEXT_FONT, 9, WIDTH)], TEXT_FONT, 9) + 6
    top = _steps(block, record, zone, top)
    top = block.labelled(0, top + 6, "执行的账本记录 Execution entry", f"#{record.execution_seq}", WIDTH)
    top = block.labelled(0, top, "记录哈希 Entry hash (SHA-256)", record.execution_hash or NOTHING, WIDTH, CODE_FONT)
    top += 14
    third = (WIDTH - 40) / 3
    keeper = record.executed.agency if record.executed else NOTHING
    for i, (side, who) in enumerate(
        (
            ("处置单位 Disposing agency", record.agency),
            ("保管单位 Released by (keeper)", keeper),
            ("接收人 Received by", record.recipient or NOTHING),
        )
    ):
        x = i * (third + 20)
        block.text(x, top, [side], TEXT_FONT, 9)
        block.text(x, top + 13, [cut_to_width(clean_text(who), TEXT_FONT, 8, third)], TEXT_FONT, 8)
        block.text(x, top + 40, ["签名（盖章）Signature (seal)"], TEXT_FONT, 8)
        block.text(x, top + 60, ["日期 Date"], TEXT_FONT, 8)
        block.rules += [(x + 100, top + 49, x + third, top + 49), (x + 40, top + 69, x + third, top + 69)]
    block.height = top + 76
    return block


def render(record: DispositionRecord) -> bytes:
    """The record as a landscape A4 PDF; the same ``DispositionRecord`` always gives the same bytes.

    Raises ValueError when the verification URL is too long for a QR code, ZoneInfoNotFoundError
    for an unknown time zone.
    """
    zone = ZoneInfo(record.timezone)
    return compose(
        Sheet(
            number=record.number,
            ledger_seq=record.execution_seq,
            title=f"处置清单 Disposition record {record.number}",
            subject=f"{record.case_no} {KINDS.get(record.kind, record.kind)}",
            verify_url=record.verify_url,
            first=_first_head(record, zone),
            later=_running_head(record),
            head=_table_head(),
            closing=_closing(record, zone),
            rows=[_row(i, line) for i, line in enumerate(record.lines, start=1)],
            columns=COLUMNS,
        )
    )
