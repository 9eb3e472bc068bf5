"""The center's clock: one notion of "now", and months in the center's own time zone.

Every page, selector, service and the demo seed read the time from here, so a test that
freezes the clock (time-machine) moves all of them at once. The center's month is the month
in `settings.TIME_ZONE` (Asia/Shanghai by default), whatever zone a request has activated:
a lease that crosses local midnight at the end of a month is split at that local boundary.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from functools import lru_cache

from django.conf import settings
from django.utils import timezone

Month = tuple[int, int]


@lru_cache(maxsize=8)
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def center_timezone() -> zoneinfo.ZoneInfo:
    """The zone whose calendar the center runs on (`TIME_ZONE`)."""
    return _zone(settings.TIME_ZONE)


def now() -> dt.datetime:
    """The current moment, aware (UTC)."""
    return timezone.now()


def local(moment: dt.datetime) -> dt.datetime:
    """`moment` on the center's wall clock."""
    return moment.astimezone(center_timezone())


def today(*, at: dt.datetime | None = None) -> dt.date:
    """The center's calendar date now (or at `at`)."""
    return local(at or now()).date()


def month_of(day: dt.date | dt.datetime) -> Month:
    if isinstance(day, dt.datetime):
        day = local(day).date()
    return day.year, day.month


def this_month(*, at: dt.datetime | None = None) -> Month:
    return month_of(today(at=at))


def add_months(month: Month, count: int) -> Month:
    """The month `count` months after `month` (before it when negative)."""
    index = month[0] * 12 + month[1] - 1 + count
    return index // 12, index % 12 + 1


def months_between(start: Month, end: Month) -> int:
    """How many months `end` is after `start` (negative when before)."""
    return (end[0] * 12 + end[1]) - (start[0] * 12 + start[1])


def first_day(month: Month) -> dt.date:
    return dt.date(month[0], month[1], 1)


def month_bounds(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a month as aware moments at the center's local midnights."""
    zone = center_timezone()
    start = dt.datetime(year, month, 1, tzinfo=zone)
    next_year, next_month = add_months((year, month), 1)
    return start, dt.datetime(next_year, next_month, 1, tzinfo=zone)


def past_months(count: int, *, at: dt.datetime | None = None) -> list[Month]:
    """The `count` completed months before the current one, oldest first."""
    current = this_month(at=at)
    return [add_months(current, -n) for n in range(count, 0, -1)]


def months_to(month: Month, count: int) -> list[Month]:
    """`count` months ending with `month`, oldest first."""
    return [add_months(month, -n) for n in range(count - 1, -1, -1)]


def month_label(month: Month) -> str:
    return f"{month[0]}-{month[1]:02d}"
