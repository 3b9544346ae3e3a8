"""The receipt's page geometry and the text blocks it is built from (custody.documents.receipt draws them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm

from custody.documents.drawing import CODE_FONT, TEXT_FONT, clean_text, cut_to_width, split_lines, text_width

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
