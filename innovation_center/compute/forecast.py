"""An allocation's burn-down: hours spent per week, the projection to its end at the recent
rate, and the hours it will leave unused; and the warnings owners get at 50/80/100% of the
period when spending runs well behind (or ahead of) time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Sum
from django.db.models.functions import TruncDate

from innovation_center.compute.models import Allocation, LedgerEntry
from innovation_center.core import clock

# The rate of the projection: what was spent over the last RECENT_DAYS (or since the start).
RECENT_DAYS = 28
# Owners are warned when the period reaches each share with spending off by this share.
MILESTONES = (0.5, 0.8, 1.0)


@dataclass
class Week:
    start: dt.date
    spent: float
    cumulative: float


@dataclass
class Burndown:
    granted: float
    spent: float
    unspent: float
    weeks: list[Week]
    rate_per_day: float
    projected_total: float
    projected_unused: float
    elapsed_share: float
    spent_share: float
    days_left: int
    chart: dict = field(default_factory=dict)

    @property
    def behind(self) -> bool:
        return self.spent_share + 0.1 < self.elapsed_share


def burndown(*, allocation: Allocation, today: dt.date | None = None) -> Burndown:
    today = today or clock.today()
    start, end = allocation.starts_on, allocation.ends_on
    charges = dict(
        LedgerEntry.objects.filter(allocation=allocation, kind=LedgerEntry.Kind.CHARGE)
        .annotate(day=TruncDate("created_at", tzinfo=clock.center_timezone()))
        .values_list("day")
        .annotate(total=Sum("reserved"))
        .values_list("day", "total")
    )
    totals = LedgerEntry.objects.filter(allocation=allocation).aggregate(
        available=Sum("available"), reserved=Sum("reserved")
    )
    unspent = float(totals["available"] or 0) + float(totals["reserved"] or 0)
    granted = float(allocation.hours_granted)
    spent_by_day = {day: -float(total or 0) for day, total in charges.items()}
    spent = sum(spent_by_day.values())
    weeks, cumulative = [], 0.0
    week = start - dt.timedelta(days=start.weekday())
    last = min(today, end)
    while week <= last:
        nxt = week + dt.timedelta(days=7)
        amount = sum(v for d, v in spent_by_day.items() if week <= d < nxt)
        cumulative += amount
        weeks.append(Week(start=week, spent=amount, cumulative=cumulative))
        week = nxt
    recent_from = max(start, today - dt.timedelta(days=RECENT_DAYS))
    recent_days = max((min(today, end) - recent_from).days, 1)
    recent = sum(v for d, v in spent_by_day.items() if recent_from <= d < today)
    rate = recent / recent_days if today > start else 0.0
    days_left = max((end - max(today, start)).days, 0)
    projected_more = min(rate * days_left, max(unspent, 0.0))
    period = max((end - start).days, 1)
    elapsed = min(max((today - start).days, 0), period)
    result = Burndown(
        granted=granted,
        spent=spent,
        unspent=unspent,
        weeks=weeks,
        rate_per_day=rate,
        projected_total=spent + projected_more,
        projected_unused=max(unspent - projected_more, 0.0),
        elapsed_share=elapsed / period,
        spent_share=(spent / granted) if granted else 0.0,
        days_left=days_left,
    )
    result.chart = _chart(result, start, end, today)
    return result


def _chart(burn: Burndown, start: dt.date, end: dt.date, today: dt.date) -> dict:
    """SVG geometry: weekly bars, the cumulative line and the dashed projection to the end."""
    width, height, left, bottom, top = 640, 220, 48, 28, 12
    span = max((end - start).days, 1)
    scale_y = max(burn.granted, burn.projected_total, 1.0)

    def x(day: dt.date) -> float:
        return left + (width - left - 8) * min(max((day - start).days, 0), span) / span

    def y(hours: float) -> float:
        return height - bottom - (height - bottom - top) * hours / scale_y

    week_max = max((w.spent for w in burn.weeks), default=0.0) or 1.0
    bar_width = max((width - left - 8) * 7 / span - 2, 2)
    bars = [
        {
            "x": round(x(w.start), 1),
            "y": round(height - bottom - 60 * w.spent / week_max, 1),
            "height": round(60 * w.spent / week_max, 1),
            "width": round(bar_width, 1),
            "label": w.start.isoformat(),
            "spent": w.spent,
        }
        for w in burn.weeks
        if w.spent > 0
    ]
    line = " ".join(
        f"{x(min(w.start + dt.timedelta(days=7), today)):.1f},{y(w.cumulative):.1f}"
        for w in burn.weeks
    )
    now_x = x(min(max(today, start), end))
    return {
        "width": width,
        "height": height,
        "left": left,
        "baseline": height - bottom,
        "bars": bars,
        "line": f"{x(start):.1f},{y(0):.1f} {line}".strip(),
        "projection": f"{now_x:.1f},{y(burn.spent):.1f} {x(end):.1f},{y(burn.projected_total):.1f}",
        "granted_y": round(y(burn.granted), 1),
        "now_x": round(now_x, 1),
        "end_x": round(x(end), 1),
    }


def warning_due(burn: Burndown) -> float | None:
    """The milestone (share of the period) an owner should now hear about, if any: the latest
    one the period passed, when spending is more than 20 points behind elapsed time (or, before
    the end, ahead of it)."""
    passed = [m for m in MILESTONES if burn.elapsed_share + 1e-9 >= m]
    if not passed:
        return None
    off = burn.spent_share - burn.elapsed_share
    if off < -0.2 or (passed[-1] < 1.0 and off > 0.2):
        return passed[-1]
    return None
