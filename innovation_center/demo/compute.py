"""The demo's compute: allocations and their renewals, the review queue, the capacity pools,
two idle grants, and usage (leases and their ledger charges).

The phases of each company's grants share its pool's devices out exactly (their caps add up
to the pool's devices), so the usage fills every pool and no phase is idle or behind. What
over-commits a pool is what real centers see: grants of the home pool that nobody runs, and
devices out of service.
"""

import datetime as dt
import functools
import math
import random
import re
from collections import Counter, defaultdict
from decimal import Decimal

from django.conf import settings
from django.urls import reverse

from innovation_center.accounts.models import Membership, NotificationKind
from innovation_center.compute import allocations, capacity
from innovation_center.compute.ledger import ledger_expire
from innovation_center.compute.models import (
    Accelerator,
    AcceleratorType,
    Allocation,
    AllocationRequest,
    CapacityPool,
    DeviceOutage,
    Lease,
    LedgerEntry,
    Site,
)
from innovation_center.core import clock
from innovation_center.demo import people
from innovation_center.demo.common import (
    BATCH_SIZE,
    SEED,
    add_months,
    backdate,
    office_hours_at,
)
from innovation_center.demo.data.compute import (
    ALLOCATION_PURPOSES,
    NEW_REQUEST_SUFFIX,
    REJECTION_REASONS,
)
from innovation_center.demo.data.network import (
    COMPANIES_PER_POOL,
    DEVICE_POOLS,
    POOL_OVERSUBSCRIPTION,
)

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
    """What companies ask for: their cap's devices around the clock for the period, give or
    take a percent, in tens of hours. Never more than the cap can run (the grant rules
    refuse that), never less than the usage can spend (no device is busy more than 98.5% of
    a month)."""
    most = cap * 24 * (ends_on - starts_on).days
    return Decimal(min(math.ceil(most * rng.uniform(0.99, 1.0) / 10) * 10, most))


def _asked_hours(hours: Decimal, asked_cap: int, cap: int) -> Decimal:
    return Decimal(math.ceil(hours * asked_cap / cap / 10) * 10)


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

    requests = []  # (plan, fields of the request, cap granted)
    ranks = Counter()
    for plan, pool_index in zip(incubating, pool_of, strict=False):
        site_code, preset, _prefix, devices = DEVICE_POOLS[pool_index]
        companies = COMPANIES_PER_POOL[pool_index]
        # The pool's devices are shared out between its companies, the same share in every
        # phase: the caps add up to the devices, so any mix of phases fills the pool exactly.
        rank, ranks[pool_index] = ranks[pool_index], ranks[pool_index] + 1
        share = devices // companies + (1 if rank < devices % companies else 0)
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
            # Demand exceeds supply: some ask for a device more than their share, and are
            # granted their share.
            asked_cap = share + max(0, rng.choice([-1, 0, 0, 1]))
            hours = _grant_hours(rng, share, starts_on, ends_on)
            requests.append(
                (
                    plan,
                    {
                        "purpose": f"{purpose}（第{phase}期）",
                        "status": AllocationRequest.Status.APPROVED,
                        "accelerator_type": accelerator_type,
                        "site": site,
                        "hours": _asked_hours(hours, asked_cap, share),
                        "granted_hours": hours,
                        "device_cap": asked_cap,
                        "starts_on": starts_on,
                        "ends_on": ends_on,
                        "reviewed_at": office_hours_at(
                            starts_on - dt.timedelta(days=rng.randint(3, 10)), rng
                        ),
                        "decision_reason": "",
                    },
                    share,
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
                None,
            )
        )

    existing = {
        (request.company_id, request.purpose): request
        for request in AllocationRequest.objects.all()
    }
    granted = set(Allocation.objects.values_list("request_id", flat=True))
    credits = []
    for plan, fields, cap in requests:
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
            device_cap=cap or request.device_cap,
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
    _credits_create(credits)


def _credits_create(credits: list[LedgerEntry]) -> None:
    """The grants' credits, dated when each request was approved (before its usage)."""
    LedgerEntry.objects.bulk_create(credits)
    backdate(
        LedgerEntry,
        credits,
        [
            credit.allocation.request.reviewed_at or credit.allocation.created_at
            for credit in credits
        ],
    )


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
    _credits_create(credits)


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
    """Expired allocations write off what they did not use, as the beat would have done on
    the night their period ended."""
    expired = Allocation.objects.filter(status=Allocation.Status.EXPIRED).exclude(
        ledger_entries__kind=LedgerEntry.Kind.EXPIRY
    )
    now = clock.now()
    rows, moments = [], []
    for allocation in expired:
        entry = ledger_expire(allocation=allocation)
        if entry is not None:
            ended = dt.datetime.combine(
                allocation.ends_on, dt.time(0, 15), tzinfo=clock.center_timezone()
            )
            rows.append(entry)
            moments.append(min(ended, now))
    backdate(LedgerEntry, rows, moments)


