"""The demo's compute: allocations and their renewals, the review queue, and usage
(leases and their ledger charges)."""

import datetime as dt
import math
import random
import re
from collections import defaultdict
from decimal import Decimal

from innovation_center.compute.ledger import ledger_expire
from innovation_center.compute.models import (
    Accelerator,
    AcceleratorType,
    Allocation,
    AllocationRequest,
    DeviceOutage,
    Lease,
    LedgerEntry,
    Site,
)
from innovation_center.core import clock
from innovation_center.demo.common import BATCH_SIZE, SEED, add_months, office_hours_at
from innovation_center.demo.data.compute import ALLOCATION_PURPOSES, REJECTION_REASONS
from innovation_center.demo.data.network import COMPANIES_PER_POOL, DEVICE_POOLS

SIX_PLACES = Decimal("0.000001")
# Approved demo requests end in their phase, e.g. "（第2期）"; a renewal is the next phase.
PHASE = re.compile(r"（第(\d+)期）$")


def _allocation_status(starts_on: dt.date, ends_on: dt.date, today: dt.date) -> str:
    if ends_on <= today:
        return Allocation.Status.EXPIRED
    if starts_on <= today:
        return Allocation.Status.ACTIVE
    return Allocation.Status.SCHEDULED


def _grant_hours(rng: random.Random, cap: int, starts_on: dt.date, ends_on: dt.date) -> Decimal:
    # At least the cap's devices busy around the clock: usage can never exceed the grant.
    most = cap * 24 * (ends_on - starts_on).days * rng.uniform(1.0, 1.15)
    return Decimal(math.ceil(most / 100) * 100)


def seed_allocations(rng, incubating, *, today: dt.date, reviewer, contacts: dict) -> None:
    types = {t.preset: t for t in AcceleratorType.objects.all()}
    sites = {s.code: s for s in Site.objects.all()}
    current = today.replace(day=1)
    first_month = add_months(current, -12)

    pool_of = [index for index, count in enumerate(COMPANIES_PER_POOL) for _ in range(count)]
    # The demo owner's company (the first incubating one) computes at the home site.
    rest = pool_of[1:]
    rng.shuffle(rest)
    pool_of = [pool_of[0], *rest]

    requests = []  # (plan, fields of the request)
    for plan, pool_index in zip(incubating, pool_of, strict=False):
        site_code, preset, _prefix, devices = DEVICE_POOLS[pool_index]
        companies = COMPANIES_PER_POOL[pool_index]
        # Each company's caps alone cover its share, so any mix of phases fills the pool.
        least_cap = math.ceil(devices / companies)
        usual_cap = math.ceil(devices * 1.3 / companies)
        draw = rng.random()
        site, accelerator_type = sites[site_code], types[preset]
        if plan is not incubating[0]:
            if site_code == "wuhan" and draw < 1 / 3:
                site = None  # any Ascend 910 of the network
            elif site_code in ("xian", "chengdu", "nanjing") and draw < 0.3:
                accelerator_type = None  # any device of that site
        purpose = rng.choice(ALLOCATION_PURPOSES)
        first_end = add_months(first_month, rng.randint(4, 8))
        periods = [
            (add_months(first_month, -rng.randint(0, 3)), first_end),
            (first_end, add_months(current, rng.randint(1, 5))),
        ]
        for phase, (starts_on, ends_on) in enumerate(periods, start=1):
            cap = max(least_cap, usual_cap + rng.choice([-1, 0, 0, 1]))
            hours = _grant_hours(rng, cap, starts_on, ends_on)
            requests.append(
                (
                    plan,
                    {
                        "purpose": f"{purpose}（第{phase}期）",
                        "status": AllocationRequest.Status.APPROVED,
                        "accelerator_type": accelerator_type,
                        "site": site,
                        "hours": hours,
                        "granted_hours": hours,
                        "device_cap": cap,
                        "starts_on": starts_on,
                        "ends_on": ends_on,
                        "reviewed_at": office_hours_at(
                            starts_on - dt.timedelta(days=rng.randint(3, 10)), rng
                        ),
                        "decision_reason": "",
                    },
                )
            )

    # The review queue: pending requests (one of them the demo owner's) and two rejections.
    next_month = add_months(current, 1)
    waiting = [(incubating[0], AllocationRequest.Status.PENDING)]
    waiting += [(plan, AllocationRequest.Status.PENDING) for plan in incubating[40:45]]
    waiting += [(plan, AllocationRequest.Status.REJECTED) for plan in incubating[45:47]]
    for number, (plan, status) in enumerate(waiting):
        preset = rng.choice(["sim-ascend910", "sim-ascend910", "sim-h200", "sim-a100"])
        ends_on = add_months(next_month, rng.randint(3, 6))
        rejected = status == AllocationRequest.Status.REJECTED
        requests.append(
            (
                plan,
                {
                    "purpose": f"{rng.choice(ALLOCATION_PURPOSES)}（新增申请）",
                    "status": status,
                    "accelerator_type": types[preset],
                    "site": None,
                    "hours": Decimal(rng.choice([500, 800, 1200, 2000, 3000])),
                    "device_cap": rng.choice([2, 4, 8]),
                    "starts_on": next_month,
                    "ends_on": ends_on,
                    "reviewed_at": office_hours_at(today - dt.timedelta(days=2), rng)
                    if rejected
                    else None,
                    "decision_reason": REJECTION_REASONS[number % 2] if rejected else "",
                },
            )
        )

    existing = {
        (request.company_id, request.purpose): request
        for request in AllocationRequest.objects.all()
    }
    granted = set(Allocation.objects.values_list("request_id", flat=True))
    credits = []
    for plan, fields in requests:
        company = plan.company
        request = existing.get((company.pk, fields["purpose"]))
        if request is None:
            decided = fields["status"] != AllocationRequest.Status.PENDING
            request = AllocationRequest.objects.create(
                company=company,
                requested_by=contacts[company.pk],
                reviewed_by=reviewer if decided else None,
                **fields,
            )
        if request.status != AllocationRequest.Status.APPROVED or request.pk in granted:
            continue
        allocation = Allocation.objects.create(
            company=company,
            request=request,
            accelerator_type=request.accelerator_type,
            site=request.site,
            hours_granted=request.granted_hours,
            device_cap=request.device_cap,
            starts_on=request.starts_on,
            ends_on=request.ends_on,
            status=_allocation_status(request.starts_on, request.ends_on, today),
        )
        credits.append(
            LedgerEntry(
                allocation=allocation,
                kind=LedgerEntry.Kind.CREDIT,
                available=allocation.hours_granted,
                reserved=Decimal("0"),
                actor=reviewer,
                memo=f"Grant for request #{request.pk}",
            )
        )
    LedgerEntry.objects.bulk_create(credits)


