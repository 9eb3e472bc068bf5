from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils import timezone

from innovation_center.compute.models import Accelerator, Allocation, Lease, LedgerEntry


@dataclass(frozen=True)
class Balance:
    available: Decimal
    reserved: Decimal
    spent: Decimal


def allocation_balance(*, allocation: Allocation) -> Balance:
    """The allocation's hours, summed from its ledger rows (never a stored counter)."""
    totals = LedgerEntry.objects.filter(allocation=allocation).aggregate(
        available=Sum("available"),
        reserved=Sum("reserved"),
        spent=Sum("reserved", filter=Q(kind=LedgerEntry.Kind.CHARGE)),
    )
    zero = Decimal("0")
    return Balance(
        available=totals["available"] or zero,
        reserved=totals["reserved"] or zero,
        spent=-(totals["spent"] or zero),
    )


def month_bounds(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime(year, month, 1, tzinfo=tz)
    end = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)
    return start, end


def site_monthly_utilization(*, year: int, month: int) -> dict[int, float]:
    """Busy device-seconds / available device-seconds per site id, exact from leases.

    Leases are clipped to the month; a lease still running counts up to now.
    """
    start, end = month_bounds(year, month)
    now = timezone.now()
    capacity = defaultdict(float)
    for site_id in Accelerator.objects.values_list("site_id", flat=True):
        capacity[site_id] += (end - start).total_seconds()
    busy = defaultdict(float)
    leases = Lease.objects.filter(started_at__lt=end).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=start)
    )
    for site_id, started_at, ended_at in leases.values_list(
        "accelerator__site_id", "started_at", "ended_at"
    ):
        lo = max(started_at, start)
        hi = min(ended_at or now, end)
        if hi > lo:
            busy[site_id] += (hi - lo).total_seconds()
    return {site_id: busy[site_id] / seconds for site_id, seconds in capacity.items() if seconds}