def seed_capacity_pools(*, admin) -> None:
    """A stored row for every pool of the calendar, as the capacity page would make them; the
    pools of `POOL_OVERSUBSCRIPTION` get their factor from the admin, with its history row.
    Only rows this run creates are given a factor: a factor staff changed stays theirs."""
    before = set(CapacityPool.objects.values_list("accelerator_type_id", "site_id"))
    capacity.ensure_pools()
    types = dict(AcceleratorType.objects.values_list("preset", "pk"))
    sites = dict(Site.objects.values_list("code", "pk"))
    for (preset, site_code), factor in POOL_OVERSUBSCRIPTION.items():
        key = (types[preset], sites[site_code] if site_code else None)
        if key in before:
            continue
        pool = CapacityPool.objects.filter(accelerator_type_id=key[0], site_id=key[1]).first()
        if pool is not None:
            capacity.pool_factor_set(pool=pool, actor=admin, factor=factor)


# The idle grants ----------------------------------------------------------------------------
#
# Two companies admitted after the others were granted hours of the home pool last month and
# have not run a job since: what the idle-allocation policy is for. The first one's notice
# went out longer ago than the grace period, so staff can lend its hours on its page at once;
# the second one is due its notice at the next run of the policy (beat's allocations sweep).
# Neither is a phase of the usage story, so the usage never runs on them.


def _idle_notice(allocation: Allocation):
    # The product's own notice: the demo grant has spent nothing, so all of it is unused.
    return functools.partial(allocations.idle_message, allocation, allocation.hours_granted)


def seed_idle_allocations(
    incubating, *, now: dt.datetime, reviewer, contacts: dict
) -> list[Allocation]:
    """The two idle grants (of the companies after those in the review queue), dated from
    the run that makes them; returns them, the one already noticed first."""
    today = clock.today(at=now)
    home = Site.objects.get(is_home=True)
    preset = next(preset for code, preset, *_rest in DEVICE_POOLS if code == home.code)
    accelerator_type = AcceleratorType.objects.get(preset=preset)
    grace, idle_days = settings.IDLE_GRACE_DAYS, settings.IDLE_DAYS
    plans = [
        # (company, cap, days since the start, months to the end, days since the notice)
        (incubating[47].company, 4, idle_days + grace + 21, 5, grace + 2),
        (incubating[48].company, 3, idle_days + 3, 4, None),
    ]
    found = []
    for company, cap, started_days_ago, months, noticed_days_ago in plans:
        rng = random.Random(f"{SEED}:{company.uscc}:idle")
        purpose = f"{rng.choice(ALLOCATION_PURPOSES)}{NEW_REQUEST_SUFFIX}"
        request = AllocationRequest.objects.filter(company=company, purpose=purpose).first()
        if request is not None:
            found.extend(Allocation.objects.filter(request=request))
            continue
        starts_on = today - dt.timedelta(days=started_days_ago)
        ends_on = add_months(today, months)
        hours = _grant_hours(rng, cap, starts_on, ends_on)
        request = AllocationRequest.objects.create(
            company=company,
            requested_by=contacts[company.pk],
            reviewed_by=reviewer,
            purpose=purpose,
            status=AllocationRequest.Status.APPROVED,
            accelerator_type=accelerator_type,
            site=home,
            hours=hours,
            granted_hours=hours,
            device_cap=cap,
            starts_on=starts_on,
            ends_on=ends_on,
            reviewed_at=office_hours_at(starts_on - dt.timedelta(days=rng.randint(2, 5)), rng),
        )
        allocation = Allocation.objects.create(
            company=company,
            request=request,
            accelerator_type=accelerator_type,
            site=home,
            hours_granted=hours,
            device_cap=cap,
            starts_on=starts_on,
            ends_on=ends_on,
            status=_allocation_status(starts_on, ends_on, today),
        )
        _credits_create(
            [
                LedgerEntry(
                    allocation=allocation,
                    kind=LedgerEntry.Kind.CREDIT,
                    available=hours,
                    reserved=Decimal("0"),
                    actor=reviewer,
                    memo=f"Grant for request #{request.pk}",
                )
            ]
        )
        if noticed_days_ago is not None:
            _idle_noticed(allocation, at=now - dt.timedelta(days=noticed_days_ago), now=now)
        found.append(allocation)
    return found


def _idle_noticed(allocation: Allocation, *, at: dt.datetime, now: dt.datetime) -> None:
    """The notice the policy sent at `at` (at the quarter hour of beat's sweep), unread."""
    at = at.replace(minute=at.minute - at.minute % 15, second=0, microsecond=0)
    Allocation.objects.filter(pk=allocation.pk).update(idle_noticed_at=at)
    owners = Membership.objects.filter(
        organisation=allocation.company.organisation, role=Membership.Role.COMPANY_OWNER
    ).select_related("user")
    url = reverse("compute:allocation_detail", args=[allocation.pk])
    people.notifications_create(
        [
            people.Message(
                owner.user,
                NotificationKind.ALLOCATION_CHANGE,
                _idle_notice(allocation),
                url,
                at,
                False,
            )
            for owner in owners
        ],
        now=now,
    )


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
