"""The statistics page: four server-drawn SVG charts whose bars carry the service's numbers, a table under each,
Chinese by default, scoped to what the reader may see. The SVGs are parsed as XML: a chart that is not
well-formed would not be drawn by the browser either."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from typing import Any

import pytest

from custody import clock
from custody.services import handovers
from custody.web import charts
from tests.services.test_statistics import NOW, StatsWorld
from tests.worlds import HandoverWorld

EN = {"Accept-Language": "en"}
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def world(make: Any) -> StatsWorld:
    return StatsWorld(make)


def _page(client: Any, headers: dict[str, str] | None = None) -> str:
    response = client.get("/stats", headers=headers or {})
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _xml(markup: str) -> ET.Element:
    return ET.fromstring(markup)  # noqa: S314 - our own page's markup, in a test


def _svgs(html: str) -> dict[str, ET.Element]:
    """Every chart on the page by its id, parsed as XML."""
    found = {}
    for markup in re.findall(r"<svg\b.*?</svg>", html, flags=re.S):
        svg = _xml(markup)
        found[svg.attrib["id"].removesuffix("-svg")] = svg
    return found


def _marks(svg: ET.Element) -> dict[tuple[str, str], float]:
    """The bars and points: (category, series) → value."""
    return {
        (mark.attrib["data-category"], mark.attrib["data-series"]): float(mark.attrib["data-value"])
        for mark in svg.iter()
        if "data-value" in mark.attrib
    }


def _table(html: str, chart_id: str) -> list[list[str]]:
    body = re.search(rf'<table class="list chart-data" id="{chart_id}-table">.*?<tbody>(.*?)</tbody>', html, re.S)
    assert body, f"no table for {chart_id}"
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    ]


def test_the_auditor_sees_four_charts_with_the_right_bars(client, login, world):
    login(world.auditor)
    html = _page(client, EN)
    svgs = _svgs(html)
    assert list(svgs) == ["chart-holdings", "chart-ages", "chart-lead-times", "chart-overdue"]
    for chart_id, svg in svgs.items():
        assert svg.attrib["role"] == "img"
        assert svg.attrib["aria-labelledby"] == f"{chart_id}-title {chart_id}-desc"
        assert svg.find(f"{SVG}title").text and svg.find(f"{SVG}desc").text  # named and described
    assert svgs["chart-holdings"].find(f"{SVG}title").text == "Items held, by agency and status"

    # Stacked bars: one segment per agency and status that is not zero.
    assert _marks(svgs["chart-holdings"]) == {
        ("PSB", "in_storage"): 11,
        ("PSB", "checked_out"): 2,
        ("PSB", "registered"): 1,
        ("PRO", "in_storage"): 3,
        ("PSB2", "in_storage"): 1,
        ("PSB2", "registered"): 1,
    }
    # Segments of one bar touch: each starts where the one before it ended.
    psb = [m for m in svgs["chart-holdings"].iter(f"{SVG}rect") if m.attrib.get("data-category") == "PSB"]
    assert [m.attrib["data-series"] for m in psb] == ["in_storage", "checked_out", "registered"]
    ends = [float(m.attrib["x"]) + float(m.attrib["width"]) for m in psb]
    assert [float(m.attrib["x"]) for m in psb[1:]] == pytest.approx(ends[:-1], abs=0.11)  # drawn to 0.1 px
    assert _table(html, "chart-holdings") == [
        ["市公安局", "11", "2", "1", "14"],
        ["市检察院", "3", "0", "0", "3"],
        ["区公安分局", "1", "0", "1", "2"],
    ]

    ages = _marks(svgs["chart-ages"])
    assert ages == {
        ("week", "count"): 3,
        ("month", "count"): 5,
        ("quarter", "count"): 4,
        ("year", "count"): 2,
        ("older", "count"): 1,
    }
    heights = {
        m.attrib["data-category"]: float(m.attrib["height"])
        for m in svgs["chart-ages"].iter(f"{SVG}rect")
        if "data-category" in m.attrib
    }
    assert heights["month"] > heights["quarter"] > heights["week"] > heights["year"] > heights["older"] > 0
    assert _table(html, "chart-ages")[0] == ["Under 1 week", "3"]

    lead = _marks(svgs["chart-lead-times"])
    assert lead == pytest.approx(
        {
            ("requested_approved", "median"): 3.0,
            ("requested_approved", "p90"): 8.2,
            ("approved_checked", "median"): 4.0,
            ("approved_checked", "p90"): 6.4,
            ("checked_decided", "median"): 6.0,
            ("checked_decided", "p90"): 17.2,
        }
    )
    assert _table(html, "chart-lead-times") == [
        ["Request → approval", "4", "3.0", "8.2"],
        ["Approval → presence check", "4", "4.0", "6.4"],
        ["Presence check → decision", "3", "6.0", "17.2"],
    ]

    overdue = svgs["chart-overdue"]
    points = [float(p.attrib["data-value"]) for p in overdue.iter(f"{SVG}circle")]
    assert points == [0, 0, 0, 0, 0, 0, 0, 1, 2, 1, 1, 1]
    assert overdue.find(f"{SVG}polyline") is not None
    assert [c.attrib["data-category"] for c in overdue.iter(f"{SVG}circle")][-1] == "2026-12-07"  # Monday, local
    rows = _table(html, "chart-overdue")
    assert rows[-1] == ["2026-12-07 (so far)", "1"] and rows[-4] == ["2026-11-16", "2"]

    assert re.search(r'id="tile-held">19<', html) and re.search(r'id="tile-overdue">1<', html)
    assert "Every agency’s items" in html  # the auditor is told the figures are complete


def test_the_page_is_in_chinese_by_default(client, login, world):
    login(world.auditor)
    html = _page(client)
    assert '<html lang="zh-CN">' in html
    legend = [t.text for t in _svgs(html)["chart-holdings"].iter(f"{SVG}text") if t.attrib.get("class") == "legend"]
    assert legend == ["在库", "调用出库", "已登记"]
    assert "市检察院" in html and "In storage" not in html


def test_others_see_only_what_their_agency_may_see(client, login, world):
    login(world.other_handler)
    html = _page(client, EN)
    assert _marks(_svgs(html)["chart-holdings"]) == {("PSB2", "in_storage"): 1, ("PSB2", "registered"): 1}
    assert "市公安局" not in html
    assert [v for (_c, _s), v in _marks(_svgs(html)["chart-lead-times"]).items()] == []  # no handover of theirs
    assert "Only the cases, handovers and check-outs you may see are counted." in html
    assert 'id="nav-stats"' not in html  # handlers are not offered the link; the page is still theirs to open


def test_the_centre_keeper_counts_every_item(client, login, world):
    login(world.keeper)
    html = _page(client, EN)
    assert {c for c, _s in _marks(_svgs(html)["chart-holdings"])} == {"PSB", "PRO", "PSB2"}
    assert "Every agency’s items" in html


@pytest.mark.parametrize("role", ["auditor", "approver", "admin"])
def test_the_link_is_offered_to_auditors_approvers_and_admins(client, login, make, role):
    login(make.user(role, kind="supervision" if role == "auditor" else "police"))
    html = _page(client, EN)
    assert re.search(r'<a href="/stats" id="nav-stats" aria-current="page">Statistics</a>', html)


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/stats")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_empty_centre_draws_empty_charts_not_an_error(client, login, make):
    login(make.user("auditor", kind="supervision"))
    html = _page(client, EN)
    assert "No items are held." in html
    svgs = _svgs(html)
    assert list(svgs) == ["chart-ages", "chart-lead-times", "chart-overdue"]
    assert _marks(svgs["chart-ages"]) == {} and _marks(svgs["chart-lead-times"]) == {}
    assert [float(p.attrib["data-value"]) for p in svgs["chart-overdue"].iter(f"{SVG}circle")] == [0] * 12


def test_names_are_escaped_inside_the_svg(client, login, make):
    police = make.agency("police", code="EVIL", name='<script>x("1")</script> & Co')
    handler = make.user("handler", agency=police)
    make.items(handler, make.case(handler), 1)
    login(make.user("auditor", kind="supervision"))
    html = _page(client, EN)
    assert "<script>x" not in html
    holdings = _svgs(html)["chart-holdings"]  # still well-formed XML
    names = [t.text for t in holdings.iter(f"{SVG}text") if t.attrib.get("class") == "category"]
    assert names == ['<script>x("1")</script> & Co']


def test_long_names_are_shortened_in_the_chart_and_whole_in_its_tooltip():
    long_name = "某某省某某市某某区人民检察院第一检察部" * 2
    svg = _xml(charts.stacked_bars("c", "T", "D", [("X", long_name)], [charts.Series("s", "S")], [[3]], "Items"))
    label = next(t for t in svg.iter(f"{SVG}text") if t.attrib.get("class") == "category")
    assert label.text.endswith("…") and charts.text_width(label.text) <= 220
    assert label.find(f"{SVG}title").text == long_name


def test_axis_ticks_are_round_numbers():
    assert charts.nice_ticks(0) == [0, 1]
    assert charts.nice_ticks(2) == [0, 1, 2]
    assert charts.nice_ticks(14) == [0, 5, 10, 15]
    assert charts.nice_ticks(1234) == [0, 500, 1000, 1500]
    assert charts.nice_ticks(0.3, integer=False) == [0, 0.1, 0.2, 0.3]
    assert charts.nice_ticks(17.2, integer=False)[-1] == 20


def test_a_missing_value_is_written_not_drawn():
    svg = _xml(
        charts.bars(
            "c",
            "T",
            "D",
            [("a", "A")],
            [charts.Series("m", "M"), charts.Series("p", "P")],
            [[None, 2.5]],
            "x",
            "y",
            fmt=lambda v: f"{v:.1f}",
            empty="none",
        )
    )
    assert _marks(svg) == {("a", "p"): 2.5}
    assert "none" in [t.text for t in svg.iter(f"{SVG}text")]


def _headers(html: str, chart_id: str) -> list[str]:
    head = re.search(rf'<table class="list chart-data" id="{chart_id}-table">.*?<thead>(.*?)</thead>', html, re.S)
    assert head, f"no table for {chart_id}"
    return re.findall(r"<th[^>]*>([^<]*)</th>", head.group(1))


def _one_handover(make: Any, steps: tuple[timedelta, timedelta, timedelta]) -> HandoverWorld:
    """A handover accepted a month before ``NOW``, each of its three steps taking as long as ``steps`` says."""

    def at(moment):
        clock.set_clock(lambda: moment)

    moment = NOW - timedelta(days=30)
    at(moment - timedelta(hours=1))
    world = HandoverWorld(make)
    at(moment)
    number = world.requested()
    moment += steps[0]
    at(moment)
    handovers.approve_handover(world.approver, number)
    moment += steps[1]
    at(moment)
    handovers.check_presence(world.keeper, number, world.codes)
    at(moment + steps[2])
    handovers.accept_handover(world.prosecutor, number)
    at(NOW)
    return world


def _labels(svg: ET.Element) -> dict[str, list[str]]:
    """The chart's texts by their class (tick, bar-value, axis-title …), in drawing order."""
    found: dict[str, list[str]] = {}
    for text in svg.iter(f"{SVG}text"):
        found.setdefault(text.attrib.get("class", ""), []).append(text.text or "")
    return found