def seed_renewals(incubating, *, today: dt.date, reviewer, contacts: dict) -> None:
    """Each incubating company renews its grant when it ends, as the real ones do, so the
    pools stay busy in every month up to the one after `today`.

    A renewal continues the company's latest phase with the same pool and cap, for 3–6
    months drawn from a generator seeded by company and phase: the same on every run.
    """
    horizon = add_months(today, 2)
    companies = [plan.company for plan in incubating]
    latest = {}
    for allocation in (
        Allocation.objects.filter(company__in=companies)
        .select_related("request", "accelerator_type", "site")
        .order_by("ends_on", "pk")
    ):
        if allocation.request and PHASE.search(allocation.request.purpose):
            latest[allocation.company_id] = allocation
    credits = []
    for company in companies:
        last = latest.get(company.pk)
        while last is not None and last.ends_on < horizon:
            phase = int(PHASE.search(last.request.purpose)[1]) + 1
            rng = random.Random(f"{SEED}:{company.uscc}:phase-{phase}")
            starts_on = last.ends_on
            ends_on = add_months(starts_on, rng.randint(3, 6))
            hours = _grant_hours(rng, last.device_cap, starts_on, ends_on)
            request = AllocationRequest.objects.create(
                company=company,
                requested_by=contacts[company.pk],
                reviewed_by=reviewer,
                purpose=PHASE.sub(f"（第{phase}期）", last.request.purpose),
                status=AllocationRequest.Status.APPROVED,
                accelerator_type=last.accelerator_type,
                site=last.site,
                hours=hours,
                granted_hours=hours,
                device_cap=last.device_cap,
                starts_on=starts_on,
                ends_on=ends_on,
                reviewed_at=office_hours_at(starts_on - dt.timedelta(days=rng.randint(3, 10)), rng),
            )
            last = Allocation.objects.create(
                company=company,
                request=request,
                accelerator_type=request.accelerator_type,
                site=request.site,
                hours_granted=hours,
                device_cap=request.device_cap,
                starts_on=starts_on,
                ends_on=ends_on,
                status=_allocation_status(starts_on, ends_on, today),
            )
            credits.append(
                LedgerEntry(
                    allocation=last,
                    kind=LedgerEntry.Kind.CREDIT,
                    available=hours,
                    reserved=Decimal("0"),
                    actor=reviewer,
                    memo=f"Grant for request #{request.pk}",
                )
            )
    LedgerEntry.objects.bulk_create(credits)


