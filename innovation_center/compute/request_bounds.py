"""The bounds of the period, cap and hours of an allocation request or grant (compute.services)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext as _

from innovation_center.compute import capacity, ledger
from innovation_center.core import clock
from innovation_center.core.errors import ApplicationError

# The bounds of every period and cap asked or granted, the same for the pages and the API (the
# forms and serializers check only shape). Two years is the capacity view's horizon and what
# the day-by-day pool calendar is sized for; a grant decided late may start up to a year back.
PERIOD_EARLIEST = dt.date(2000, 1, 1)
PERIOD_MAX_DAYS = 731
PERIOD_LEAD_DAYS = 731
PERIOD_LATE_DAYS = 366
DEVICE_CAP_MAX = 100_000


def _check_period(starts_on: dt.date, ends_on: dt.date) -> None:
    """A period that ends after it starts, starts at most a year back (never before 2000) and
    two years ahead, and lasts at most two years."""
    if ends_on <= starts_on:
        raise ApplicationError(
            _("The period must end after it starts."),
            code="period_invalid",
            field_errors={"ends_on": [_("Choose an end date after the start date.")]},
        )
    today = clock.today()
    earliest = max(PERIOD_EARLIEST, today - dt.timedelta(days=PERIOD_LATE_DAYS))
    if starts_on < earliest:
        raise _period_refusal(
            _(
                "The period starts on %(start)s, too long ago: a period starts at most a year "
                "back, on %(earliest)s or later."
            )
            % {"start": starts_on.isoformat(), "earliest": earliest.isoformat()},
            code="period_too_early",
            field="starts_on",
            hint=_("Choose %(earliest)s or a later date.") % {"earliest": earliest.isoformat()},
        )
    latest = today + dt.timedelta(days=PERIOD_LEAD_DAYS)
    if starts_on > latest:
        raise _period_refusal(
            _(
                "The period starts on %(start)s, too far ahead: a period starts at most two "
                "years from today, on %(latest)s or earlier."
            )
            % {"start": starts_on.isoformat(), "latest": latest.isoformat()},
            code="period_too_late",
            field="starts_on",
            hint=_("Choose %(latest)s or an earlier date.") % {"latest": latest.isoformat()},
        )
    if (ends_on - starts_on).days > PERIOD_MAX_DAYS:
        last = starts_on + dt.timedelta(days=PERIOD_MAX_DAYS)
        raise _period_refusal(
            _(
                "The period lasts %(days)s days; a period lasts at most two years "
                "(%(most)s days): end it on %(last)s or earlier, and ask for a renewal later."
            )
            % {
                "days": (ends_on - starts_on).days,
                "most": PERIOD_MAX_DAYS,
                "last": last.isoformat(),
            },
            code="period_too_long",
            field="ends_on",
            hint=_("Choose %(last)s or an earlier date.") % {"last": last.isoformat()},
        )


def _period_refusal(message: str, *, code: str, field: str, hint: str) -> ApplicationError:
    return ApplicationError(message, code=code, field_errors={field: [hint]})


def _check_device_cap(device_cap: int) -> None:
    """A cap from 1 to DEVICE_CAP_MAX devices (the database column holds no more than 2³¹−1)."""
    if not 1 <= device_cap <= DEVICE_CAP_MAX:
        raise ApplicationError(
            _("The device cap is %(cap)s; it must be from 1 to %(most)s devices at once.")
            % {"cap": device_cap, "most": DEVICE_CAP_MAX},
            code="device_cap_invalid",
            field_errors={
                "device_cap": [
                    _("Enter a whole number from 1 to %(most)s.") % {"most": DEVICE_CAP_MAX}
                ]
            },
        )


def _check_deliverable(
    *, hours: Decimal, device_cap: int, starts_on: dt.date, ends_on: dt.date
) -> None:
    """Refuse what the devices cannot deliver: a period in the past, or more hours than the
    cap can run in the period (cap × 24 h × days)."""
    today = clock.today()
    if starts_on < today:
        raise ApplicationError(
            _("The period starts on %(start)s, in the past; start it today (%(today)s) or later.")
            % {"start": starts_on.isoformat(), "today": today.isoformat()},
            code="period_past",
            field_errors={"starts_on": [_("Choose today or a later date.")]},
        )
    _check_cap(hours=hours, device_cap=device_cap, starts_on=starts_on, ends_on=ends_on)


def _check_cap(*, hours: Decimal, device_cap: int, starts_on: dt.date, ends_on: dt.date) -> None:
    """No more hours than the cap can run in the period (cap × 24 h × days)."""
    _check_device_cap(device_cap)
    most = Decimal(device_cap) * Decimal(str(capacity.period_hours(starts_on, ends_on)))
    if hours > most:
        raise ApplicationError(
            _(
                "%(cap)s devices can deliver at most %(most)s accelerator-hours from %(start)s "
                "to %(end)s (%(cap)s × 24 h × %(days)s days); %(hours)s were asked. Ask "
                "for fewer hours, a higher cap or a longer period."
            )
            % {
                "cap": device_cap,
                "most": ledger.hours_figure(most),
                "start": starts_on.isoformat(),
                "end": ends_on.isoformat(),
                "days": (ends_on - starts_on).days,
                "hours": ledger.hours_figure(hours),
            },
            code="exceeds_cap",
            field_errors={"hours": [_("More than the cap can deliver in the period.")]},
        )
