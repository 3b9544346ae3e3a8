"""Charts drawn on the server as SVG: no JavaScript library, nothing to load, nothing for a CSP to forbid.

Each chart is an ``<svg role="img">`` named by its ``<title>`` and summarised by its ``<desc>`` (what a screen
reader announces), with labelled axes, its value written beside every bar or point, and a ``<title>`` on each
mark for a pointer's tooltip. The page prints the same figures in a table under it (:class:`Chart.table`), so
nothing is said by colour alone. Colours come from CSS classes (``series-0`` …, static/css/app.css), never from
inline styles. Every mark carries ``data-category``, ``data-series`` and ``data-value``: tests read the bars
from the markup instead of trusting pixels.

Text is measured by estimate (a CJK character is about one em wide, a Latin one about 0.6 em): good enough to
size the label column and to decide whether a value fits inside its bar.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 720
FONT = 12  # px, the size of every label in the charts
Format = Callable[[float], str]


@dataclass(frozen=True)
class Series:
    key: str
    label: str


@dataclass(frozen=True)
class Table:
    columns: Sequence[str]
    rows: Sequence[Sequence[str]]


@dataclass(frozen=True)
class Chart:
    """One figure of a page: its picture and the same numbers as a table."""

    id: str
    title: str
    description: str
    svg: Markup
    table: Table


def count(value: float) -> str:
    return f"{int(value):,}"


def figure(value: float) -> str:
    """A measured amount to one decimal, or to two significant digits where one decimal would say "0.0"."""
    if value == 0 or abs(value) >= 0.095:
        return f"{value:.1f}"
    places = min(6, 1 - math.floor(math.log10(abs(value))))
    return f"{value:.{places}f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class TimeUnit:
    """A unit for lengths of time: ``key`` names it, ``hours`` is one of it in hours."""

    key: str
    hours: float

    def of(self, hours: float) -> float:
        """``hours`` in this unit."""
        return hours / self.hours


MINUTES = TimeUnit("minutes", 1 / 60)
HOURS = TimeUnit("hours", 1)
DAYS = TimeUnit("days", 24)


def time_unit(hours: Iterable[float | None]) -> TimeUnit:
    """The unit one axis and its table show these lengths of time in, chosen by the longest of them: minutes
    under an hour (steps taken within minutes would all read "0.0" hours), days over 72 hours, hours otherwise
    and when there is nothing to show."""
    longest = max((h for h in hours if h is not None), default=None)
    if longest is None:
        return HOURS
    if longest < 1:
        return MINUTES
    if longest > 72:
        return DAYS
    return HOURS


def text_width(text: str, size: float = FONT) -> float:
    """Roughly how wide ``text`` is drawn: wide (CJK, full-width) characters one em, others 0.6 em."""
    return sum(size if ord(ch) >= 0x2E80 else size * 0.6 for ch in text)


def clip(text: str, width: float, size: float = FONT) -> str:
    """``text`` shortened with an ellipsis to fit ``width``."""
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def nice_ticks(largest: float, target: int = 5, *, integer: bool = True) -> list[float]:
    """Axis ticks from 0 past ``largest`` in steps of 1, 2 or 5 × 10ⁿ: round numbers a reader can add up.

    ``integer`` keeps steps whole, for counts (half an item is not a tick anyone wants to read).
    """
    if largest <= 0:
        return [0, 1]
    raw = largest / target
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    if integer:
        step = max(1, round(step))
    top = math.ceil(largest / step) * step
    return [round(i * step, 6) for i in range(round(top / step) + 1)]


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _text(x: float, y: float, content: str, cls: str, anchor: str = "start", extra: str = "") -> str:
    return f'<text x="{_num(x)}" y="{_num(y)}" class="{cls}" text-anchor="{anchor}"{extra}>{escape(content)}</text>'


def _open(chart_id: str, title: str, description: str, height: float) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" id="{escape(chart_id)}-svg" '
        f'viewBox="0 0 {WIDTH} {_num(height)}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>',
        f'<rect class="chart-bg" x="0" y="0" width="{WIDTH}" height="{_num(height)}"/>',
    ]


def _legend(series: Sequence[Series], y: float, x: float) -> list[str]:
    parts = []
    for index, s in enumerate(series):
        parts.append(f'<rect class="swatch series-{index}" x="{_num(x)}" y="{_num(y - 10)}" width="12" height="12"/>')
        parts.append(_text(x + 17, y, s.label, "legend"))
        x += 17 + text_width(s.label) + 18
    return parts


def _mark(cls: str, x: float, y: float, w: float, h: float, category: str, series: str, value: float, tip: str) -> str:
    return (
        f'<rect class="{cls}" x="{_num(x)}" y="{_num(y)}" width="{_num(w)}" height="{_num(h)}" '
        f'data-category="{escape(category)}" data-series="{escape(series)}" data-value="{_num(value)}">'
        f"<title>{escape(tip)}</title></rect>"
    )


def _value_axis_y(ticks: list[float], top: float, bottom: float, left: float, right: float, fmt: Format) -> list[str]:
    """Horizontal grid lines with their values on the left, for charts whose bars stand up."""
    parts = []
    for tick in ticks:
        y = bottom - (bottom - top) * tick / ticks[-1]
        parts.append(f'<line class="grid" x1="{_num(left)}" y1="{_num(y)}" x2="{_num(right)}" y2="{_num(y)}"/>')
        parts.append(_text(left - 6, y + 4, fmt(tick), "tick", "end"))
    return parts


def _axis_titles(x_title: str, y_title: str, left: float, right: float, bottom: float, height: float) -> list[str]:
    mid_y = bottom / 2 + 10
    return [
        _text((left + right) / 2, height - 6, x_title, "axis-title", "middle"),
        _text(14, mid_y, y_title, "axis-title", "middle", f' transform="rotate(-90 14 {_num(mid_y)})"'),
    ]


def stacked_bars(
    chart_id: str,
    title: str,
    description: str,
    categories: Sequence[tuple[str, str]],
    series: Sequence[Series],
    values: Sequence[Sequence[int]],
    axis_title: str,
) -> Markup:
    """Horizontal bars, one per category (``(key, label)``), split into ``series``; the total at the bar's end."""
    label_w = min(max([text_width(label) for _key, label in categories] + [40]) + 12, 220)
    left, right, row, bar = label_w + 8, WIDTH - 60, 30, 20
    top = 40
    bottom = top + row * max(len(categories), 1)
    height = bottom + 48
    totals = [sum(v) for v in values]
    ticks = nice_ticks(max(totals, default=0))
    scale = (right - left) / ticks[-1]
    parts = _open(chart_id, title, description, height)
    parts += _legend(series, 20, left)
    for tick in ticks:
        x = left + tick * scale
        parts.append(f'<line class="grid" x1="{_num(x)}" y1="{top - 4}" x2="{_num(x)}" y2="{_num(bottom)}"/>')
        parts.append(_text(x, bottom + 16, count(tick), "tick", "middle"))
    for index, ((key, label), row_values) in enumerate(zip(categories, values, strict=True)):
        y = top + index * row + (row - bar) / 2
        shown = clip(label, label_w - 12)
        parts.append(
            f'<text x="{_num(left - 8)}" y="{_num(y + bar / 2 + 4)}" class="category" text-anchor="end">'
            f"{escape(shown)}<title>{escape(label)}</title></text>"
            if shown != label
            else _text(left - 8, y + bar / 2 + 4, label, "category", "end")
        )
        x = left
        for s_index, (s, value) in enumerate(zip(series, row_values, strict=True)):
            if value <= 0:
                continue
            w = value * scale
            parts.append(
                _mark(f"bar series-{s_index}", x, y, w, bar, key, s.key, value, f"{label} · {s.label}: {count(value)}")
            )
            if w >= text_width(count(value)) + 8:
                parts.append(_text(x + w / 2, y + bar / 2 + 4, count(value), f"on-bar on-series-{s_index}", "middle"))
            x += w
        parts.append(_text(x + 6, y + bar / 2 + 4, count(sum(row_values)), "total"))
    parts.append(f'<line class="axis" x1="{_num(left)}" y1="{top - 4}" x2="{_num(left)}" y2="{_num(bottom)}"/>')
    parts.append(_text((left + right) / 2, height - 6, axis_title, "axis-title", "middle"))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every piece of text above went through escape()


