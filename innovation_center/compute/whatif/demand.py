"""The what-if replay's demand: the last N months read into plain rows (see compute.whatif)."""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Max, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from innovation_center.compute import capacity, scheduler
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
    Workload,
)
from innovation_center.core import clock

PoolKey = capacity.PoolKey
HOUR = 3600.0


# The demand, as plain rows ------------------------------------------------------------------


@dataclass(frozen=True)
class Device:
    id: int
    type_id: int
    site_id: int


@dataclass(frozen=True)
class Grant:
    id: int
    company_id: int
    type_id: int | None
    site_id: int | None
    cap: int
    hours: float
    starts_on: dt.date
    ends_on: dt.date
    decided_at: dt.datetime  # its request's review, else its creation
    revoked: bool


@dataclass(frozen=True)
class Job:
    """A workload: when it was submitted, what it asks for, how long it holds its devices."""

    id: int
    allocation_id: int
    company_id: int
    type_id: int | None
    site_id: int | None
    cap: int
    devices: int
    priority: int
    created_at: dt.datetime
    arrival: dt.datetime  # submission, or the window's start for work queued before it
    expected: dt.timedelta  # what the scheduler expects (estimate / devices)
    duration: dt.timedelta  # what it took (recorded), or the expectation
    charge_hours: float
    recorded_start: dt.datetime | None
    cancelled_at: dt.datetime | None  # finished without ever starting

    @property
    def device_hours(self) -> float:
        return self.devices * self.duration.total_seconds() / HOUR


@dataclass(frozen=True)
class Occupancy:
    """A device busy over a recorded interval, outside the queue."""

    id: int
    device_id: int
    allocation_id: int
    company_id: int
    start: dt.datetime
    end: dt.datetime

    @property
    def length(self) -> dt.timedelta:
        return self.end - self.start


@dataclass(frozen=True)
class Request:
    id: int
    type_id: int | None
    site_id: int | None
    hours: float
    granted: float | None
    status: str
    starts_on: dt.date
    ends_on: dt.date
    decided_at: dt.datetime
    granted_allocation_id: int | None


@dataclass
class Demand:
    start: dt.datetime
    end: dt.datetime
    devices: list[Device]
    outages: dict[int, list[tuple[dt.datetime, dt.datetime]]]
    grants: dict[int, Grant]
    jobs: list[Job]
    occupancy: list[Occupancy]
    requests: list[Request]
    charges: list[tuple[int, dt.datetime, float]]  # before the window, oldest first
    factors: dict[PoolKey, float]
    default_factor: float
    type_names: dict[int, str]
    site_names: dict[int, str]
    company_names: dict[int, str]

    def pool_label(self, key: PoolKey) -> str:
        type_id, site_id = key
        return "{} · {}".format(
            self.type_names.get(type_id, "?") if type_id else _("any type"),
            self.site_names.get(site_id, "?") if site_id else _("any site"),
        )


def window_start(end: dt.datetime, months: int) -> dt.datetime:
    """The same wall-clock moment `months` months before `end` (day clipped to the month)."""
    local = clock.local(end)
    year, month = clock.add_months((local.year, local.month), -months)
    day = min(local.day, calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day)


def demand_load(
    *, months: int = 12, now: dt.datetime | None = None, half_life: dt.timedelta | None = None
) -> Demand:
    """The demand of the `months` months before `now`, in a fixed number of queries.

    `half_life` (default: the setting) bounds how far before the window the charges that
    seed fair share are read: ten half-lives.
    """
    end = now or clock.now()
    start = window_start(end, months)
    half_life = half_life or scheduler.fair_share_half_life()
    devices = [
        Device(*row)
        for row in Accelerator.objects.order_by("pk").values_list(
            "id", "accelerator_type_id", "site_id"
        )
    ]
    outages = defaultdict(list)
    for device, o_start, o_end in DeviceOutage.objects.filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=start), started_at__lt=end
    ).values_list("accelerator_id", "started_at", "ended_at"):
        outages[device].append((max(o_start, start), min(o_end or end, end)))
    grants, company_names = _grants()
    jobs = _jobs(start, end, grants)
    occupancy = _occupancy(start, end, grants)
    requests = _requests(start, end)
    charges = [
        (company, at, float(-reserved))
        for company, at, reserved in LedgerEntry.objects.filter(
            kind=LedgerEntry.Kind.CHARGE,
            created_at__gte=start - half_life * scheduler.FAIR_SHARE_HORIZON_HALF_LIVES,
            created_at__lt=start,
        )
        .order_by("created_at", "pk")
        .values_list("allocation__company_id", "created_at", "reserved")
    ]
    factors = {
        (t, s): float(f)
        for t, s, f in CapacityPool.objects.values_list(
            "accelerator_type_id", "site_id", "oversubscription"
        )
    }
    return Demand(
        start=start,
        end=end,
        devices=devices,
        outages=dict(outages),
        grants=grants,
        jobs=jobs,
        occupancy=occupancy,
        requests=requests,
        charges=charges,
        factors=factors,
        default_factor=float(capacity.default_oversubscription()),
        type_names=dict(AcceleratorType.objects.values_list("id", "name")),
        site_names=dict(Site.objects.values_list("id", "name")),
        company_names=company_names,
    )


