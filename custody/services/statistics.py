"""Figures for the statistics page: what the centre holds, for how long, how fast handovers move, what is overdue.

Each figure is one set-based query (GROUP BY, a CASE bucket, window functions) whose result
has a handful of rows whatever the size of the warehouse: Python never walks items, handovers
or check-outs one by one. Every query is scoped by the same filters as the lists (auditors and
centre keepers see everything, others what their agency may see), so a chart never counts
what its reader could not open.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Float, Integer, and_, case, exists, func, literal, literal_column, or_, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from custody import clock
from custody.db import UTCDateTime
from custody.extensions import db
from custody.models import (
    DECIDED_HANDOVER,
    Agency,
    Checkout,
    CheckoutItem,
    Handover,
    Item,
    ItemStatus,
    User,
)
from custody.services import access, checkouts
from custody.services.handovers import reads as handover_reads

# Held: everything not yet disposed of (registered and waiting for intake, on the shelf, or out for a while).
HELD_STATUSES: tuple[str, ...] = (ItemStatus.REGISTERED, ItemStatus.IN_STORAGE, ItemStatus.CHECKED_OUT)

# Storage-age buckets as (key, lower bound in days); each runs up to the next one's bound.
# A "month" is 4 weeks below three months and 90 days above, so that the buckets meet without gaps.
AGE_BUCKETS: tuple[tuple[str, int], ...] = (("week", 0), ("month", 7), ("quarter", 28), ("year", 90), ("older", 365))

LEAD_TIME_DAYS = 90
PERCENTILES = (50, 90)
OVERDUE_WEEKS = 12


class seconds_between(FunctionElement[float]):  # noqa: N801 - reads as the SQL function it stands for
    """``end - start`` in seconds: each database spells interval arithmetic its own way."""

    type = Float()
    name = "seconds_between"
    inherit_cache = True


@compiles(seconds_between)
def _seconds_postgresql(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"EXTRACT(EPOCH FROM ({end} - {start}))"


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


@dataclass(frozen=True)
class Holding:
    """Items one agency is custodian of, per status."""

    agency_code: str
    agency_name: str
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class AgeBucket:
    key: str
    from_days: int
    to_days: int | None  # None: open-ended
    count: int


@dataclass(frozen=True)
class StepTime:
    """Hours one handover step took: how many handovers completed it in the window, their median and 90th percentile."""

    step: str
    count: int
    percentiles: dict[int, float] = field(default_factory=dict)

    @property
    def median(self) -> float | None:
        return self.percentiles.get(50)

    @property
    def p90(self) -> float | None:
        return self.percentiles.get(90)


@dataclass(frozen=True)
class WeekCount:
    """Check-outs overdue at ``end`` (the end of the week, or now for the current one)."""

    start: datetime
    end: datetime
    count: int

    @property
    def current(self) -> bool:
        return self.end - self.start < timedelta(days=7)


@dataclass(frozen=True)
class Overview:
    now: datetime
    holdings: list[Holding]
    ages: list[AgeBucket]
    lead_times: list[StepTime]
    overdue: list[WeekCount]


def overview(user: User, now: datetime | None = None) -> Overview:
    """Every figure of the statistics page, as of one moment."""
    now = now or clock.now()
    return Overview(
        now=now,
        holdings=held_by_agency(user),
        ages=storage_age(user, now),
        lead_times=handover_lead_times(user, now),
        overdue=overdue_by_week(user, now),
    )


def held_by_agency(user: User) -> list[Holding]:
    """Items not disposed of, by custodian agency and status; the agency holding most first."""
    grouped = (
        select(Item.custodian_id, Item.status, func.count(Item.id).label("n"))
        .where(Item.status.in_(HELD_STATUSES), access.item_filter(user))
        .group_by(Item.custodian_id, Item.status)
        .subquery()
    )
    rows = db.session.execute(
        select(Agency.code, Agency.name, grouped.c.status, grouped.c.n).join(
            grouped, grouped.c.custodian_id == Agency.id
        )
    )
    found: dict[str, Holding] = {}
    for code, name, status, n in rows:  # at most agencies × 3 rows
        found.setdefault(code, Holding(code, name, dict.fromkeys(HELD_STATUSES, 0))).counts[status] = int(n)
    return sorted(found.values(), key=lambda h: (-h.total, h.agency_code))


def storage_age(user: User, now: datetime | None = None) -> list[AgeBucket]:
    """Items on the shelf now, by how long ago they were taken in (``now − intake_at``), in :data:`AGE_BUCKETS`."""
    now = now or clock.now()
    # Youngest bucket first: an item falls in the first bucket whose upper bound its age has not reached.
    whens = [
        (Item.intake_at > now - timedelta(days=AGE_BUCKETS[i + 1][1]), literal_column(str(i), Integer))
        for i in range(len(AGE_BUCKETS) - 1)
    ]
    bucketed = (
        select(case(*whens, else_=literal_column(str(len(AGE_BUCKETS) - 1), Integer)).label("bucket"))
        .where(Item.status == ItemStatus.IN_STORAGE, Item.intake_at.is_not(None), access.item_filter(user))
        .subquery()
    )
    grouped = db.session.execute(select(bucketed.c.bucket, func.count()).group_by(bucketed.c.bucket))
    counts = {int(bucket): int(n) for bucket, n in grouped}
    return [
        AgeBucket(
            key,
            lower,
            AGE_BUCKETS[i + 1][1] if i + 1 < len(AGE_BUCKETS) else None,
            int(counts.get(i, 0)),
        )
        for i, (key, lower) in enumerate(AGE_BUCKETS)
    ]


# Each step of a handover as (name, when it started, when it ended); checked→decided counts decisions only, not
# cancellations (a cancelled handover's ``decided_at`` says when it was withdrawn, not when anyone decided).
def _steps() -> tuple[tuple[str, Any, Any, Any], ...]:
    return (
        ("requested_approved", Handover.requested_at, Handover.approved_at, None),
        ("approved_checked", Handover.approved_at, Handover.checked_at, None),
        ("checked_decided", Handover.checked_at, Handover.decided_at, Handover.status.in_(DECIDED_HANDOVER)),
    )


STEPS: tuple[str, ...] = ("requested_approved", "approved_checked", "checked_decided")


def handover_lead_times(
    user: User, now: datetime | None = None, days: int = LEAD_TIME_DAYS, percentiles: Sequence[int] = PERCENTILES
) -> list[StepTime]:
    """Median and 90th-percentile hours per handover step, over the steps completed in the last ``days`` days.

    Percentiles interpolate linearly between the two nearest ranks (as PostgreSQL's ``percentile_cont``).
    Both databases compute them the same way: a window function ranks each step's durations and the
    query returns only the (at most two) rows around each percentile, so the result is a few rows
    however many handovers there were.
    """
    now = now or clock.now()
    since = now - timedelta(days=days)
    parts = []
    for index, (_name, start, end, extra) in enumerate(_steps()):
        stmt = select(
            literal_column(str(index), Integer).label("step"), seconds_between(start, end).label("seconds")
        ).where(start.is_not(None), end.is_not(None), end >= since, end <= now, handover_reads.visible_filter(user))
        parts.append(stmt.where(extra) if extra is not None else stmt)
    durations = union_all(*parts).subquery("durations")
    ranked = select(
        durations.c.step,
        durations.c.seconds,
        (func.row_number().over(partition_by=durations.c.step, order_by=durations.c.seconds) - 1).label("rank"),
        func.count().over(partition_by=durations.c.step).label("n"),
    ).subquery("ranked")
    # For percentile p of n values the position is (n − 1)·p/100: keep the ranks at its floor and the one above.
    near = [
        and_(ranked.c.rank >= (ranked.c.n - 1) * p // 100, ranked.c.rank <= (ranked.c.n - 1) * p // 100 + 1)
        for p in percentiles
    ]
    rows = db.session.execute(select(ranked.c.step, ranked.c.rank, ranked.c.n, ranked.c.seconds).where(or_(*near)))
    values: dict[int, dict[int, float]] = {}
    sizes: dict[int, int] = {}
    for step, rank, n, seconds in rows:  # at most 2 × len(percentiles) rows per step
        values.setdefault(step, {})[int(rank)] = float(seconds) / 3600
        sizes[step] = int(n)
    return [
        StepTime(
            name,
            sizes.get(index, 0),
            {p: _interpolate(values[index], sizes[index], p) for p in percentiles} if index in sizes else {},
        )
        for index, name in enumerate(STEPS)
    ]


def _interpolate(by_rank: dict[int, float], n: int, p: int) -> float:
    """The p-th percentile of n sorted values, given those at the ranks around position (n − 1)·p/100."""
    position = (n - 1) * p / 100
    lower = (n - 1) * p // 100
    low = by_rank[lower]
    high = by_rank.get(lower + 1, low)
    return low + (high - low) * (position - lower)


def week_bounds(now: datetime, weeks: int = OVERDUE_WEEKS) -> list[tuple[datetime, datetime]]:
    """The last ``weeks`` calendar weeks (Monday 00:00 in the centre's zone), oldest first; the current one ends now."""
    zone = ZoneInfo(current_app.config["CUSTODY_TIMEZONE"])
    today: date = now.astimezone(zone).date()
    monday = today - timedelta(days=today.weekday())
    bounds = []
    for back in range(weeks - 1, -1, -1):
        start = datetime.combine(monday - timedelta(weeks=back), time(0), tzinfo=zone)
        end = datetime.combine(monday - timedelta(weeks=back - 1), time(0), tzinfo=zone)
        bounds.append((start.astimezone(UTC), min(end.astimezone(UTC), now)))
    return bounds


def overdue_by_week(user: User, now: datetime | None = None, weeks: int = OVERDUE_WEEKS) -> list[WeekCount]:
    """How many check-outs were overdue at the end of each of the last ``weeks`` weeks.

    Overdue at a moment T: released by T, due before T, not closed by T, and at least one of its items not
    back by T (returned later, or still out). Past weeks are rebuilt from the stored times, so the figure for a
    week does not change when its check-outs come back later. One query: the week ends are a small derived
    table joined to the check-outs and grouped.
    """
    now = now or clock.now()
    bounds = week_bounds(now, weeks)
    ends = union_all(
        *(
            select(literal_column(str(i), Integer).label("week"), literal(end, UTCDateTime()).label("at"))
            for i, (_start, end) in enumerate(bounds)
        )
    ).subquery("week_ends")
    at = ends.c.at
    not_back = exists().where(
        CheckoutItem.checkout_id == Checkout.id,
        or_(CheckoutItem.returned_at > at, and_(CheckoutItem.returned_at.is_(None), CheckoutItem.active.is_(True))),
    )
    stmt = (
        select(ends.c.week, func.count(Checkout.id))
        .select_from(ends)
        .join(
            Checkout,
            and_(
                Checkout.released_at <= at,
                Checkout.due_at < at,
                or_(Checkout.closed_at.is_(None), Checkout.closed_at > at),
            ),
        )
        .where(not_back, checkouts.visible_filter(user))
        .group_by(ends.c.week)
    )
    counts = {int(week): int(n) for week, n in db.session.execute(stmt)}
    return [WeekCount(start, end, int(counts.get(i, 0))) for i, (start, end) in enumerate(bounds)]
