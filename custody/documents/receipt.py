"""The handover receipt (移交清单): a bilingual PDF that is the same bytes every time it is made.

No Flask and no database here: custody.services.handovers.receipts gathers a ``Receipt`` and this
module only draws it.

Every label is printed in Chinese and English side by side (the receipt's hash goes into the
ledger, so it cannot depend on who downloads it), times in ``Receipt.timezone`` with their UTC
offset, and nothing is taken from the clock. reportlab's invariant mode fixes the rest.

The item table is drawn straight on the canvas rather than with platypus tables, whose splitting
across pages grows too slow for receipts of ten thousand items: a first pass wraps every cell to
its column and cuts the rows into pages (a row taller than a page continues on the next), so the
page count is known before anything is drawn and every page can say "page x of y"; the second pass
writes each page's text as one run of PDF text operators. Both passes are linear in the number of items.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from reportlab.lib.units import mm

from custody.documents.drawing import (
    CODE_FONT,
    TEXT_FONT,
    clean_text,
    cut_to_width,
)
from custody.documents.receipt_content import (
    CATEGORIES,
    KINDS,
    MOVES,
    NOTHING,
    REASONS,
    STATES,
    STATUSES,
    Receipt,
    ReceiptLine,
)
from custody.documents.receipt_layout import (
    COLUMNS,
    LEADING,
    PAD,
    QR_SIDE,
    SIZE,
    STEP_COLUMNS,
    WIDTH,
    Block,
    Row,
    Sheet,
    compose,
    font_for,
    local_time,
    quantity_text,
    time_text,
    utc_offset,
    wrap,
)


def _cells(index: int, line: ReceiptLine) -> tuple[str, ...]:
    decision = STATES.get(line.state, line.state)
    return (
        str(index),
        line.code,
        line.name,
        CATEGORIES.get(line.category, line.category).replace(" ", "\n", 1),
        f"{quantity_text(line.quantity)} {line.unit}",
        line.features or NOTHING,
        line.seal_no or NOTHING,
        line.location or NOTHING,
        MOVES[line.moves].replace(" ", "\n", 1),
        f"{decision}\n{REASONS.get(line.reason, line.reason)}" if line.reason else decision,
    )


def _row(index: int, line: ReceiptLine) -> Row:
    cells = []
    for text, column in zip(_cells(index, line), COLUMNS, strict=True):
        if column.font == CODE_FONT:
            text = clean_text(text)  # the font follows from the printed text, here and when it is drawn
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


def _first_head(receipt: Receipt, zone: ZoneInfo) -> Block:
    """Title, what the handover was, and the QR code to the verification page (drawn beside this block)."""
    block = Block()
    block.text(0, 0, ["移交清单  Transfer receipt"], TEXT_FONT, 18)
    decided = local_time((receipt.decided or receipt.requested).at, zone)
    fields = [
        ("移交单号 Handover no.", receipt.number, CODE_FONT),
        ("案件 Case", f"{receipt.case_no}  {receipt.case_title}", TEXT_FONT),
        ("移交方 → 接收方 From → to", f"{receipt.from_agency} → {receipt.to_agency}", TEXT_FONT),
        ("移交类型 Kind", KINDS.get(receipt.kind, receipt.kind), TEXT_FONT),
        ("状态 Status", STATUSES.get(receipt.status, receipt.status), TEXT_FONT),
        ("日期 Date", f"{decided:%Y-%m-%d}", TEXT_FONT),
        ("时区 Time zone", f"{receipt.timezone} ({utc_offset(decided)})", TEXT_FONT),
        *([("拒收理由 Reason", receipt.reason, TEXT_FONT)] if receipt.reason else []),
        ("核验网址 Verify at", receipt.verify_url, TEXT_FONT),
    ]
    top = 30.0
    for label, value, font in fields:
        top = block.labelled(0, top, label, value, WIDTH - QR_SIDE - 12 * mm, font) + 2
    block.text(WIDTH - QR_SIDE, QR_SIDE + 2, ["扫码核验 Scan to verify"], TEXT_FONT, 7)
    block.height = max(top, QR_SIDE + 14) + 4
    return block


def _running_head(receipt: Receipt) -> Block:
    block = Block()
    title = f"移交清单 Transfer receipt  {receipt.number}  案件 Case {receipt.case_no}"
    block.text(0, 0, [cut_to_width(clean_text(title), TEXT_FONT, 9, WIDTH)], TEXT_FONT, 9)
    block.rules.append((0, 15, WIDTH, 15))
    block.height = 20
    return block


def _closing(receipt: Receipt, zone: ZoneInfo) -> Block:
    """Totals, who did each step and when, the decision's ledger entry, and both sides' signature lines."""
    block = Block()
    lines = receipt.lines
    accepted = sum(line.state == "accepted" for line in lines)
    rejected = sum(line.state == "rejected" for line in lines)
    moving = sum(line.moves and line.state == "accepted" for line in lines)
    totals = (
        f"合计 Totals:  物品 Items {len(lines)}   接收 Accepted {accepted}   拒收 Rejected {rejected}   "
        f"随案移送 Moving with the case {moving}"
    )
    top = block.text(0, 8, [totals], TEXT_FONT, 9) + 6
    steps = [
        ("申请 Requested", receipt.requested),
        ("批准 Approved", receipt.approved),
        ("清点 Checked", receipt.checked),
        ("决定 Decided", receipt.decided),
    ]
    block.fills.append((0, top - 2, STEP_COLUMNS[-1][0] + STEP_COLUMNS[-1][1], 12))
    rows = [("步骤 Step", "经办人 Name", "单位 Agency", "时间 Time")]
    for step, who in steps:
        signed = who and (step, f"{who.name} ({who.username})", who.agency, time_text(who.at, zone))
        rows.append(signed or (step, NOTHING, NOTHING, NOTHING))
    for cells in rows:
        for (x, width), text in zip(STEP_COLUMNS, cells, strict=True):
            block.text(x + PAD, top, [cut_to_width(clean_text(text), TEXT_FONT, 8, width - 2 * PAD)], TEXT_FONT, 8)
        top += 12
    top = block.labelled(0, top + 6, "决定的账本记录 Decision entry", f"#{receipt.decision_seq}", WIDTH)
    top = block.labelled(0, top, "记录哈希 Entry hash (SHA-256)", receipt.decision_hash or NOTHING, WIDTH, CODE_FONT)
    top += 14
    half = (WIDTH - 20) / 2
    for x, side, agency in (
        (0, "移交方 Handed over by", receipt.from_agency),
        (half + 20, "接收方 Received by", receipt.to_agency),
    ):
        block.text(x, top, [side], TEXT_FONT, 9)
        block.text(x, top + 13, [cut_to_width(clean_text(agency), TEXT_FONT, 8, half)], TEXT_FONT, 8)
        block.text(x, top + 56, ["签名（盖章）Signature (seal)"], TEXT_FONT, 8)
        block.text(x + half * 0.62, top + 56, ["日期 Date"], TEXT_FONT, 8)
        block.rules += [
            (x + 100, top + 65, x + half * 0.58, top + 65),
            (x + half * 0.62 + 40, top + 65, x + half, top + 65),
        ]
    block.height = top + 72
    return block


def render(receipt: Receipt) -> bytes:
    """The receipt as a landscape A4 PDF; the same ``Receipt`` always gives the same bytes.

    Raises ValueError when the verification URL is too long for a QR code, ZoneInfoNotFoundError
    for an unknown time zone.
    """
    zone = ZoneInfo(receipt.timezone)
    return compose(
        Sheet(
            number=receipt.number,
            ledger_seq=receipt.decision_seq,
            title=f"移交清单 Transfer receipt {receipt.number}",
            subject=f"{receipt.case_no} {receipt.from_agency} → {receipt.to_agency}",
            verify_url=receipt.verify_url,
            first=_first_head(receipt, zone),
            later=_running_head(receipt),
            head=_table_head(),
            closing=_closing(receipt, zone),
            rows=[_row(i, line) for i, line in enumerate(receipt.lines, start=1)],
            columns=COLUMNS,
        )
    )