def bars(
    chart_id: str,
    title: str,
    description: str,
    categories: Sequence[tuple[str, str]],
    series: Sequence[Series],
    values: Sequence[Sequence[float | None]],
    x_title: str,
    y_title: str,
    fmt: Format = count,
    empty: str = "—",
) -> Markup:
    """Vertical bars, ``series`` side by side within each category; ``None`` is drawn as ``empty``, no bar."""
    left, right, top, bottom = 64, WIDTH - 16, 44, 260
    height = bottom + 58
    ticks = nice_ticks(max((v for row in values for v in row if v is not None), default=0), integer=fmt is count)
    group = (right - left) / max(len(categories), 1)
    bar = min(56, group * 0.8 / max(len(series), 1))
    parts = _open(chart_id, title, description, height)
    parts += _legend(series, 20, left)
    parts += _value_axis_y(ticks, top, bottom, left, right, fmt)
    for index, ((key, label), row_values) in enumerate(zip(categories, values, strict=True)):
        first = left + group * index + (group - bar * len(series)) / 2
        for s_index, (s, value) in enumerate(zip(series, row_values, strict=True)):
            x = first + s_index * bar
            if value is None:
                parts.append(_text(x + bar / 2, bottom - 6, empty, "bar-value", "middle"))
                continue
            h = (bottom - top) * value / ticks[-1]
            tip = f"{label} · {s.label}: {fmt(value)}"
            parts.append(_mark(f"bar series-{s_index}", x + 2, bottom - h, bar - 4, h, key, s.key, value, tip))
            parts.append(_text(x + bar / 2, bottom - h - 5, fmt(value), "bar-value", "middle"))
        parts.append(_text(left + group * (index + 0.5), bottom + 18, clip(label, group - 4), "category", "middle"))
    parts.append(f'<line class="axis" x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}"/>')
    parts += _axis_titles(x_title, y_title, left, right, bottom, height)
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - escaped piece by piece


