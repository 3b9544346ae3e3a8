"""Lengths of time on a chart: the unit is chosen from the data, and no figure rounds to a row of "0.0"."""

from __future__ import annotations

import re

import pytest

from custody.web import charts


@pytest.mark.parametrize(
    ("hours", "unit"),
    [
        ([0.01, 0.04, None], charts.MINUTES),  # steps of seconds to minutes: every hour figure would read 0.0
        ([0.2, 0.999], charts.MINUTES),
        ([0.0], charts.MINUTES),
        ([0.5, 1.0], charts.HOURS),
        ([3.0, 17.2], charts.HOURS),
        ([10.0, 72.0], charts.HOURS),
        ([10.0, 72.5], charts.DAYS),  # the longest decides: one axis, one unit
        ([400.0], charts.DAYS),
        ([], charts.HOURS),  # nothing to show
        ([None, None], charts.HOURS),
    ],
)
def test_the_unit_follows_the_longest_time(hours, unit):
    assert charts.time_unit(hours) is unit


def test_a_unit_converts_hours():
    assert charts.MINUTES.of(0.05) == pytest.approx(3.0)
    assert charts.HOURS.of(2.5) == 2.5
    assert charts.DAYS.of(96) == pytest.approx(4.0)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0, "0.0"),
        (3.0, "3.0"),
        (17.25, "17.2"),
        (0.5, "0.5"),
        (0.1, "0.1"),
        (0.04, "0.04"),  # not "0.0"
        (0.0123, "0.012"),
        (0.01, "0.01"),
        (1e-9, "0"),
        (1234.5, "1234.5"),
    ],
)
def test_a_figure_keeps_small_values_visible(value, shown):
    assert charts.figure(value) == shown


def test_minute_steps_are_labelled_in_minutes_on_the_axis_and_the_bars():
    unit = charts.time_unit([0.02, 0.04])
    values = [[unit.of(0.02), unit.of(0.04)]]  # 1.2 and 2.4 minutes
    svg = charts.bars(
        "c",
        "T",
        "D",
        [("a", "A")],
        [charts.Series("median", "M"), charts.Series("p90", "P")],
        values,
        "x",
        "Minutes",
        fmt=charts.figure,
    )
    assert _texts(svg, "tick") == ["0.0", "0.5", "1.0", "1.5", "2.0", "2.5"]
    assert _texts(svg, "bar-value") == ["1.2", "2.4"]


def _texts(svg: str, cls: str) -> list[str]:
    """The text of every label of class ``cls``, in drawing order."""
    return re.findall(rf'class="{cls}"[^>]*>([^<]*)<', svg)
