"""Statistics with plots: what the centre holds, for how long, and how fast handovers and check-outs move.

Open to every signed-in user, scoped like every list: auditors and the centre's keepers count everything,
everyone else what their agency may see (the page says so). The figures come from
:mod:`custody.services.statistics`; this module only names them in the reader's language and draws them.
"""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from custody.models import ItemStatus
from custody.services import access, statistics
from custody.web import charts
from custody.web.charts import Chart, Series, Table
from custody.web.format import local_time
from custody.web.labels import STATUSES

bp = Blueprint("stats_pages", __name__)

AGE_LABELS = {
    "week": _l("Under 1 week"),
    "month": _l("1–4 weeks"),
    "quarter": _l("1–3 months"),
    "year": _l("3–12 months"),
    "older": _l("Over 1 year"),
}
STEP_LABELS = {
    "requested_approved": _l("Request → approval"),
    "approved_checked": _l("Approval → presence check"),
    "checked_decided": _l("Presence check → decision"),
}


# The lead-time chart speaks the unit its figures are in (charts.time_unit picks it): the words for each.
LEAD_TIME_WORDS = {
    "minutes": {
        "axis": _l("Minutes"),
        "median": _l("Median (minutes)"),
        "p90": _l("90th percentile (minutes)"),
        "step": _l("%(step)s median %(median)s min, 90th percentile %(p90)s min (%(n)d handovers)"),
        "description": _l(
            "Minutes each step of a handover took, for the steps completed in the last %(days)d days: %(spread)s."
        ),
    },
    "hours": {
        "axis": _l("Hours"),
        "median": _l("Median (hours)"),
        "p90": _l("90th percentile (hours)"),
        "step": _l("%(step)s median %(median)s h, 90th percentile %(p90)s h (%(n)d handovers)"),
        "description": _l(
            "Hours each step of a handover took, for the steps completed in the last %(days)d days: %(spread)s."
        ),
    },
    "days": {
        "axis": _l("Days"),
        "median": _l("Median (days)"),
        "p90": _l("90th percentile (days)"),
        "step": _l("%(step)s median %(median)s d, 90th percentile %(p90)s d (%(n)d handovers)"),
        "description": _l(
            "Days each step of a handover took, for the steps completed in the last %(days)d days: %(spread)s."
        ),
    },
}


def holdings_chart(view: statistics.Overview) -> Chart:
    """Stacked bars: items each agency is custodian of, split by status."""
    # On the shelf first: the bulk of every bar starts at the axis, where lengths compare best.
    series = [
        Series(s, str(STATUSES[s])) for s in (ItemStatus.IN_STORAGE, ItemStatus.CHECKED_OUT, ItemStatus.REGISTERED)
    ]
    categories = [(h.agency_code, h.agency_name or h.agency_code) for h in view.holdings]
    values = [[h.counts[s.key] for s in series] for h in view.holdings]
    total = sum(h.total for h in view.holdings)
    title = _("Items held, by agency and status")
    description = _(
        "%(total)d items not disposed of, held by %(agencies)d agencies; each bar splits one agency's items "
        "into those in storage, checked out, and registered but not yet taken in.",
        total=total,
        agencies=len(view.holdings),
    )
    svg = charts.stacked_bars("chart-holdings", title, description, categories, series, values, _("Items"))
    table = Table(
        [_("Agency"), *(s.label for s in series), _("Total")],
        [
            [name, *(charts.count(v) for v in row), charts.count(sum(row))]
            for (_c, name), row in zip(categories, values, strict=True)
        ],
    )
    return Chart("chart-holdings", title, description, svg, table)


