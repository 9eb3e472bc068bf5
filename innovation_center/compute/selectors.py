"""Reads of the compute side: balances, the review queue, utilization, queue waits."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, When
from django.db.models.functions import Coalesce

from innovation_center.accounts.access import scoped_queryset
from innovation_center.compute import capacity, rollups
from innovation_center.compute.ledger import exact_hours
from innovation_center.compute.models import (
    AcceleratorType,
    Allocation,
    AllocationRequest,
    LedgerEntry,
    Site,
    Workload,
)
from innovation_center.core import clock
from innovation_center.ecosystem.models import Company

ZERO = Decimal("0")


@dataclass(frozen=True)
class Balance:
    available: Decimal
    reserved: Decimal
    spent: Decimal


def allocation_balance(*, allocation: Allocation) -> Balance:
    """The allocation's hours, summed from its ledger rows (never a stored counter)."""
    return allocation_balances(allocation_ids=[allocation.pk]).get(
        allocation.pk, Balance(ZERO, ZERO, ZERO)
    )


def allocation_balances(*, allocation_ids) -> dict[int, Balance]:
    """Balances of many allocations in one query."""
    rows = (
        LedgerEntry.objects.filter(allocation_id__in=list(allocation_ids))
        .values("allocation_id")
        .annotate(
            available_sum=Sum("available"),
            reserved_sum=Sum("reserved"),
            spent_sum=Sum("reserved", filter=Q(kind=LedgerEntry.Kind.CHARGE)),
        )
    )
    # SQLite sums decimals as floats; the ledger's quantum restores the exact value.
    return {
        r["allocation_id"]: Balance(
            available=exact_hours(r["available_sum"]),
            reserved=exact_hours(r["reserved_sum"]),
            spent=-exact_hours(r["spent_sum"]),
        )
        for r in rows
    }


def allocation_list(*, user, status: str | None = None):
    qs = scoped_queryset(user, Allocation).select_related("company", "accelerator_type", "site")
    if status:
        qs = qs.filter(status=status)
    return qs


@dataclass
class UtilizationRow:
    key: int | None
    label: str
    devices: int = 0
    capacity_seconds: float = 0.0  # device-seconds in the period
    out_of_service_seconds: float = 0.0  # draining or failed, excluded from available
    busy_seconds: float = 0.0

    @property
    def available_seconds(self) -> float:
        return self.capacity_seconds - self.out_of_service_seconds

    @property
    def utilization(self) -> float | None:
        return self.busy_seconds / self.available_seconds if self.available_seconds > 0 else None

    @property
    def busy_hours(self) -> float:
        return self.busy_seconds / 3600

    @property
    def available_hours(self) -> float:
        return self.available_seconds / 3600

    @property
    def out_of_service_hours(self) -> float:
        return self.out_of_service_seconds / 3600


@dataclass
class MonthUtilization:
    year: int
    month: int
    total: UtilizationRow
    by_site: list[UtilizationRow]
    by_type: list[UtilizationRow]
    by_company: list[UtilizationRow]
    # False while the month runs: its figures are "so far", up to `until`, and are never
    # compared with the monthly target as if the month were over.
    complete: bool = True
    until: dt.datetime | None = None


def utilization_for_month(
    *, year: int, month: int, now: dt.datetime | None = None
) -> MonthUtilization:
    """Utilization of one month: busy / (capacity − out of service), by site, type, company.

    A closed month is read from its rollup (compute/rollups.py, held equal to the exact
    computation from leases and outages); the running month is computed up to now. Runs a
    fixed number of queries.
    """
    now = now or clock.now()
    start, end = clock.month_bounds(year, month)
    complete = end <= now
    end = min(end, max(now, start))
    usage = rollups.month_usage(year=year, month=month, now=now)
    site_names = dict(Site.objects.values_list("id", "name"))
    type_names = dict(AcceleratorType.objects.values_list("id", "name"))
    total = UtilizationRow(None, "")
    by_site: dict[int, UtilizationRow] = {}
    by_type: dict[int, UtilizationRow] = {}
    for device in usage.devices:
        for row in (
            total,
            by_site.setdefault(
                device.site, UtilizationRow(device.site, site_names.get(device.site, "?"))
            ),
            by_type.setdefault(
                device.type, UtilizationRow(device.type, type_names.get(device.type, "?"))
            ),
        ):
            row.devices += 1
            row.capacity_seconds += device.capacity_seconds
            row.out_of_service_seconds += device.out_of_service_seconds
            row.busy_seconds += device.busy_seconds
    company_names = dict(
        Company.objects.filter(pk__in=usage.companies.keys()).values_list("id", "legal_name")
    )
    by_company = sorted(
        (
            UtilizationRow(
                company,
                company_names.get(company, "?"),
                capacity_seconds=total.capacity_seconds,
                out_of_service_seconds=total.out_of_service_seconds,
                busy_seconds=seconds,
            )
            for company, seconds in usage.companies.items()
        ),
        key=lambda row: (-row.busy_seconds, row.label),
    )
    return MonthUtilization(
        year,
        month,
        total,
        sorted(by_site.values(), key=lambda r: r.label),
        sorted(by_type.values(), key=lambda r: r.label),
        by_company,
        complete=complete,
        until=end,
    )