def _grants() -> tuple[dict[int, Grant], dict[int, str]]:
    grants, names = {}, {}
    for row in Allocation.objects.values_list(
        "id", "company_id", "company__legal_name", "accelerator_type_id", "site_id",
        "device_cap", "hours_granted", "starts_on", "ends_on", "created_at",
        "request__reviewed_at", "status", named=True,
    ):  # fmt: skip
        names[row.company_id] = row.company__legal_name
        grants[row.id] = Grant(
            id=row.id,
            company_id=row.company_id,
            type_id=row.accelerator_type_id,
            site_id=row.site_id,
            cap=row.device_cap,
            hours=float(row.hours_granted),
            starts_on=row.starts_on,
            ends_on=row.ends_on,
            decided_at=row.request__reviewed_at or row.created_at,
            revoked=row.status == Allocation.Status.REVOKED,
        )
    return grants, names


def _requests(start: dt.datetime, end: dt.datetime) -> list[Request]:
    """Requests decided in the window (pending ones: made in it), withdrawn ones aside."""
    rows = (
        AllocationRequest.objects.annotate(decided=Coalesce("reviewed_at", "created_at"))
        .filter(decided__gte=start, decided__lt=end)
        .exclude(status=AllocationRequest.Status.WITHDRAWN)
        .order_by("decided", "pk")
        .values_list(
            "id", "accelerator_type_id", "site_id", "allocation__accelerator_type_id",
            "allocation__site_id", "hours", "granted_hours", "status", "starts_on", "ends_on",
            "decided", "granted_allocation__id", named=True,
        )
    )  # fmt: skip
    requests = []
    for row in rows:
        # A renewal or enlargement that names no pool draws on its allocation's.
        named = row.accelerator_type_id or row.site_id
        requests.append(
            Request(
                id=row.id,
                type_id=row.accelerator_type_id if named else row.allocation__accelerator_type_id,
                site_id=row.site_id if named else row.allocation__site_id,
                hours=float(row.hours),
                granted=float(row.granted_hours) if row.granted_hours is not None else None,
                status=row.status,
                starts_on=row.starts_on,
                ends_on=row.ends_on,
                decided_at=row.decided,
                granted_allocation_id=row.granted_allocation__id,
            )
        )
    return requests


def _jobs(start: dt.datetime, end: dt.datetime, grants: dict[int, Grant]) -> list[Job]:
    charged = LedgerEntry.objects.filter(
        workload=OuterRef("pk"), kind=LedgerEntry.Kind.CHARGE
    ).values("reserved")[:1]
    rows = (
        Workload.objects.filter(created_at__lt=end)
        .filter(Q(finished_at__isnull=True) | Q(finished_at__gte=start))
        .annotate(
            first_start=Min("leases__started_at"),
            last_end=Max("leases__ended_at"),
            open_leases=Count("leases", filter=Q(leases__ended_at__isnull=True)),
            charged=Subquery(charged),
        )
        .order_by("created_at", "pk")
        .values_list(
            "id", "allocation_id", "devices_requested", "priority", "created_at",
            "estimate_hours", "status", "finished_at", "first_start", "last_end", "open_leases",
            "charged", named=True,
        )
    )  # fmt: skip
    jobs = []
    for row in rows:
        first_start = row.first_start
        if first_start is not None and first_start < start:
            continue  # running when the window opens: its leases are occupancy
        devices = row.devices_requested
        expected = scheduler.expected_duration(row.estimate_hours, devices)
        finished = row.status == Workload.Status.FINISHED
        duration = expected
        if finished and first_start and row.last_end and not row.open_leases:
            duration = row.last_end - first_start
        grant = grants[row.allocation_id]
        jobs.append(
            Job(
                id=row.id,
                allocation_id=row.allocation_id,
                company_id=grant.company_id,
                type_id=grant.type_id,
                site_id=grant.site_id,
                cap=grant.cap,
                devices=devices,
                priority=row.priority,
                created_at=row.created_at,
                arrival=max(row.created_at, start),
                expected=expected,
                duration=duration,
                # What the ledger charged; work not charged yet pays for its device time.
                charge_hours=(
                    float(-row.charged)
                    if row.charged is not None
                    else devices * duration.total_seconds() / HOUR
                ),
                recorded_start=first_start,
                cancelled_at=row.finished_at if finished and first_start is None else None,
            )
        )
    return jobs


def _occupancy(start: dt.datetime, end: dt.datetime, grants: dict[int, Grant]) -> list[Occupancy]:
    rows = (
        Lease.objects.filter(Q(workload__isnull=True) | Q(started_at__lt=start))
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=start), started_at__lt=end)
        .order_by("started_at", "pk")
        .values_list("id", "accelerator_id", "allocation_id", "started_at", "ended_at")
    )
    return [
        Occupancy(
            pk,
            device,
            allocation_id,
            grants[allocation_id].company_id,
            max(l_start, start),
            min(l_end or end, end),
        )
        for pk, device, allocation_id, l_start, l_end in rows
        if (l_end or end) > max(l_start, start)
    ]
