"""Drawing primitives the PDF documents share: the fonts, measuring and breaking text, the QR symbol.

Text is set in reportlab's built-in CID font STSong-Light (Chinese and Latin; nothing to embed or
ship), codes in Courier Bold, measured with ``pdfmetrics.stringWidth`` one character at a time
(cached), so that breaking a line never asks reportlab to measure the same string twice.
"""

from __future__ import annotations

import re
from functools import cache

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from custody.documents.qr import QUIET_ZONE, Symbol

TEXT_FONT = "STSong-Light"
CODE_FONT = "Courier-Bold"
ELLIPSIS = "…"
DARK_RUN = re.compile("1+")
# Control characters and characters beyond the BMP (the CID font's UCS-2 encoding has no room for them).
UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\U00010000-\U0010ffff]")


@cache
def register_fonts() -> None:
    pdfmetrics.registerFont(UnicodeCIDFont(TEXT_FONT))


@cache
def char_width(font: str, ch: str) -> float:
    """A character's width at 1 pt."""
    register_fonts()
    return pdfmetrics.stringWidth(ch, font, 1.0)


def text_width(text: str, font: str, size: float) -> float:
    return size * sum(char_width(font, ch) for ch in text)


def clean_text(text: str | None) -> str:
    return " ".join(UNPRINTABLE.sub(" ", text or "").split())


def cut_to_width(text: str, font: str, size: float, width: float) -> str:
    """The longest start of ``text`` that fits with an ellipsis after it."""
    room = width / size - char_width(font, ELLIPSIS)
    used = 0.0
    for i, ch in enumerate(text):
        used += char_width(font, ch)
        if used > room:
            return text[:i].rstrip() + ELLIPSIS
    return text


def split_lines(text: str, font: str, size: float, width: float, max_lines: int = 0) -> list[str]:
    """Greedy line breaks: after a space when the line has one, else between any two characters (CJK).

    With ``max_lines``, the last line holds all the rest, however wide.
    """
    lines: list[str] = []
    room = width / size
    while text:
        if len(lines) == max_lines - 1:
            lines.append(text)
            break
        used, end, space = 0.0, len(text), -1
        for i, ch in enumerate(text):
            used += char_width(font, ch)
            if used > room:
                end = i
                break
            if ch == " ":
                space = i
        if end < len(text) and space > 0:
            end = space
        end = max(end, 1)
        lines.append(text[:end].rstrip())
        text = text[end:].lstrip()
    return lines


def draw_qr(canvas: Canvas, symbol: Symbol, x: float, y: float, side: float) -> None:
    """The symbol in a ``side`` × ``side`` square at (x, y), quiet zone included: one path, filled once."""
    module = side / (symbol.size + 2 * QUIET_ZONE)
    runs = [
        f"{run.start()} {r} {run.end() - run.start()} 1 re"
        for r, row in enumerate(symbol.rows)
        for run in DARK_RUN.finditer(row)
    ]
    canvas.saveState()
    # Module units, row 0 at the top: the rectangles' coordinates are small integers.
    canvas.transform(module, 0, 0, -module, x + QUIET_ZONE * module, y + side - QUIET_ZONE * module)
    canvas.addLiteral("\n".join(runs) + "\nf")
    canvas.restoreState()
