"""Utilization of closed months from stored rollups; the running month computed as it goes.

A closed month never changes, so its per-device and per-company seconds are written once
(`rollup_write`: by beat, `rollups_close`, or by the first reader that finds it missing) and
read from then on. An edit that reaches back into a closed month (a lease or an outage saved
or deleted, a lease ended with an earlier time) drops the rollups from that month on
(`rollups_invalidate`), so a stored figure is never wrong: the next read writes it again.

Writers and invalidations take one lock (a PostgreSQL advisory lock; SQLite serialises
every write transaction anyway), and an invalidation runs after its edit is visible, so a
rollup computed from data older than an edit is always dropped by that edit's invalidation.
`exact_month_usage` is the definition the rollups are held equal to (tests/compute).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction
from django.db.models import Q

from innovation_center.compute.models import (
    Accelerator,
    CompanyMonthUsage,
    DeviceMonthUsage,
    DeviceOutage,
    Lease,
    UtilizationMonth,
)
from innovation_center.core import clock

_LOCK_KEY = 7_004_211  # any constant of our own, for pg_advisory_xact_lock


@dataclass
class DeviceUsage:
    device: int
    site: int
    type: int
    capacity_seconds: float
    out_of_service_seconds: float
    busy_seconds: float


@dataclass
class MonthUsage:
    devices: list[DeviceUsage] = field(default_factory=list)
    companies: dict[int, float] = field(default_factory=dict)  # company id -> busy seconds


def _clip(start, end, lo, hi) -> tuple:
    return max(start, lo), min(end, hi)


def _overlap_seconds(intervals_a, intervals_b) -> float:
    total = 0.0
    for a0, a1 in intervals_a:
        for b0, b1 in intervals_b:
            lo, hi = max(a0, b0), min(a1, b1)
            if hi > lo:
                total += (hi - lo).total_seconds()
    return total


def exact_month_usage(*, start: dt.datetime, end: dt.datetime) -> MonthUsage:
    """Seconds of [start, end) from the leases and outages themselves.

    Leases and outages are clipped to the span; busy time inside a device's outage is not
    counted, so a draining device cannot push a figure above 100%.
    """
    span = max((end - start).total_seconds(), 0.0)
    outages = defaultdict(list)
    for device, o_start, o_end in DeviceOutage.objects.filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=start), started_at__lt=end
    ).values_list("accelerator_id", "started_at", "ended_at"):
        outages[device].append(_clip(o_start, o_end or end, start, end))
    busy_by_device: dict[int, float] = defaultdict(float)
    busy_by_company: dict[int, float] = defaultdict(float)
    leases = Lease.objects.filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=start), started_at__lt=end
    ).values_list("accelerator_id", "allocation__company_id", "started_at", "ended_at")
    for device, company, l_start, l_end in leases:
        lo, hi = _clip(l_start, l_end or end, start, end)
        if hi <= lo:
            continue
        seconds = (hi - lo).total_seconds() - _overlap_seconds([(lo, hi)], outages.get(device, []))
        busy_by_device[device] += seconds
        busy_by_company[company] += seconds
    usage = MonthUsage(companies=dict(busy_by_company))
    for device, site_id, type_id in Accelerator.objects.values_list(
        "id", "site_id", "accelerator_type_id"
    ).order_by("id"):
        down = sum((hi - lo).total_seconds() for lo, hi in outages.get(device, []) if hi > lo)
        usage.devices.append(
            DeviceUsage(device, site_id, type_id, span, down, busy_by_device.get(device, 0.0))
        )
    return usage


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def _stored(rollup: UtilizationMonth) -> MonthUsage:
    usage = MonthUsage(
        companies=dict(
            CompanyMonthUsage.objects.filter(rollup=rollup).values_list(
                "company_id", "busy_seconds"
            )
        )
    )
    for row in (
        DeviceMonthUsage.objects.filter(rollup=rollup)
        .order_by("accelerator_id")
        .values_list(
            "accelerator_id",
            "site_id",
            "accelerator_type_id",
            "capacity_seconds",
            "out_of_service_seconds",
            "busy_seconds",
        )
    ):
        usage.devices.append(DeviceUsage(*row))
    return usage


def rollup_write(*, year: int, month: int) -> UtilizationMonth:
    """Compute a closed month exactly and store it (replacing what was stored)."""
    start, end = clock.month_bounds(year, month)
    if end > clock.now():
        raise ValueError(f"{year}-{month:02d} has not ended; only closed months are stored.")
    with transaction.atomic():
        _lock()
        UtilizationMonth.objects.filter(year=year, month=month).delete()
        usage = exact_month_usage(start=start, end=end)
        rollup = UtilizationMonth.objects.create(year=year, month=month, computed_at=clock.now())
        DeviceMonthUsage.objects.bulk_create(
            [
                DeviceMonthUsage(
                    rollup=rollup,
                    accelerator_id=d.device,
                    site_id=d.site,
                    accelerator_type_id=d.type,
                    capacity_seconds=d.capacity_seconds,
                    out_of_service_seconds=d.out_of_service_seconds,
                    busy_seconds=d.busy_seconds,
                )
                for d in usage.devices
            ],
            batch_size=1000,
        )
        CompanyMonthUsage.objects.bulk_create(
            [
                CompanyMonthUsage(rollup=rollup, company_id=company, busy_seconds=seconds)
                for company, seconds in usage.companies.items()
            ],
            batch_size=1000,
        )
    return rollup


def month_usage(*, year: int, month: int, now: dt.datetime | None = None) -> MonthUsage:
    """A month's seconds: stored when it has closed (written now if missing), else computed
    up to `now`."""
    now = now or clock.now()
    start, end = clock.month_bounds(year, month)
    if end > now:
        return exact_month_usage(start=start, end=min(end, max(now, start)))
    rollup = UtilizationMonth.objects.filter(year=year, month=month).first()
    if rollup is None:
        try:
            rollup = rollup_write(year=year, month=month)
        except IntegrityError:  # another reader wrote it at the same moment
            rollup = UtilizationMonth.objects.get(year=year, month=month)
    return _stored(rollup)


def rollups_invalidate(*, since: dt.datetime | None) -> int:
    """Drop the stored months that end after `since`: an edit reached back to then."""
    if since is None or since >= clock.month_bounds(*clock.this_month())[0]:
        return 0
    year, month = clock.month_of(since)
    with transaction.atomic():
        _lock()
        deleted, _rows = UtilizationMonth.objects.filter(
            Q(year__gt=year) | Q(year=year, month__gte=month)
        ).delete()
    return deleted


def rollups_close(*, now: dt.datetime | None = None) -> list[tuple[int, int]]:
    """Store every closed month that has leases or outages and no rollup yet (beat)."""
    now = now or clock.now()
    first = [
        moment
        for moment in (
            Lease.objects.order_by("started_at").values_list("started_at", flat=True).first(),
            DeviceOutage.objects.order_by("started_at")
            .values_list("started_at", flat=True)
            .first(),
        )
        if moment is not None
    ]
    if not first:
        return []
    current = clock.this_month(at=now)
    done = set(UtilizationMonth.objects.values_list("year", "month"))
    written = []
    cursor = clock.month_of(min(first))
    while cursor < current:
        if cursor not in done:
            rollup_write(year=cursor[0], month=cursor[1])
            written.append(cursor)
        cursor = clock.add_months(cursor, 1)
    return written


def _edited(sender, instance, **kwargs) -> None:
    """A lease or outage saved or deleted: drop the rollups of the months it touched."""
    moments = [instance.started_at, getattr(instance, "ended_at", None)]
    previous = getattr(instance, "_rollup_previous", None)
    if previous:
        moments.extend(previous)
    moments = [m for m in moments if m is not None]
    if moments:
        rollups_invalidate(since=min(moments))


def _remember_previous(sender, instance, **kwargs) -> None:
    if instance.pk is None or kwargs.get("raw"):
        return
    instance._rollup_previous = (
        sender.objects.filter(pk=instance.pk).values_list("started_at", "ended_at").first()
    )


def connect_receivers() -> None:
    from django.db.models.signals import post_delete, post_save, pre_save

    for model in (Lease, DeviceOutage):
        pre_save.connect(_remember_previous, sender=model, dispatch_uid=f"rollup-pre-{model}")
        post_save.connect(_edited, sender=model, dispatch_uid=f"rollup-save-{model}")
        post_delete.connect(_edited, sender=model, dispatch_uid=f"rollup-delete-{model}")
