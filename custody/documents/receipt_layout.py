"""The page geometry, text blocks, pagination and table drawing the receipt and the disposition record share."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from itertools import accumulate
from zoneinfo import ZoneInfo

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from custody.documents.drawing import (
    CODE_FONT,
    TEXT_FONT,
    clean_text,
    cut_to_width,
    draw_qr,
    register_fonts,
    split_lines,
    text_width,
)
from custody.documents.qr import encode

PAGE = landscape(A4)
MARGIN = 12 * mm
WIDTH = PAGE[0] - 2 * MARGIN
SIZE = 7.5  # table text, pt
LEADING = SIZE * 1.25
PAD = 2.5  # inside a cell, around its text
FOOTER = 10 * mm  # the band at the bottom of every page
QR_SIDE = 30 * mm
GREY = 0.93
STEP_COLUMNS = ((0.0, 110.0), (110.0, 230.0), (340.0, 150.0), (490.0, 200.0))  # x, width


@dataclass(frozen=True)
class Column:
    title: str  # "中文\nEnglish"
    width: float
    font: str = TEXT_FONT


COLUMNS = (
    Column("序号\nNo.", 24),
    Column("物品编号\nCode", 56, CODE_FONT),
    Column("名称\nName", 140),
    Column("类别\nCategory", 52),
    Column("数量\nQuantity", 46),
    Column("特征\nFeatures", 168),
    Column("封条号\nSeal no.", 64),
    Column("位置\nLocation", 56, CODE_FONT),
    Column("留存/随案\nStays/moves", 48),
    Column("结果\nDecision", WIDTH - 654),
)


@dataclass
class Block:
    """Text and rules placed from the block's top left corner downwards (y grows down), and its height."""

    height: float = 0.0
    runs: list[tuple[float, float, str, float, str]] = field(default_factory=list)  # x, baseline, font, size, text
    rules: list[tuple[float, float, float, float]] = field(default_factory=list)
    fills: list[tuple[float, float, float, float]] = field(default_factory=list)  # x, top, width, height

    def text(self, x: float, top: float, lines: Sequence[str], font: str = TEXT_FONT, size: float = SIZE) -> float:
        """Lines from ``top`` down; returns where the next text may start."""
        for line in lines:
            self.runs.append((x, top + size, font, size, line))
            top += size * 1.25
        return top

    def labelled(self, x: float, top: float, label: str, value: str, width: float, font: str = TEXT_FONT) -> float:
        """A label and its value wrapped beside it (at most 4 lines)."""
        self.text(x, top, [label], TEXT_FONT, SIZE)
        font = font_for(value, font)
        return max(top + LEADING, self.text(x + 118, top, wrap(value, font, SIZE + 1, width - 118, 4), font, SIZE + 1))


def wrap(text: str, font: str, size: float, width: float, max_lines: int = 0) -> list[str]:
    """``text`` (its own line breaks kept) in lines no wider than ``width``; past ``max_lines``, cut short."""
    lines: list[str] = []
    for part in text.split("\n"):
        part = clean_text(part)
        lines.extend(split_lines(part, font, size, width) if text_width(part, font, size) > width else [part])
    if max_lines and len(lines) > max_lines:
        rest = " ".join(lines[max_lines - 1 :])
        lines = [*lines[: max_lines - 1], cut_to_width(rest, font, size, width)]
    return lines


def font_for(text: str, font: str) -> str:
    """Courier has only Latin-1: anything else is set in the CID font."""
    return font if font != CODE_FONT or text.isascii() else TEXT_FONT


def local_time(at: datetime, zone: ZoneInfo) -> datetime:
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(zone)


def time_text(at: datetime, zone: ZoneInfo) -> str:
    local = local_time(at, zone)
    return f"{local:%Y-%m-%d %H:%M:%S} {utc_offset(local)}"


def utc_offset(local: datetime) -> str:
    minutes = int(local.utcoffset().total_seconds()) // 60  # type: ignore[union-attr]
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def quantity_text(text: str) -> str:
    """``1.500`` → ``1.5``, ``2.000`` → ``2``; what is not a number is printed as it is."""
    try:
        value = Decimal(text).normalize()
    except InvalidOperation:
        return text
    return format(value.quantize(Decimal(1)) if value == value.to_integral() else value, "f")


Row = tuple[str, ...]  # each cell's text wrapped to its column, lines joined by "\n" (compact for 10,000 rows)


@dataclass
class Page:
    rows: list[tuple[int, int, int]] = field(default_factory=list)  # row index, first line, end line
    closing: bool = False


