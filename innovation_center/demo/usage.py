"""The demo's usage: leases on the pools' devices and their ledger charges (demo.compute)."""

import datetime as dt
import math
import random
from collections import defaultdict
from decimal import Decimal

from innovation_center.compute.models import (
    Accelerator,
    Allocation,
    DeviceOutage,
    Lease,
    LedgerEntry,
    Site,
)
from innovation_center.compute.rollups import rollups_invalidate
from innovation_center.core import clock
from innovation_center.demo.common import BATCH_SIZE, SEED, backdate
from innovation_center.demo.grants import PHASE, SIX_PLACES


def _covers(allocation: Allocation, site: Site, accelerator_type, first: dt.date, after: dt.date):
    return (
        allocation.starts_on <= first
        and allocation.ends_on >= after
        and allocation.site_id in (None, site.pk)
        and allocation.accelerator_type_id in (None, accelerator_type.pk)
    )


def _pick_allocations(pool_devices, candidates, remaining, rng) -> list:
    """Pair each device with an allocation for the month, within every allocation's cap.

    Allocations naming both the site and the type come first, then site-only, then
    type-only ones; within a tier, devices are dealt round-robin.
    """
    tiers = [
        [a for a in candidates if a.site_id and a.accelerator_type_id],
        [a for a in candidates if a.site_id and not a.accelerator_type_id],
        [a for a in candidates if not a.site_id],
    ]
    devices = list(pool_devices)
    rng.shuffle(devices)
    pairs = []
    for tier in tiers:
        rng.shuffle(tier)
        while devices and any(remaining[a.pk] for a in tier):
            for allocation in tier:
                if devices and remaining[allocation.pk]:
                    remaining[allocation.pk] -= 1
                    pairs.append((devices.pop(), allocation))
    return pairs


def _device_month_leases(device, allocation, start, minutes, site_target) -> list[Lease]:
    """Back-to-back leases of 3–30 h with short gaps, busy for about `site_target` of the
    month's `minutes`."""
    rng = random.Random(f"{SEED}:{device.name}:{start:%Y-%m}")
    share = min(0.985, max(0.905, site_target + rng.uniform(-0.02, 0.02)))
    busy = round(minutes * share)
    durations = []
    while sum(durations) < busy:
        durations.append(rng.randint(180, 1800))
    durations[-1] -= sum(durations) - busy
    if durations[-1] < 60 and len(durations) > 1:
        shortest = durations.pop()
        durations[-1] += shortest
    weights = [rng.random() + 0.1 for _ in range(len(durations) + 1)]
    idle = minutes - busy
    gaps = [math.floor(idle * weight / sum(weights)) for weight in weights]
    moment = start + dt.timedelta(minutes=gaps[0])
    leases = []
    for duration, gap in zip(durations, gaps[1:], strict=True):
        ended = moment + dt.timedelta(minutes=duration)
        leases.append(
            Lease(accelerator=device, allocation=allocation, started_at=moment, ended_at=ended)
        )
        moment = ended + dt.timedelta(minutes=gap)
    return leases


# Usage of the last days before a run is charged by day, older usage by week: the idle
# policy reads the last 28 days' spending by day, the burn-down charts draw weeks.
DAILY_CHARGES_DAYS = 35
END_OF_DAY = dt.time(23, 59, 59)


def _charged_at(
    ended_at: dt.datetime, hi: dt.datetime, daily_from: dt.datetime, zone: dt.tzinfo
) -> dt.datetime:
    """When a lease's usage is charged: at the end of the day it ended on (of its week, for
    leases before `daily_from`), or at `hi`, where the span stops."""
    day = ended_at.astimezone(zone).date()
    if ended_at < daily_from:
        day += dt.timedelta(days=6 - day.weekday())
    return min(dt.datetime.combine(day, END_OF_DAY, tzinfo=zone), hi)