def test_steps_taken_within_minutes_are_shown_in_minutes_not_as_zero_hours(client, login, make):
    world = _one_handover(make, (timedelta(minutes=1), timedelta(minutes=2), timedelta(seconds=30)))
    login(world.auditor)
    html = _page(client, EN)
    assert _headers(html, "chart-lead-times") == ["Step", "Handovers", "Median (minutes)", "90th percentile (minutes)"]
    assert _table(html, "chart-lead-times") == [
        ["Request → approval", "1", "1.0", "1.0"],
        ["Approval → presence check", "1", "2.0", "2.0"],
        ["Presence check → decision", "1", "0.5", "0.5"],
    ]
    svg = _svgs(html)["chart-lead-times"]
    assert _marks(svg)[("approved_checked", "median")] == pytest.approx(2.0)
    labels = _labels(svg)
    assert labels["tick"] == ["0.0", "0.5", "1.0", "1.5", "2.0"]
    assert labels["bar-value"] == ["1.0", "1.0", "2.0", "2.0", "0.5", "0.5"]
    assert "Minutes" in labels["axis-title"]
    assert "Request → approval median 1.0 min" in html and "Minutes each step of a handover took" in html


def test_steps_taken_over_days_are_shown_in_days(client, login, make):
    world = _one_handover(make, (timedelta(days=4), timedelta(hours=12), timedelta(days=1)))
    login(world.auditor)
    html = _page(client, EN)
    assert _headers(html, "chart-lead-times")[2:] == ["Median (days)", "90th percentile (days)"]
    assert _table(html, "chart-lead-times") == [
        ["Request → approval", "1", "4.0", "4.0"],
        ["Approval → presence check", "1", "0.5", "0.5"],
        ["Presence check → decision", "1", "1.0", "1.0"],
    ]
    labels = _labels(_svgs(html)["chart-lead-times"])
    assert "Days" in labels["axis-title"] and labels["tick"][-1] == "4.0"


def test_steps_of_a_few_hours_stay_in_hours_in_chinese(client, login, world):
    login(world.auditor)
    html = _page(client)
    assert _headers(html, "chart-lead-times")[2:] == ["中位数（小时）", "90 分位数（小时）"]
