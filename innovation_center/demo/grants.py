"""The demo's allocations, their renewals and expiries, and the review queue (demo.compute)."""

import datetime as dt
import math
import random
import re
from collections import Counter
from decimal import Decimal

from innovation_center.compute.ledger import ledger_expire
from innovation_center.compute.models import (
    AcceleratorType,
    Allocation,
    AllocationRequest,
    LedgerEntry,
    Site,
)
from innovation_center.core import clock
from innovation_center.demo.common import SEED, add_months, backdate, office_hours_at
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
