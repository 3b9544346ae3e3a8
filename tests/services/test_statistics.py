"""Statistics (design §5.7): each figure against a small world built by hand with the real services, the clock
moved to the moment of each act, and its numbers worked out here in the comments."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from custody import clock
from custody.extensions import db
from custody.models import Item, User
from custody.services import alerts, checkouts, handovers, statistics, warehouse

# A Wednesday: 20:00 in Shanghai, so this week began on Monday 2026-12-07 00:00 +08:00, 2 days 20 hours ago.
NOW = datetime(2026, 12, 9, 12, 0, tzinfo=UTC)
HANDOVERS = ("H1", "H2", "H3", "H4")


def days_ago(days: float, hours: float = 0) -> datetime:
    return NOW - timedelta(days=days) + timedelta(hours=hours)


class StatsWorld:
    """A police agency P with six cases, a procuratorate Q, a second police agency P2, a centre keeper, an auditor.

    * C1 (P): seven items, six taken in 400, 200, 40, 10, 2 and 1 days ago, the seventh never taken in.
    * Handovers P → Q of one-item cases taken in 13 days ago (hours per step: request→approve, approve→check,
      check→decision): H1 1 / 3 / 4 accepted, H2 2 / 5 / 6 rejected, H3 10 / 7 / 20 accepted, H4 4 / 1 then
      cancelled (no decision), and H0, 120 days ago (outside the 90-day window), 100 h per step, accepted.
    * Check-outs of CK's five items (taken in 31 days ago): K1 out 30 d ago, due 25 d ago, back 10 d ago;
      K4 two items out 20 d ago, due 19 d ago, one back 15 d ago, the other 3 d ago; K2 out 8 d ago, due 6 d ago,
      still out; K3 out a day ago, due in 2 days.
    * P2: one item taken in 5 days ago and one never taken in.
    """

    def __init__(self, make: Any) -> None:
        self.make = make
        self.at(days_ago(401))
        self.police = make.agency("police", code="PSB", name="市公安局")
        self.handler = make.user("handler", agency=self.police)
        self.approver = make.user("approver", agency=self.police)
        self.procuratorate = make.agency("procuratorate", code="PRO", name="市检察院")
        self.prosecutor = make.user("handler", agency=self.procuratorate)
        self.other_police = make.agency("police", code="PSB2", name="区公安分局")
        self.other_handler = make.user("handler", agency=self.other_police)
        self.keeper = make.keeper()
        self.auditor = make.user("auditor", kind="supervision")
        self.shelf = make.location(self.keeper, name="Shelf A")
        self.handovers: dict[str, str] = {}
        self.checkouts: dict[str, str] = {}

        # In the order things happened, so that the ledger reads forwards in time.
        self.at(days_ago(400, -1))
        c1 = [i.code for i in make.items(self.handler, make.case(self.handler, case_no="C1"), 7)]
        self.intake(c1[0], days_ago(400))
        self.intake(c1[1], days_ago(200))
        self.handover("H0", days_ago(120), (100, 100, 100), "accept")
        self.intake(c1[2], days_ago(40))
        self.at(days_ago(31, -1))
        ck = [i.code for i in make.items(self.handler, make.case(self.handler, case_no="CK"), 5)]
        for code in ck:
            self.intake(code, days_ago(31))
        self.checkout("K1", [ck[0]], out=days_ago(30), due=days_ago(25))
        self.checkout("K4", [ck[1], ck[2]], out=days_ago(20), due=days_ago(19))
        self.give_back("K4", [ck[1]], days_ago(15))
        self.at(days_ago(14))
        cases = {n: make.items(self.handler, make.case(self.handler, case_no=f"C-{n}"), 1)[0].code for n in HANDOVERS}
        for code in cases.values():
            self.intake(code, days_ago(13))
        self.handover("H1", days_ago(12), (1, 3, 4), "accept", cases["H1"])
        self.handover("H2", days_ago(11), (2, 5, 6), "reject", cases["H2"])
        self.intake(c1[3], days_ago(10))
        self.give_back("K1", [ck[0]], days_ago(10))
        self.handover("H3", days_ago(10), (10, 7, 20), "accept", cases["H3"])
        self.handover("H4", days_ago(9), (4, 1, 0), "cancel", cases["H4"])
        self.checkout("K2", [ck[3]], out=days_ago(8), due=days_ago(6))
        self.at(days_ago(5, -1))
        theirs = make.items(self.other_handler, make.case(self.other_handler, case_no="P2-1"), 2)
        self.intake(theirs[0].code, days_ago(5))
        self.give_back("K4", [ck[2]], days_ago(3))
        self.intake(c1[4], days_ago(2))
        self.intake(c1[5], days_ago(1))
        self.checkout("K3", [ck[4]], out=days_ago(1), due=days_ago(-2))
        self.never_taken_in = c1[6]
        self.at(NOW)

    @staticmethod
    def at(moment: datetime) -> None:
        clock.set_clock(lambda: moment)

    def intake(self, code: str, when: datetime) -> Item:
        self.at(when)
        return warehouse.intake(self.keeper, code, location=self.shelf.code, seal_intact=True)

    def handover(
        self, name: str, start: datetime, hours: tuple[float, float, float], end: str, code: str | None = None
    ) -> None:
        """A one-item case handed from P to Q: each step ``hours`` after the one before, ending in ``end``."""
        if code is None:
            self.at(start - timedelta(days=1, hours=1))
            code = self.make.items(self.handler, self.make.case(self.handler, case_no=f"C-{name}"), 1)[0].code
            self.intake(code, start - timedelta(days=1))
        case_no = f"C-{name}"
        self.at(start)
        number = handovers.request_handover(self.handler, case_no, self.procuratorate.code).number
        moment = start + timedelta(hours=hours[0])
        self.at(moment)
        handovers.approve_handover(self.approver, number)
        moment += timedelta(hours=hours[1])
        self.at(moment)
        handovers.check_presence(self.keeper, number, [code])
        self.at(moment + timedelta(hours=hours[2]))
        if end == "accept":
            handovers.accept_handover(self.prosecutor, number)
        elif end == "reject":
            handovers.reject_handover(self.prosecutor, number, "Not ours")
        else:
            handovers.cancel_handover(self.handler, number, "Withdrawn")
        self.handovers[name] = number

    def checkout(self, name: str, codes: list[str], *, out: datetime, due: datetime) -> None:
        self.at(out - timedelta(hours=1))
        number = checkouts.request_checkout(self.handler, codes, "appraisal", due, self.handler.username).number
        checkouts.approve_checkout(self.approver, number)
        self.at(out)
        checkouts.release_checkout(self.keeper, number, codes)
        self.checkouts[name] = number

    def give_back(self, name: str, codes: list[str], when: datetime) -> None:
        self.at(when)
        checkouts.return_items(self.keeper, self.checkouts[name], codes, seal_intact=True)


@pytest.fixture
def world(make: Any) -> StatsWorld:
    return StatsWorld(make)


def _holdings(user: User) -> dict[str, dict[str, int]]:
    return {h.agency_code: h.counts for h in statistics.held_by_agency(user)}


def test_items_held_by_agency_and_status(world: StatsWorld) -> None:
    # P: C1 six on the shelf + one registered; CK three back on the shelf, K2's and K3's items out; H2's item
    # (rejected) and H4's (cancelled) stayed. Q: H0's, H1's and H3's items. P2: one on the shelf, one registered.
    expected = {
        "PSB": {"registered": 1, "in_storage": 11, "checked_out": 2},
        "PRO": {"registered": 0, "in_storage": 3, "checked_out": 0},
        "PSB2": {"registered": 1, "in_storage": 1, "checked_out": 0},
    }
    held = statistics.held_by_agency(world.auditor)
    assert [h.agency_code for h in held] == ["PSB", "PRO", "PSB2"]  # most first
    assert {h.agency_code: h.counts for h in held} == expected
    assert [h.total for h in held] == [14, 3, 2]
    assert held[1].agency_name == "市检察院"
    assert _holdings(world.keeper) == expected  # the centre's keepers see every item in the centre


def test_holdings_are_scoped_to_what_the_reader_may_see(world: StatsWorld) -> None:
    # P's handler sees the items of every case P held, also those now in Q's custody; nothing of P2.
    assert set(_holdings(world.handler)) == {"PSB", "PRO"}
    assert _holdings(world.other_handler) == {"PSB2": {"registered": 1, "in_storage": 1, "checked_out": 0}}
    # Q sees only the cases it holds or held: H0, H1 and H3 (H2 was rejected, H4 cancelled: never Q's).
    assert _holdings(world.prosecutor) == {"PRO": {"registered": 0, "in_storage": 3, "checked_out": 0}}


def test_age_of_items_in_storage(world: StatsWorld) -> None:
    # On the shelf now (checked-out and registered items are not): under a week C1's 2-day and 1-day items and
    # P2's 5-day one; 1–4 weeks C1's 10-day item and the four handed-over cases' items (13 days); 4 weeks–3 months
    # C1's 40-day item and CK's three returned items (31 days); 3–12 months C1's 200-day item and H0's (121 days);
    # over a year C1's first item.
    ages = statistics.storage_age(world.auditor)
    assert [(a.key, a.from_days, a.to_days, a.count) for a in ages] == [
        ("week", 0, 7, 3),
        ("month", 7, 28, 5),
        ("quarter", 28, 90, 4),
        ("year", 90, 365, 2),
        ("older", 365, None, 1),
    ]
    assert [a.count for a in statistics.storage_age(world.other_handler)] == [1, 0, 0, 0, 0]


def test_an_item_exactly_a_week_on_the_shelf_is_in_the_second_bucket(make: Any) -> None:
    keeper = make.keeper()
    handler = make.user("handler")
    shelf = make.location(keeper)
    item = make.items(handler, make.case(handler), 1)[0]
    clock.set_clock(lambda: NOW - timedelta(days=7))
    warehouse.intake(keeper, item.code, location=shelf.code, seal_intact=True)
    assert [a.count for a in statistics.storage_age(keeper, NOW)] == [0, 1, 0, 0, 0]
    assert [a.count for a in statistics.storage_age(keeper, NOW - timedelta(seconds=1))] == [1, 0, 0, 0, 0]


def test_handover_lead_time_per_step(world: StatsWorld) -> None:
    # Last 90 days (H0 is older): request→approval 1, 2, 10, 4 h → median (2 + 4) / 2 = 3, p90 at rank 2.7:
    # 4 + 0.7 × 6 = 8.2; approval→check 3, 5, 7, 1 h → median 4, p90 5 + 0.7 × 2 = 6.4; check→decision only the
    # decided ones (H4 was cancelled): 4, 6, 20 h → median 6, p90 at rank 1.8: 6 + 0.8 × 14 = 17.2.
    times = {t.step: t for t in statistics.handover_lead_times(world.auditor)}
    assert list(times) == ["requested_approved", "approved_checked", "checked_decided"]
    assert [times[s].count for s in times] == [4, 4, 3]
    assert [(times[s].median, times[s].p90) for s in times] == [
        pytest.approx((3.0, 8.2), abs=0.01),
        pytest.approx((4.0, 6.4), abs=0.01),
        pytest.approx((6.0, 17.2), abs=0.01),
    ]


def test_lead_times_window_and_scope(world: StatsWorld) -> None:
    # A window of 130 days takes H0's 100-hour steps in: the fifth value of five is the largest.
    times = statistics.handover_lead_times(world.auditor, days=130)
    assert [t.count for t in times] == [5, 5, 4]
    assert times[0].median == pytest.approx(4.0, abs=0.01)  # 1, 2, 4, 10, 100
    assert times[2].p90 == pytest.approx(20 + 0.7 * 80, abs=0.01)  # 4, 6, 20, 100: rank 2.7
    # P2 took part in no handover; one value alone is its own median and p90.
    assert [(t.count, t.median, t.p90) for t in statistics.handover_lead_times(world.other_handler)] == [
        (0, None, None)
    ] * 3
    single = statistics.handover_lead_times(world.auditor, now=days_ago(12, 2), days=1)
    assert [(t.count, t.median, t.p90) for t in single] == [
        (1, pytest.approx(1.0, abs=0.01), pytest.approx(1.0, abs=0.01)),
        (0, None, None),
        (0, None, None),
    ]


def test_checkouts_overdue_at_the_end_of_each_week(world: StatsWorld) -> None:
    # Week ends (oldest first) E0 … E11; E11 is now, E10 Monday 00:00 +08:00 = 2 d 20 h ago, E9 9 d 20 h ago,
    # E8 16 d 20 h, E7 23 d 20 h. K1 (due 25 d, back 10 d ago): overdue at E7 and E8. K4 (due 19 d, last item back
    # 3 d ago): E8 and E9. K2 (due 6 d ago, still out): E10 and E11. K3 is not due yet.
    weeks = statistics.overdue_by_week(world.auditor)
    assert [w.count for w in weeks] == [0, 0, 0, 0, 0, 0, 0, 1, 2, 1, 1, 1]
    assert weeks[-1].end == NOW and weeks[-1].current and not weeks[-2].current
    assert weeks[-1].start == datetime(2026, 12, 6, 16, 0, tzinfo=UTC)  # Monday 00:00 in Shanghai
    assert weeks[0].start == weeks[-1].start - timedelta(weeks=11)
    assert all(b.start == a.end for a, b in itertools.pairwise(weeks))
    # Now is the current week's end: the same count as the overdue alerts.
    assert weeks[-1].count == len(alerts.current_alerts(world.auditor, rule="checkout_overdue")) == 1
    assert [w.count for w in statistics.overdue_by_week(world.other_handler)] == [0] * 12


def test_a_partly_returned_checkout_stays_overdue_until_its_last_item_is_back(world: StatsWorld) -> None:
    # 14 days ago K4 had one of its two items back (15 days ago), the other still out; K1 was out too.
    moment = days_ago(14)
    weeks = statistics.overdue_by_week(world.auditor, now=moment, weeks=1)
    assert weeks[0].end == moment and weeks[0].count == 2  # K1 (back 10 d ago) and K4 (one item still out)


def test_each_figure_is_one_query(world: StatsWorld) -> None:
    """Set-based: one statement per figure, however many items (the holdings read agency names in the same one)."""
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    figures: list[Callable[[], object]] = [
        lambda: statistics.held_by_agency(world.auditor),
        lambda: statistics.storage_age(world.auditor),
        lambda: statistics.handover_lead_times(world.auditor),
        lambda: statistics.overdue_by_week(world.auditor),
    ]
    for figure in figures:
        figure()  # the auditor's roles and agency load once, before counting
    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        for figure in figures:
            statements.clear()
            figure()
            assert len(statements) == 1, statements
            assert "GROUP BY" in statements[0] or "OVER" in statements[0]
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_overview_reads_everything_at_one_moment(world: StatsWorld) -> None:
    view = statistics.overview(world.auditor)
    assert view.now == NOW
    assert sum(h.total for h in view.holdings) == 19
    assert sum(a.count for a in view.ages) == 15
    assert len(view.lead_times) == 3 and len(view.overdue) == 12