def histogram(
    chart_id: str,
    title: str,
    description: str,
    bins: Sequence[tuple[str, str]],
    counts: Sequence[int],
    x_title: str,
    y_title: str,
) -> Markup:
    """Counts per bin (``(key, label)``), the bins side by side with no gap between them, as a histogram is read."""
    left, right, top, bottom = 64, WIDTH - 16, 28, 260
    height = bottom + 58
    ticks = nice_ticks(max(counts, default=0))
    width = (right - left) / max(len(bins), 1)
    parts = _open(chart_id, title, description, height)
    parts += _value_axis_y(ticks, top, bottom, left, right, count)
    for index, ((key, label), value) in enumerate(zip(bins, counts, strict=True)):
        x = left + index * width
        h = (bottom - top) * value / ticks[-1]
        if value > 0:
            tip = f"{label}: {count(value)}"
            parts.append(_mark("bar series-0 bin", x + 1, bottom - h, width - 2, h, key, "count", value, tip))
        parts.append(_text(x + width / 2, bottom - h - 5, count(value), "bar-value", "middle"))
        parts.append(_text(x + width / 2, bottom + 18, clip(label, width - 4), "category", "middle"))
    parts.append(f'<line class="axis" x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}"/>')
    parts += _axis_titles(x_title, y_title, left, right, bottom, height)
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - escaped piece by piece


def line(
    chart_id: str,
    title: str,
    description: str,
    points: Sequence[tuple[str, str]],
    values: Sequence[int],
    x_title: str,
    y_title: str,
) -> Markup:
    """A line through one value per point (``(key, label)``), each point marked and labelled with its value."""
    left, right, top, bottom = 64, WIDTH - 24, 28, 260
    height = bottom + 58
    ticks = nice_ticks(max(values, default=0))
    step = (right - left) / max(len(points) - 1, 1)
    parts = _open(chart_id, title, description, height)
    parts += _value_axis_y(ticks, top, bottom, left, right, count)
    xy = [(left + i * step, bottom - (bottom - top) * v / ticks[-1]) for i, v in enumerate(values)]
    if xy:
        parts.append(f'<polyline class="line series-0" points="{" ".join(f"{_num(x)},{_num(y)}" for x, y in xy)}"/>')
    for (key, label), value, (x, y) in zip(points, values, xy, strict=True):
        parts.append(
            f'<circle class="point series-0" cx="{_num(x)}" cy="{_num(y)}" r="4" data-category="{escape(key)}" '
            f'data-series="count" data-value="{value}"><title>{escape(label)}: {count(value)}</title></circle>'
        )
        parts.append(_text(x, y - 9, count(value), "bar-value", "middle"))
        parts.append(_text(x, bottom + 18, label, "category", "middle"))
    parts.append(f'<line class="axis" x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}"/>')
    parts += _axis_titles(x_title, y_title, left, right, bottom, height)
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - escaped piece by piece