def roll_pending_requests(*, today: dt.date) -> None:
    """Pending demo requests whose period has begun move to the coming month, keeping their
    length, so the review queue always asks for time that is still ahead."""
    next_month = add_months(today, 1)
    for request in AllocationRequest.objects.filter(
        status=AllocationRequest.Status.PENDING, starts_on__lte=today
    ):
        months = clock.months_between(
            clock.month_of(request.starts_on), clock.month_of(request.ends_on)
        )
        AllocationRequest.objects.filter(pk=request.pk).update(
            starts_on=next_month, ends_on=add_months(next_month, max(months, 1))
        )


def seed_expiries() -> None:
    """Expired allocations write off what they did not use, as the beat would have done."""
    expired = Allocation.objects.filter(status=Allocation.Status.EXPIRED).exclude(
        ledger_entries__kind=LedgerEntry.Kind.EXPIRY
    )
    for allocation in expired:
        ledger_expire(allocation=allocation)


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


def seed_usage(*, since: dt.datetime, until: dt.datetime) -> None:
    """Leases for every device between `since` and `until`, and their charges.

    Each device's month is drawn whole from its own seeded generator, whenever it is drawn,
    and only the leases that start in [since, until) are written, the last one cut at
    `until`: a month filled in two runs has the leases of one run, but for that cut. Leases
    that would overlap a device's outage are left out. Usage is charged per allocation and
    span, so no span is charged twice.
    """
    if until <= since:
        return
    devices = list(Accelerator.objects.select_related("site", "accelerator_type"))
    pools = defaultdict(list)
    for device in sorted(devices, key=lambda d: d.name):
        pools[(device.site, device.accelerator_type)].append(device)
    pool_order = sorted(pools, key=lambda key: (not key[0].is_home, key[0].code, key[1].preset))
    allocations = list(
        Allocation.objects.exclude(status=Allocation.Status.REVOKED)
        .select_related("company")
        .order_by("company__legal_name", "starts_on", "pk")
    )
    outages = defaultdict(list)
    for device_id, started, ended in DeviceOutage.objects.values_list(
        "accelerator_id", "started_at", "ended_at"
    ):
        outages[device_id].append((started, ended))
    month = clock.month_of(since)
    while clock.month_bounds(*month)[0] < until:
        start, end = clock.month_bounds(*month)
        lo, hi = max(start, since), min(end, until)
        first, after = clock.first_day(month), clock.first_day(clock.add_months(month, 1))
        minutes = int((end - start).total_seconds() // 60)
        remaining = {allocation.pk: allocation.device_cap for allocation in allocations}
        used_seconds = defaultdict(int)
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
                    used_seconds[allocation.pk] += int(
                        (lease.ended_at - lease.started_at).total_seconds()
                    )
        Lease.objects.bulk_create(leases, batch_size=BATCH_SIZE)

        memo = f"Usage {clock.local(lo):%Y-%m-%d %H:%M} – {clock.local(hi):%Y-%m-%d %H:%M}"
        entries = []
        for allocation in allocations:
            if not used_seconds[allocation.pk]:
                continue
            hours = (Decimal(used_seconds[allocation.pk]) / 3600).quantize(SIX_PLACES)
            entries += [
                LedgerEntry(
                    allocation=allocation,
                    kind=LedgerEntry.Kind.RESERVE,
                    available=-hours,
                    reserved=hours,
                    memo=memo,
                ),
                LedgerEntry(
                    allocation=allocation,
                    kind=LedgerEntry.Kind.CHARGE,
                    available=Decimal("0"),
                    reserved=-hours,
                    memo=memo,
                ),
            ]
        LedgerEntry.objects.bulk_create(entries, batch_size=BATCH_SIZE)
        month = clock.add_months(month, 1)