def seed_usage(*, since: dt.datetime, until: dt.datetime) -> None:
    """Leases for every device between `since` and `until`, and their charges.

    Each device's month is drawn whole from its own seeded generator, whenever it is drawn,
    and only the leases that start in [since, until) are written, the last one cut at
    `until`: a month filled in two runs has the leases of one run, but for that cut. Leases
    that would overlap a device's outage are left out. Only the phases of the companies'
    grants run: a grant made otherwise (the idle ones, those staff approve in the demo) runs
    real jobs only. Usage is charged per allocation and day (week, before the last
    DAILY_CHARGES_DAYS), dated at its end, in spans that never overlap, so no hour is charged
    twice.
    """
    if until <= since:
        return
    devices = list(Accelerator.objects.select_related("site", "accelerator_type"))
    pools = defaultdict(list)
    for device in sorted(devices, key=lambda d: d.name):
        pools[(device.site, device.accelerator_type)].append(device)
    pool_order = sorted(pools, key=lambda key: (not key[0].is_home, key[0].code, key[1].preset))
    allocations = [
        allocation
        for allocation in Allocation.objects.exclude(status=Allocation.Status.REVOKED)
        .select_related("company", "request")
        .order_by("company__legal_name", "starts_on", "pk")
        if allocation.request and PHASE.search(allocation.request.purpose)
    ]
    outages = defaultdict(list)
    for device_id, started, ended in DeviceOutage.objects.values_list(
        "accelerator_id", "started_at", "ended_at"
    ):
        outages[device_id].append((started, ended))
    daily_from = until - dt.timedelta(days=DAILY_CHARGES_DAYS)
    zone = clock.center_timezone()
    month = clock.month_of(since)
    while clock.month_bounds(*month)[0] < until:
        start, end = clock.month_bounds(*month)
        lo, hi = max(start, since), min(end, until)
        first, after = clock.first_day(month), clock.first_day(clock.add_months(month, 1))
        minutes = int((end - start).total_seconds() // 60)
        remaining = {allocation.pk: allocation.device_cap for allocation in allocations}
        used_seconds = defaultdict(int)  # (allocation id, when charged) -> seconds
        leases = []
        for site, accelerator_type in pool_order:
            pool_devices = pools[(site, accelerator_type)]
            rng = random.Random(f"{SEED}:{site.code}:{accelerator_type.preset}:{first:%Y-%m}")
            site_target = rng.uniform(0.925, 0.965)
            candidates = [
                a for a in allocations if _covers(a, site, accelerator_type, first, after)
            ]
            for device, allocation in _pick_allocations(pool_devices, candidates, remaining, rng):
                for lease in _device_month_leases(device, allocation, start, minutes, site_target):
                    if not lo <= lease.started_at < hi:
                        continue
                    lease.ended_at = min(lease.ended_at, hi)
                    if any(
                        o_start < lease.ended_at and (o_end is None or o_end > lease.started_at)
                        for o_start, o_end in outages.get(device.pk, [])
                    ):
                        continue
                    leases.append(lease)
                    used_seconds[
                        (allocation.pk, _charged_at(lease.ended_at, hi, daily_from, zone))
                    ] += int((lease.ended_at - lease.started_at).total_seconds())
        Lease.objects.bulk_create(leases, batch_size=BATCH_SIZE)
        if leases:  # bulk inserts send no signals: drop the stored months they reach into
            rollups_invalidate(since=min(lease.started_at for lease in leases))

        entries, moments = [], []
        for (allocation_id, moment), seconds in sorted(used_seconds.items()):
            hours = (Decimal(seconds) / 3600).quantize(SIX_PLACES)
            memo = f"Usage to {clock.local(moment):%Y-%m-%d %H:%M}"
            entries += [
                LedgerEntry(
                    allocation_id=allocation_id,
                    kind=LedgerEntry.Kind.RESERVE,
                    available=-hours,
                    reserved=hours,
                    memo=memo,
                ),
                LedgerEntry(
                    allocation_id=allocation_id,
                    kind=LedgerEntry.Kind.CHARGE,
                    available=Decimal("0"),
                    reserved=-hours,
                    memo=memo,
                ),
            ]
            moments += [moment, moment]
        LedgerEntry.objects.bulk_create(entries, batch_size=BATCH_SIZE)
        backdate(LedgerEntry, entries, moments)
        month = clock.add_months(month, 1)