def ages_chart(view: statistics.Overview) -> Chart:
    """Histogram: items on the shelf now, by time since intake."""
    bins = [(a.key, str(AGE_LABELS[a.key])) for a in view.ages]
    counts = [a.count for a in view.ages]
    title = _("Age of items in storage")
    description = _(
        "%(total)d items on the shelf now, by time since their intake: %(spread)s.",
        total=sum(counts),
        spread=", ".join(f"{label} {n}" for (_k, label), n in zip(bins, counts, strict=True)),
    )
    svg = charts.histogram("chart-ages", title, description, bins, counts, _("Time since intake"), _("Items"))
    table = Table(
        [_("Time since intake"), _("Items")],
        [[label, charts.count(n)] for (_k, label), n in zip(bins, counts, strict=True)],
    )
    return Chart("chart-ages", title, description, svg, table)


def lead_times_chart(view: statistics.Overview) -> Chart:
    """Grouped bars: median and 90th-percentile time of each handover step, in minutes, hours or days."""
    steps = [(t.step, str(STEP_LABELS[t.step])) for t in view.lead_times]
    series = [Series("median", _("Median")), Series("p90", _("90th percentile"))]
    unit = charts.time_unit(v for t in view.lead_times for v in (t.median, t.p90))
    words = LEAD_TIME_WORDS[unit.key]

    def shown(hours: float | None) -> str:
        return "—" if hours is None else charts.figure(unit.of(hours))

    values = [[None if v is None else unit.of(v) for v in (t.median, t.p90)] for t in view.lead_times]
    title = _("Handover lead time per step, last %(days)d days", days=statistics.LEAD_TIME_DAYS)
    spread = [
        str(words["step"]) % {"step": label, "median": shown(t.median), "p90": shown(t.p90), "n": t.count}
        for (_k, label), t in zip(steps, view.lead_times, strict=True)
    ]
    description = str(words["description"]) % {"days": statistics.LEAD_TIME_DAYS, "spread": "; ".join(spread)}
    svg = charts.bars(
        "chart-lead-times",
        title,
        description,
        steps,
        series,
        values,
        _("Step"),
        str(words["axis"]),
        fmt=charts.figure,
        empty=_("none"),
    )
    table = Table(
        [_("Step"), _("Handovers"), str(words["median"]), str(words["p90"])],
        [
            [label, charts.count(t.count), shown(t.median), shown(t.p90)]
            for (_k, label), t in zip(steps, view.lead_times, strict=True)
        ],
    )
    return Chart("chart-lead-times", title, description, svg, table)


def overdue_chart(view: statistics.Overview) -> Chart:
    """Line: check-outs overdue at the end of each of the last weeks (the current one: now)."""
    points = [(local_time(w.start, "%Y-%m-%d"), local_time(w.start, "%m-%d")) for w in view.overdue]
    counts = [w.count for w in view.overdue]
    title = _("Check-outs overdue at the end of each week")
    description = _(
        "Check-outs past their due time with items not back, counted at the end of each of the last %(weeks)d "
        "weeks (the current week: now). Now: %(now)d; highest: %(peak)d.",
        weeks=len(counts),
        now=counts[-1] if counts else 0,
        peak=max(counts, default=0),
    )
    svg = charts.line("chart-overdue", title, description, points, counts, _("Week beginning"), _("Check-outs"))
    table = Table(
        [_("Week beginning"), _("Overdue at its end")],
        [
            [local_time(w.start, "%Y-%m-%d") + (" " + _("(so far)") if w.current else ""), charts.count(w.count)]
            for w in view.overdue
        ],
    )
    return Chart("chart-overdue", title, description, svg, table)


@bp.route("/stats")
@login_required
def index() -> str:
    """Plots of what the centre holds, for how long, how fast handovers move and what is overdue, with their tables."""
    view = statistics.overview(current_user)
    return render_template(
        "stats/index.html",
        view=view,
        holdings=holdings_chart(view) if view.holdings else None,
        charts_below=[ages_chart(view), lead_times_chart(view), overdue_chart(view)],
        everything=access.is_auditor(current_user) or access.is_centre_keeper(current_user),
        held=sum(h.total for h in view.holdings),
        stored=sum(a.count for a in view.ages),
        over_a_year=view.ages[-1].count if view.ages else 0,
        overdue_now=view.overdue[-1].count if view.overdue else 0,
    )