def paginate(rows: Sequence[Row], first: float, later: float, table: float, closing: float) -> list[Page]:
    """Rows onto pages: a row moves to the next page whole unless it is taller than a page, then it continues there."""
    bottom = PAGE[1] - MARGIN - FOOTER
    pages = [Page()]
    y = MARGIN + first + table
    capacity = int((bottom - (MARGIN + later + table) - 2 * PAD) // LEADING)  # lines of one row on a later page
    for index, cells in enumerate(rows):
        height = max(cell.count("\n") for cell in cells) + 1
        start = 0
        while start < height:
            room = int((bottom - y - 2 * PAD) // LEADING)
            rest = height - start
            if rest > room and (rest <= capacity or room < 2) and pages[-1].rows:
                pages.append(Page())
                y = MARGIN + later + table
                continue
            end = start + min(rest, max(room, 1))
            pages[-1].rows.append((index, start, end))
            y += (end - start) * LEADING + 2 * PAD
            start = end
    if y + closing > bottom:
        pages.append(Page())
    pages[-1].closing = True
    return pages


class Pen:
    """One page's text as PDF operators: a text matrix and a hex string a line, the font set when it changes.

    reportlab's text object sets a CID font again before every string and formats each number with
    its pure-Python ``fp_str``; written directly, the text of ten thousand items takes half the time.
    The strings are the bytes reportlab would write (UCS-2 for the CID font, Latin-1 for Courier).
    """

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas
        self.ops = ["BT 0 g"]
        self.font: tuple[str, float] | None = None

    def put(self, x: float, y: float, text: str, font: str = TEXT_FONT, size: float = SIZE) -> None:
        if (font, size) != self.font:
            # The document's name for the font (/F1 …); registering it puts it in the pages' resources.
            self.ops.append(f"{self.canvas._doc.getInternalFontName(font)} {size:g} Tf")
            self.font = (font, size)
        data = text.encode("utf-16-be") if font == TEXT_FONT else text.encode("latin-1", "replace")
        self.ops.append(f"1 0 0 1 {x:.2f} {y:.2f} Tm <{data.hex()}> Tj")

    def block(self, block: Block, top: float) -> float:
        """Draws ``block`` with its top at ``top`` (pt from the page's top); returns its bottom."""
        height = PAGE[1]
        self.canvas.setFillGray(GREY)
        for x, y, w, h in block.fills:
            self.canvas.rect(MARGIN + x, height - top - y - h, w, h, stroke=0, fill=1)
        self.canvas.setFillGray(0)
        if block.rules:
            self.canvas.lines(
                [(MARGIN + a, height - top - b, MARGIN + c, height - top - d) for a, b, c, d in block.rules]
            )
        for x, y, font, size, text in block.runs:
            self.put(MARGIN + x, height - top - y, text, font, size)
        return top + block.height

    def finish(self) -> None:
        self.ops.append("ET")
        self.canvas.addLiteral("\n".join(self.ops))


def draw_rows(
    pen: Pen, rows: Sequence[Row], page: Page, head: float, top: float, columns: Sequence[Column] = COLUMNS
) -> float:
    """The page's share of the table from ``top`` down, and the grid from the column heads at ``head``.

    Returns the table's bottom. ``columns``: the disposition record draws its own table this way too.
    """
    height = PAGE[1]
    y = top
    rules = [
        (MARGIN, height - head, MARGIN + WIDTH, height - head),
        (MARGIN, height - top, MARGIN + WIDTH, height - top),
    ]
    for index, start, end in page.rows:
        x = MARGIN
        for i, (cell, column) in enumerate(zip(rows[index], columns, strict=True)):
            baseline = height - y - PAD - SIZE
            font, lines = font_for(cell, column.font), cell.split("\n")
            # A row continued from the page before says again which item it is (number and code).
            for text in lines[start:end] if i >= 2 else lines[: end - start]:
                pen.put(x + PAD, baseline, text, font)
                baseline -= LEADING
            x += column.width
        y += (end - start) * LEADING + 2 * PAD
        rules.append((MARGIN, height - y, MARGIN + WIDTH, height - y))
    for x in accumulate((column.width for column in columns), initial=MARGIN):
        rules.append((x, height - head, x, height - y))
    pen.canvas.setLineWidth(0.4)
    pen.canvas.lines(rules)
    return y


@dataclass(frozen=True)
class Sheet:
    """A bilingual ledger document laid out: its blocks, table rows and what its footer and metadata say."""

    number: str
    ledger_seq: int  # the entry the document attests, printed in every footer
    title: str
    subject: str
    verify_url: str
    first: Block  # the head of page 1 (the QR code sits at its top right)
    later: Block  # the head of every later page
    head: Block  # the table's column heads, repeated on each page with rows
    closing: Block  # totals, steps and signature lines after the table
    rows: Sequence[Row]
    columns: Sequence[Column]


def _footer(pen: Pen, sheet: Sheet, number: int, total: int) -> None:
    pen.put(MARGIN, MARGIN, sheet.number, CODE_FONT, 8)
    marker = f"第 {number} / {total} 页   Page {number} / {total}"
    pen.put((PAGE[0] - text_width(marker, TEXT_FONT, 8)) / 2, MARGIN, marker, TEXT_FONT, 8)
    ledger = f"账本记录 Ledger #{sheet.ledger_seq}"
    pen.put(PAGE[0] - MARGIN - text_width(ledger, TEXT_FONT, 8), MARGIN, ledger, TEXT_FONT, 8)


def compose(sheet: Sheet) -> bytes:
    """The sheet as a landscape A4 PDF in reportlab's invariant mode: the same sheet, the same bytes.

    Raises ValueError when the verification URL is too long for a QR code.
    """
    register_fonts()
    symbol = encode(sheet.verify_url)
    pages = paginate(sheet.rows, sheet.first.height, sheet.later.height, sheet.head.height, sheet.closing.height)
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=PAGE, invariant=True, pageCompression=True, initialFontName=CODE_FONT)
    canvas.setTitle(sheet.title)
    canvas.setSubject(sheet.subject)
    canvas.setCreator("Custody ledger")
    for number, page in enumerate(pages, start=1):
        pen = Pen(canvas)
        canvas.setLineWidth(0.4)
        if number == 1:
            top = pen.block(sheet.first, MARGIN)
            draw_qr(canvas, symbol, PAGE[0] - MARGIN - QR_SIDE, PAGE[1] - MARGIN - QR_SIDE, QR_SIDE)
        else:
            top = pen.block(sheet.later, MARGIN)
        if page.rows:
            top = draw_rows(pen, sheet.rows, page, top, pen.block(sheet.head, top), sheet.columns)
        if page.closing:
            pen.block(sheet.closing, top)
        _footer(pen, sheet, number, len(pages))
        pen.finish()
        canvas.showPage()
    canvas.save()
    return out.getvalue()
