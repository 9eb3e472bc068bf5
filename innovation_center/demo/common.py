"""What every area of the demo seed shares: the seed and the calendar helpers."""

import datetime as dt
import random
from collections import defaultdict

from django.utils import timezone

from innovation_center.core import clock

SEED = 2021
BATCH_SIZE = 2000  # rows per INSERT of the bulk parts


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after `day`'s month."""
    return clock.first_day(clock.add_months(clock.month_of(day), months))


def random_date(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randint(0, max(0, (end - start).days)))


def office_hours_at(day: dt.date, rng: random.Random) -> dt.datetime:
    """An office-hours moment of `day` in the current time zone."""
    moment = dt.datetime.combine(day, dt.time(9, 0)) + dt.timedelta(minutes=rng.randint(0, 540))
    return timezone.make_aware(moment)


def backdate(model, rows: list, moments: list[dt.datetime]) -> None:
    """Date saved rows when the story says they were made: `created_at` is stamped on insert.
    One UPDATE per moment, so a day of usage rows costs one statement; none when no rows."""
    by_moment = defaultdict(list)
    for row, moment in zip(rows, moments, strict=True):
        by_moment[moment].append(row.pk)
    for moment, pks in by_moment.items():
        model.objects.filter(pk__in=pks).update(created_at=moment)
