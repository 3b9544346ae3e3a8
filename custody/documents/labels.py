"""Label sheets (PDF) for items and locations: QR code, code in text, and what a keeper needs to read.

No Flask and no database here: the caller gathers the labels' data (custody.services.labels) and
gets bytes back. The same labels in the same layout give the same bytes (reportlab's invariant
mode), so a sheet can be compared or cached by its hash.

Layouts are A4 sheets of die-cut labels (3 × 8 of 63.5 × 33.9 mm and 2 × 5 of 99.1 × 57 mm, with
the margins of common stock, so every label sits inside a laser printer's printable area) and
thermal rolls (50 × 30 and 70 × 40 mm: one label a page, the page the label's size).

The QR symbol is drawn as vector rectangles (one per horizontal run of dark modules, all in one
path filled once, so there are no hairline seams between modules), with its 4-module quiet zone,
at error correction M. It is as large as the label allows: its modules are at least 0.6 mm even
on the 50 × 30 mm label, seven pixels at 300 dpi. Text is set in reportlab's built-in CID font
STSong-Light (Chinese and Latin), the code in Courier Bold; text that is too wide is set smaller,
then wrapped or cut with an ellipsis, measured with ``pdfmetrics.stringWidth``.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from custody.documents.drawing import (
    CODE_FONT,
    ELLIPSIS,
    TEXT_FONT,
    clean_text,
    cut_to_width,
    draw_qr,
    register_fonts,
    split_lines,
    text_width,
)
from custody.documents.qr import encode

PATH_SEPARATOR = " › "


@dataclass(frozen=True)
class Layout:
    """Where labels sit on a page (all lengths in points, corners measured from the page's top left)."""

    name: str
    page: tuple[float, float]
    label: tuple[float, float]
    columns: int = 1
    rows: int = 1
    first: tuple[float, float] = (0.0, 0.0)  # the first label's top left corner
    pitch: tuple[float, float] = (0.0, 0.0)  # from one label's corner to the next one's, across and down

    @property
    def per_page(self) -> int:
        return self.columns * self.rows


def _thermal(name: str, width: float, height: float) -> Layout:
    return Layout(name, (width * mm, height * mm), (width * mm, height * mm))


LAYOUTS: dict[str, Layout] = {
    layout.name: layout
    for layout in (
        Layout("a4-3x8", A4, (63.5 * mm, 33.9 * mm), 3, 8, (7.25 * mm, 12.9 * mm), (66.0 * mm, 33.9 * mm)),
        Layout("a4-2x5", A4, (99.1 * mm, 57.0 * mm), 2, 5, (4.65 * mm, 6.0 * mm), (101.6 * mm, 57.0 * mm)),
        _thermal("thermal-50x30", 50, 30),
        _thermal("thermal-70x40", 70, 40),
    )
}


@dataclass(frozen=True)
class ItemLabel:
    code: str
    url: str  # what the QR code encodes: <base>/s/<code>
    name: str
    case_no: str
    seal_no: str | None = None


@dataclass(frozen=True)
class LocationLabel:
    code: str
    url: str
    name: str
    kind: str  # the kind's code (warehouse, zone, shelf, bin); printed as Words.kinds names it
    path: tuple[str, ...] = ()  # names from the outermost location down to this one


@dataclass(frozen=True)
class Words:
    """The few words printed on labels, in the reader's language (the caller translates them)."""

    case: str = "Case"
    seal: str = "Seal"
    no_seal: str = "—"
    kinds: Mapping[str, str] = field(default_factory=dict)


Label = ItemLabel | LocationLabel


@dataclass(frozen=True)
class _Text:
    lines: tuple[str, ...]
    font: str
    size: float


def _fit(
    text: str, font: str, size: float, width: float, max_lines: int = 1, smallest: float = 5.0, wrap_below: float = 0.8
) -> _Text:
    """``text`` at ``size``, or smaller (down to ``smallest``), in at most ``max_lines`` lines; cut when it must.

    Before taking another line, text shrinks down to ``wrap_below`` × ``size``; on its last line, to ``smallest``.
    """
    natural = text_width(text, font, 1.0)
    if natural * size <= width or not text:
        return _Text((text,), font, size)
    for lines in range(1, max_lines + 1):
        floor = smallest if lines == max_lines else max(smallest, size * wrap_below)
        # The size at which it would fit in ``lines`` lines if breaks cost nothing; then a little smaller.
        candidate = min(size, width * lines / natural)
        while candidate >= floor:
            split = split_lines(text, font, candidate, width)
            if len(split) <= lines:
                return _Text(tuple(split), font, candidate)
            candidate *= 0.93
    split = split_lines(text, font, smallest, width, max_lines)
    split[-1] = cut_to_width(split[-1], font, smallest, width)
    return _Text(tuple(split), font, smallest)


def _fit_path(names: Sequence[str], font: str, size: float, width: float) -> _Text:
    """The location's path in two lines at most; when too long, the outer names give way to an ellipsis."""
    names = [n for n in names if n]
    smallest = min(size, 5.0)
    for skip in range(len(names)):
        text = PATH_SEPARATOR.join([ELLIPSIS] * bool(skip) + names[skip:])
        fitted = _fit(text, font, size, width, max_lines=2, smallest=smallest)
        if skip == len(names) - 1 or not any(line.endswith(ELLIPSIS) for line in fitted.lines):
            return fitted
    return _Text((), font, size)


def _draw_lines(canvas: Canvas, text: _Text, x: float, top: float, leading: float = 1.18) -> float:
    """Set ``text`` from ``top`` down; returns the baseline below the last line (where the next text may start)."""
    canvas.setFont(text.font, text.size)
    y = top
    for line in text.lines:
        y -= text.size
        canvas.drawString(x, y, line)
        y -= text.size * (leading - 1)
    return y


def _height(texts: Sequence[_Text], leading: float = 1.18) -> float:
    return sum(len(t.lines) * t.size * leading for t in texts)


def _draw_label(canvas: Canvas, label: Label, width: float, height: float, words: Words) -> None:
    """QR code on the left; on the right the code at the top, the name below it, the references at the bottom."""
    edge = 1.0 * mm
    pad = 1.5 * mm if height < 35 * mm else 2.5 * mm
    side = min(height - 2 * edge, width * 0.48, 36 * mm)
    draw_qr(canvas, encode(label.url), edge, (height - side) / 2, side)
    left = edge + side + 0.5 * mm
    column = width - left - pad
    code = _fit(clean_text(label.code), CODE_FONT, min(height * 0.17, 20), column, max_lines=2, wrap_below=0.4)
    y = _draw_lines(canvas, code, left, height - pad, leading=1.1) - height * 0.03
    if isinstance(label, ItemLabel):
        meta = min(height * 0.085, 11)
        seal = f"{words.seal} {clean_text(label.seal_no) or words.no_seal}"
        bottom = [
            _fit(f"{words.case} {clean_text(label.case_no)}", TEXT_FONT, meta, column),
            _fit(seal, TEXT_FONT, meta, column),
        ]
        middle = [(clean_text(label.name), min(height * 0.1, 14))]
    else:
        path = [clean_text(n) for n in label.path]
        bottom = [_fit_path(path, TEXT_FONT, min(height * 0.075, 10), column)]
        kind = clean_text(words.kinds.get(label.kind, label.kind))
        middle = [(clean_text(label.name), min(height * 0.12, 16)), (kind, min(height * 0.085, 11))]
    room = y - pad - _height(bottom)
    for i, (line_text, size) in enumerate(middle):
        later = sum(s * 1.18 for _t, s in middle[i + 1 :])  # one line each for what follows
        lines = max(1, min(2, int((room - later) // (size * 1.18))))
        fitted = _fit(line_text, TEXT_FONT, size, column, max_lines=lines)
        y = _draw_lines(canvas, fitted, left, y)
        room -= _height([fitted])
    y = pad + _height(bottom)
    for block in bottom:
        y = _draw_lines(canvas, block, left, y)


def render(labels: Sequence[Label], layout: str, words: Words | None = None) -> bytes:
    """A PDF with one label per item or location, in order, in the named layout (see ``LAYOUTS``).

    Raises KeyError for an unknown layout, ValueError for no labels or a URL too long for a QR code.
    """
    sheet = LAYOUTS[layout]
    if not labels:
        raise ValueError("No labels to print")
    words = words or Words()
    register_fonts()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=sheet.page, invariant=True, pageCompression=True, initialFontName=CODE_FONT)
    canvas.setTitle("Labels")
    canvas.setCreator("Custody ledger")
    page_height = sheet.page[1]
    for i, label in enumerate(labels):
        slot = i % sheet.per_page
        if i and not slot:
            canvas.showPage()
        row, column = divmod(slot, sheet.columns)
        x = sheet.first[0] + column * sheet.pitch[0]
        y = page_height - sheet.first[1] - row * sheet.pitch[1] - sheet.label[1]
        canvas.saveState()
        canvas.translate(x, y)
        _draw_label(canvas, label, sheet.label[0], sheet.label[1], words)
        canvas.restoreState()
    canvas.showPage()
    canvas.save()
    return out.getvalue()