def site_monthly_utilization(*, year: int, month: int) -> dict[int, float]:
    """Utilization per site id for one month (see `utilization_for_month`)."""
    return {
        row.key: row.utilization
        for row in utilization_for_month(year=year, month=month).by_site
        if row.utilization is not None
    }


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of the values; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def queue_waits(*, year: int, month: int) -> dict:
    """Waits between submission and binding for work bound in the month, in seconds."""
    start, end = clock.month_bounds(year, month)
    waits = [
        (scheduled - created).total_seconds()
        for created, scheduled in Workload.objects.filter(
            scheduled_at__gte=start, scheduled_at__lt=end
        ).values_list("created_at", "scheduled_at")
    ]
    return {
        "jobs": len(waits),
        "median_seconds": percentile(waits, 50),
        "p95_seconds": percentile(waits, 95),
        "waiting_now": Workload.objects.filter(status=Workload.Status.QUEUED).count(),
    }


def unmet_demand(*, year: int, month: int) -> dict:
    """Hours asked for minus hours granted, for requests whose period starts in the month."""
    start, end = clock.month_bounds(year, month)
    hours_field = DecimalField(max_digits=14, decimal_places=2)
    totals = AllocationRequest.objects.filter(
        starts_on__gte=start.date(), starts_on__lt=end.date()
    ).aggregate(
        requested=Coalesce(Sum("hours"), ZERO, output_field=hours_field),
        granted=Coalesce(
            Sum(
                Case(
                    When(
                        status=AllocationRequest.Status.APPROVED,
                        then=Coalesce("granted_hours", F("hours")),
                    ),
                    default=ZERO,
                    output_field=hours_field,
                )
            ),
            ZERO,
            output_field=hours_field,
        ),
        pending=Coalesce(
            Sum("hours", filter=Q(status=AllocationRequest.Status.PENDING)),
            ZERO,
            output_field=hours_field,
        ),
    )
    totals["unmet"] = totals["requested"] - totals["granted"]
    return totals


@dataclass
class RankedRequest:
    request: AllocationRequest
    rank: int
    company_granted_recently: Decimal
    free_hours: float
    fits: bool
    limit_free: float = 0.0  # within the pool's over-subscription factor
    pool: object = None  # capacity.PoolTotals of the request's pool and period


def review_order(*, now: dt.datetime | None = None) -> QuerySet[AllocationRequest]:
    """Pending requests in review order, ranked by the database: companies granted the least
    over the last 12 months first (`granted_recently`), then the oldest request."""
    now = now or clock.now()
    since = (now - dt.timedelta(days=365)).date()
    hours = DecimalField(max_digits=14, decimal_places=2)
    recent = (
        Allocation.objects.filter(company=OuterRef("company_id"), starts_on__gte=since)
        .values("company_id")
        .annotate(total=Sum("hours_granted"))
        .values("total")
    )
    return (
        AllocationRequest.objects.filter(status=AllocationRequest.Status.PENDING)
        .select_related("company", "accelerator_type", "site", "allocation", "requested_by")
        .annotate(
            granted_recently=Coalesce(
                Subquery(recent, output_field=hours), ZERO, output_field=hours
            )
        )
        .order_by("granted_recently", "created_at", "pk")
    )


def review_rows(
    requests: list[AllocationRequest], *, first_rank: int = 1, now: dt.datetime | None = None
) -> list[RankedRequest]:
    """The review figures of some requests of `review_order` (a page of it), ranked from
    `first_rank`: the hours free in each one's period, from one capacity calendar over the
    page's pools and periods (device-hours in service minus the unspent hours committed to
    grants); `fits` compares the request with the pool's limit (within its
    over-subscription factor)."""
    if not requests:
        return []
    now = now or clock.now()
    today = clock.local(now).date()
    calendar = capacity.capacity_calendar(
        start=today,
        end=max(max(r.ends_on for r in requests), today + dt.timedelta(days=1)),
        extra_pools=[(r.accelerator_type_id, r.site_id) for r in requests],
        today=today,
    )
    ranked = []
    for rank, request in enumerate(requests, start=first_rank):
        totals = calendar.totals(
            (request.accelerator_type_id, request.site_id),
            max(request.starts_on, today),
            request.ends_on,
        )
        ranked.append(
            RankedRequest(
                request=request,
                rank=rank,
                company_granted_recently=exact_hours(request.granted_recently),
                free_hours=max(totals.free_plain, 0.0),
                fits=float(request.hours) <= totals.free + 1e-6,
                limit_free=max(totals.free, 0.0),
                pool=totals,
            )
        )
    return ranked


def review_queue(*, now: dt.datetime | None = None) -> list[RankedRequest]:
    """Every pending request ranked for review, with its figures (see `review_rows`)."""
    now = now or clock.now()
    return review_rows(list(review_order(now=now)), now=now)


def review_entry(*, request: AllocationRequest) -> RankedRequest | None:
    """One pending request's line of the queue, with its rank."""
    now = clock.now()
    order = review_order(now=now)
    ids = list(order.values_list("pk", flat=True))
    if request.pk not in ids:
        return None
    rows = review_rows([order.get(pk=request.pk)], first_rank=ids.index(request.pk) + 1, now=now)
    return rows[0]


def company_allocations(*, user, company):
    """A company's latest allocations, as its page shows them."""
    return (
        scoped_queryset(user, Allocation)
        .filter(company=company)
        .select_related("accelerator_type", "site")
        .order_by("-starts_on")[:50]
    )
