"""The capacity calendar: for each pool and day, device-hours in service, hours committed to
grants, and hours free. The one reader every page, the API and the grant rules use.

A *pool* is the devices of an accelerator type at a site, or of a type at any site (the
"any site" pools span the sites), or, for requests that name only a site, every type at that
site. `None` in a pool key means "any".

- In service: 24 h per device and day, minus the hours of its outages (an open outage —
  draining or failed — lasts to the end of the calendar; a planned one, its own period).
- Committed: the unspent part (available + reserved) of every scheduled, active or
  suspended allocation, spread evenly over what is left of its period, at most its cap × 24 h
  a day. An allocation whose devices are only partly in a pool (an any-site grant seen from
  one site) counts for the pool's share of its devices.
- Free: in service × the pool's over-subscription factor − committed (negative: over-booked).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from innovation_center.accounts.services import audit_record
from innovation_center.compute.models import (
    Accelerator,
    AcceleratorType,
    Allocation,
    CapacityPool,
    DeviceOutage,
    LedgerEntry,
    Site,
)
from innovation_center.core import clock
from innovation_center.core.errors import ApplicationError

PoolKey = tuple[int | None, int | None]
COMMITTING = (
    Allocation.Status.SCHEDULED,
    Allocation.Status.ACTIVE,
    Allocation.Status.SUSPENDED,
)
HOURS_PER_DAY = 24.0
# The calendar's default horizon: 26 weeks.
SIX_MONTHS_DAYS = 182


def default_oversubscription() -> Decimal:
    return Decimal(str(getattr(settings, "CAPACITY_OVERSUBSCRIPTION", "1.0")))


def period_hours(starts_on: dt.date, ends_on: dt.date) -> float:
    return max((ends_on - starts_on).days, 0) * HOURS_PER_DAY


def _matches(key: PoolKey, type_id: int, site_id: int) -> bool:
    return (key[0] is None or key[0] == type_id) and (key[1] is None or key[1] == site_id)


@dataclass
class Calendar:
    """Hours per pool (rows) and day (columns), from `start` (inclusive) to `end` (exclusive)."""

    start: dt.date
    end: dt.date
    pools: list[PoolKey]
    labels: dict[PoolKey, str]
    devices: dict[PoolKey, int]
    factors: dict[PoolKey, float]
    in_service: np.ndarray
    committed: np.ndarray
    row: dict[PoolKey, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.row = {key: i for i, key in enumerate(self.pools)}

    @property
    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range((self.end - self.start).days)]

    def limit(self) -> np.ndarray:
        factors = np.array([self.factors[key] for key in self.pools]).reshape(-1, 1)
        return self.in_service * factors

    def free(self) -> np.ndarray:
        return self.limit() - self.committed

    def _columns(self, starts_on: dt.date, ends_on: dt.date) -> slice:
        lo = max((starts_on - self.start).days, 0)
        hi = min((ends_on - self.start).days, (self.end - self.start).days)
        return slice(lo, max(hi, lo))

    def totals(self, key: PoolKey, starts_on: dt.date, ends_on: dt.date) -> PoolTotals:
        """In service, committed, limit and free hours of one pool over a period."""
        i, cols = self.row[key], self._columns(starts_on, ends_on)
        in_service = float(self.in_service[i, cols].sum())
        committed = float(self.committed[i, cols].sum())
        limit = in_service * self.factors[key]
        return PoolTotals(
            key=key,
            label=self.labels[key],
            in_service=in_service,
            committed=committed,
            factor=self.factors[key],
            limit=limit,
            free=limit - committed,
            free_plain=in_service - committed,
        )

    def weeks(self) -> list[tuple[dt.date, slice]]:
        """Week columns (Monday-aligned as the calendar's start allows) for the heat map."""
        out, day = [], self.start
        while day < self.end:
            nxt = min(day + dt.timedelta(days=7 - day.weekday()), self.end)
            out.append((day, self._columns(day, nxt)))
            day = nxt
        return out


@dataclass(frozen=True)
class PoolTotals:
    key: PoolKey
    label: str
    in_service: float
    committed: float
    factor: float
    limit: float
    free: float  # within the over-subscription factor
    free_plain: float  # against the devices alone

    @property
    def load(self) -> float | None:
        """Committed share of the limit (1.0 = fully booked)."""
        return self.committed / self.limit if self.limit else None


def _device_rows() -> list[tuple[int, int, int]]:
    return list(Accelerator.objects.values_list("id", "accelerator_type_id", "site_id"))


def pool_keys(devices: list[tuple[int, int, int]], extra: list[PoolKey] = ()) -> list[PoolKey]:
    """Every (type, site) with devices, every type at any site, and any extra keys asked for."""
    concrete = sorted({(t, s) for _d, t, s in devices})
    any_site = sorted({(t, None) for t, _s in concrete})
    keys = []
    for key in [*concrete, *any_site, *extra]:
        if key not in keys:
            keys.append(key)
    return keys


def _labels(keys: list[PoolKey]) -> dict[PoolKey, str]:
    types = dict(AcceleratorType.objects.values_list("id", "name"))
    sites = dict(Site.objects.values_list("id", "name"))
    return {
        key: "{} · {}".format(
            types.get(key[0], "?") if key[0] else _("any type"),
            sites.get(key[1], "?") if key[1] else _("any site"),
        )
        for key in keys
    }


def _factors(keys: list[PoolKey]) -> dict[PoolKey, float]:
    stored = {
        (t, s): float(f)
        for t, s, f in CapacityPool.objects.values_list(
            "accelerator_type_id", "site_id", "oversubscription"
        )
    }
    default = float(default_oversubscription())
    return {key: stored.get(key, default) for key in keys}


def unspent_hours(allocation_ids) -> dict[int, float]:
    """Available + reserved hours of each allocation (what it may still spend)."""
    rows = (
        LedgerEntry.objects.filter(allocation_id__in=list(allocation_ids))
        .values("allocation_id")
        .annotate(a=Sum("available"), r=Sum("reserved"))
        .values_list("allocation_id", "a", "r")
    )
    return {pk: float(a or 0) + float(r or 0) for pk, a, r in rows}


def capacity_calendar(
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    extra_pools: list[PoolKey] = (),
    today: dt.date | None = None,
    exclude_allocation: int | None = None,
) -> Calendar:
    """The calendar from `start` (default today) to `end` (default six months on)."""
    today = today or clock.today()
    start = start or today
    end = end or start + dt.timedelta(days=SIX_MONTHS_DAYS)
    n_days = max((end - start).days, 0)
    devices = _device_rows()
    keys = pool_keys(devices, list(extra_pools))
    members = {key: {d for d, t, s in devices if _matches(key, t, s)} for key in keys}
    in_service = np.zeros((len(keys), n_days))
    for i, key in enumerate(keys):
        in_service[i, :] = len(members[key]) * HOURS_PER_DAY
    day0 = dt.datetime.combine(start, dt.time(), tzinfo=clock.center_timezone())
    horizon = day0 + dt.timedelta(days=n_days)
    outages = DeviceOutage.objects.filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=day0), started_at__lt=horizon
    ).values_list("accelerator_id", "started_at", "ended_at")
    lost = np.zeros(n_days)
    for device, started, ended in outages:
        lost[:] = 0
        lo, hi = max(started, day0), min(ended or horizon, horizon)
        day = lo
        while day < hi:
            index = int((day - day0).total_seconds() // 86400)
            boundary = day0 + dt.timedelta(days=index + 1)
            lost[index] += (min(boundary, hi) - day).total_seconds() / 3600
            day = boundary
        for i, key in enumerate(keys):
            if device in members[key]:
                in_service[i, :] -= lost
    committed = np.zeros((len(keys), n_days))
    allocations = list(
        Allocation.objects.filter(status__in=COMMITTING, ends_on__gt=max(start, today))
        .exclude(pk=exclude_allocation)
        .values_list("id", "accelerator_type_id", "site_id", "device_cap", "starts_on", "ends_on")
    )
    unspent = unspent_hours([a[0] for a in allocations])
    for pk, type_id, site_id, cap, starts_on, ends_on in allocations:
        hours = unspent.get(pk, 0.0)
        remaining_from = max(starts_on, today)
        remaining_days = (ends_on - remaining_from).days
        if hours <= 0 or remaining_days <= 0:
            continue
        own = {d for d, t, s in devices if _matches((type_id, site_id), t, s)}
        if not own:
            continue
        rate = min(hours / remaining_days, cap * HOURS_PER_DAY)
        lo = max((remaining_from - start).days, 0)
        hi = min((ends_on - start).days, n_days)
        if hi <= lo:
            continue
        for i, key in enumerate(keys):
            share = len(own & members[key]) / len(own)
            if share:
                committed[i, lo:hi] += rate * share
    return Calendar(
        start=start,
        end=end,
        pools=keys,
        labels=_labels(keys),
        devices={key: len(members[key]) for key in keys},
        factors=_factors(keys),
        in_service=np.maximum(in_service, 0),
        committed=committed,
    )


def pool_totals(
    *,
    type_id: int | None,
    site_id: int | None,
    starts_on: dt.date,
    ends_on: dt.date,
    exclude_allocation: int | None = None,
) -> PoolTotals:
    """One pool over one period: what a request, a grant or a change is checked against."""
    key = (type_id, site_id)
    calendar = capacity_calendar(
        start=starts_on,
        end=ends_on,
        extra_pools=[key],
        exclude_allocation=exclude_allocation,
    )
    return calendar.totals(key, starts_on, ends_on)


def overlapping_pools(type_id: int | None, site_id: int | None) -> Q:
    """The stored pools whose devices may be shared with (type, site)."""
    condition = Q()
    if type_id is not None:
        condition &= Q(accelerator_type_id=type_id) | Q(accelerator_type__isnull=True)
    if site_id is not None:
        condition &= Q(site_id=site_id) | Q(site__isnull=True)
    return condition


def pools_lock(*, type_id: int | None, site_id: int | None) -> list[CapacityPool]:
    """Lock the pool rows a grant on (type, site) draws from, in one order (no deadlock).

    Called inside the grant's transaction: a second reviewer approving in the same pools
    waits here until the first has committed, then sees the first grant in the calendar.
    """
    ensure_pool(type_id=type_id, site_id=site_id)
    return list(
        CapacityPool.objects.select_for_update()
        .filter(overlapping_pools(type_id, site_id))
        .order_by("pk")
    )


def ensure_pool(*, type_id: int | None, site_id: int | None) -> CapacityPool:
    pool = CapacityPool.objects.filter(accelerator_type_id=type_id, site_id=site_id).first()
    if pool is not None:
        return pool
    try:
        with transaction.atomic():
            return CapacityPool.objects.create(
                accelerator_type_id=type_id,
                site_id=site_id,
                oversubscription=default_oversubscription(),
            )
    except IntegrityError:  # created at the same moment by another grant
        return CapacityPool.objects.get(accelerator_type_id=type_id, site_id=site_id)


def ensure_pools() -> None:
    """A stored row (with its factor) for every pool of the calendar."""
    existing = set(CapacityPool.objects.values_list("accelerator_type_id", "site_id"))
    for type_id, site_id in pool_keys(_device_rows()):
        if (type_id, site_id) not in existing:
            ensure_pool(type_id=type_id, site_id=site_id)


def heat_map(calendar: Calendar) -> list[dict]:
    """Rows for the staff page: per pool, per week, the load (committed / limit)."""
    rows = []
    for key in calendar.pools:
        i = calendar.row[key]
        cells = []
        for week_start, cols in calendar.weeks():
            limit = float(calendar.in_service[i, cols].sum()) * calendar.factors[key]
            committed = float(calendar.committed[i, cols].sum())
            load = committed / limit if limit else None
            cells.append(
                {
                    "week": week_start,
                    "limit": limit,
                    "committed": committed,
                    "free": limit - committed,
                    "load": load,
                    "over": load is not None and load > 1.0 + 1e-9,
                    "level": _level(load),
                }
            )
        rows.append(
            {
                "key": key,
                "label": calendar.labels[key],
                "devices": calendar.devices[key],
                "factor": calendar.factors[key],
                "cells": cells,
                "over_weeks": sum(1 for c in cells if c["over"]),
            }
        )
    return rows


def _level(load: float | None) -> int:
    """0–5 for the heat map's colours: empty, light … full, over-committed."""
    if load is None:
        return 0
    if load > 1.0 + 1e-9:
        return 5
    return min(4, int(load * 4) + (1 if load > 0 else 0))


@transaction.atomic
def pool_factor_set(*, pool: CapacityPool, actor, factor) -> CapacityPool:
    """Change a pool's over-subscription factor (1.00–5.00), with its history row."""
    factor = Decimal(str(factor))
    if not Decimal("1") <= factor <= Decimal("5"):
        raise ApplicationError(
            _("The over-subscription factor must be between 1.00 and 5.00; %(given)s is not.")
            % {"given": factor},
            field_errors={"oversubscription": [_("Enter 1.00–5.00.")]},
        )
    pool = CapacityPool.objects.select_for_update().get(pk=pool.pk)
    before = pool.oversubscription
    pool.oversubscription = factor
    pool.save(update_fields=["oversubscription"])
    audit_record(
        actor=actor,
        instance=pool,
        action="oversubscription",
        before={"oversubscription": str(before)},
        after={"oversubscription": str(factor)},
    )
    return pool


def outlook(*, days: int = 90) -> list[PoolTotals]:
    """Each pool over the next `days`: what the request form and the dashboard show."""
    today = clock.today()
    calendar = capacity_calendar(start=today, end=today + dt.timedelta(days=days))
    return [calendar.totals(key, calendar.start, calendar.end) for key in calendar.pools]
