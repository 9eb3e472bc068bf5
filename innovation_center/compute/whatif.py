"""What-if capacity planning: replay recorded demand against a changed fleet.

`demand_load` reads the last N months into plain rows in a fixed number of queries; `replay`
runs them through the scheduler's own planning code (`scheduler.plan`, `queue_order`,
`expected_duration`) against a simulated clock, with no database access at all; `compare`
sets a scenario beside the unchanged fleet.

What is replayed:

- *Workloads* arrive at their submission time, ask for their devices for their recorded
  duration (last lease end − first lease start when finished, else the estimate) and are
  placed by `plan()` at every arrival and release, as the real rounds run on every submit and
  finish. The scheduler sees what it saw then: expected ends from estimates, fair share from
  the charges so far (a running total per company decayed with `scheduler.decayed_usage`;
  it keeps charges older than ten half-lives that the scheduler drops, which changes a total
  by less than 0.1 %). A workload cancelled while queued leaves the queue when it did.
  Allocation status is not re-checked: recorded work was admitted.
- *Usage without a workload* (the demo's history) and work already running when the window
  opens are occupancy of one device over a recorded interval. It takes its own device when
  that is in the fleet and free, else another free device of the same type and site, else
  waits (first come, first served, ahead of the queue) and then runs for its recorded length.
- *Devices*: every device present now is present for the whole window; outages make a device
  unavailable for new work (work already on it runs on). Added devices are healthy
  throughout; removed ones are the pool's highest ids.

Figures:

- *Wait*: start − submission; for usage without a workload, start − recorded start (0 as
  recorded). Work still waiting at the end counts with what it has waited so far (a lower
  bound). Median and p95 are nearest-rank (`selectors.percentile`).
- *Utilization* per pool: device-hours busy / device-hours in service, inside the window.
- *Unmet hours* = hours the grant rule would refuse + demand still waiting at the end. The
  rule is that of a grant: hours ≤ pool in service × factor − committed over the request's
  period, where committed spreads every earlier allocation's grant evenly over its period
  (at most its cap × 24 h a day) and counts the pool's share of its devices. Each request of
  the window is checked on its own against the recorded grants. The over-subscription factor
  acts only here: the replay cannot invent the work a larger grant would have brought.
"""

from __future__ import annotations

import calendar
import datetime as dt
import heapq
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from itertools import count

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
from innovation_center.compute.selectors import percentile
from innovation_center.core import clock
from innovation_center.core.errors import ApplicationError

PoolKey = capacity.PoolKey
HOUR = 3600.0
# The page's limit: a longer window takes too long for a request (the command has none).
PAGE_MAX_MONTHS = 24
MOST_AFFECTED = 5
WAIT_RESOLUTION_HOURS = 1 / 60


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


# The scenario --------------------------------------------------------------------------------


@dataclass
class Scenario:
    """A changed fleet: devices added (+K) or removed (−K) per (type, site), the
    over-subscription factor of every pool or of some, the fair-share half-life."""

    device_changes: dict[tuple[int, int], int] = field(default_factory=dict)
    oversubscription: float | None = None
    pool_oversubscription: dict[PoolKey, float] = field(default_factory=dict)
    half_life: dt.timedelta | None = None

    @property
    def is_unchanged(self) -> bool:
        return not (
            any(self.device_changes.values())
            or self.oversubscription
            or self.pool_oversubscription
            or self.half_life
        )

    def factor(self, demand: Demand, key: PoolKey) -> float:
        if key in self.pool_oversubscription:
            return self.pool_oversubscription[key]
        if self.oversubscription is not None:
            return self.oversubscription
        return demand.factors.get(key, demand.default_factor)


def _fleet(demand: Demand, scenario: Scenario) -> dict[int, tuple[int, int]]:
    """Device id → (type, site) in the scenario; added devices get ids above the real ones."""
    fleet = {d.id: (d.type_id, d.site_id) for d in demand.devices}
    next_id = max(fleet, default=0) + 1
    for key, change in sorted(scenario.device_changes.items()):
        members = sorted(d for d, pool in fleet.items() if pool == key)
        if change < 0:
            if -change > len(members):
                message = _("%(pool)s has %(count)s devices; remove at most %(count)s.") % {
                    "pool": demand.pool_label(key),
                    "count": len(members),
                }
                raise ApplicationError(
                    message, code="too_many_removed", field_errors={"remove_count": [message]}
                )
            for device in members[change:]:
                del fleet[device]
        for _number in range(max(change, 0)):
            fleet[next_id] = key
            next_id += 1
    return fleet


# The replay ----------------------------------------------------------------------------------


@dataclass
class PoolUse:
    key: PoolKey
    label: str
    devices: int
    in_service_hours: float
    busy_hours: float

    @property
    def utilization(self) -> float | None:
        return self.busy_hours / self.in_service_hours if self.in_service_hours else None


@dataclass
class Waits:
    """Waits in hours: of all work, and of workloads alone."""

    all_work: list[float]
    workloads: list[float]
    by_company: dict[int, list[float]]

    @property
    def median(self) -> float | None:
        return percentile(self.all_work, 50)

    @property
    def p95(self) -> float | None:
        return percentile(self.all_work, 95)

    @property
    def workload_median(self) -> float | None:
        return percentile(self.workloads, 50)

    @property
    def workload_p95(self) -> float | None:
        return percentile(self.workloads, 95)

    def company_median(self, company: int) -> float | None:
        return percentile(self.by_company.get(company, []), 50)


@dataclass
class Outcome:
    demand: Demand
    scenario: Scenario
    starts: dict[int, dt.datetime]  # job id → simulated start
    waits: Waits
    pools: list[PoolUse]
    refused_hours: float
    refused_requests: int
    waiting_hours: float  # device-hours still waiting at the end
    waiting_work: int
    occupancy_delayed: int
    replay_seconds: float

    @property
    def unmet_hours(self) -> float:
        return self.refused_hours + self.waiting_hours

    @property
    def utilization(self) -> float | None:
        service = sum(p.in_service_hours for p in self.pools)
        return sum(p.busy_hours for p in self.pools) / service if service else None


@dataclass
class _Hold:
    end: dt.datetime
    expected_end: dt.datetime | None  # what the scheduler believes; None: unknown (= now)
    allocation_id: int


class _Accumulator:
    """Decayed charges per company, as one running total dated at its last change."""

    def __init__(self, charges, at: dt.datetime, half_life: dt.timedelta) -> None:
        self.half_life = half_life
        self.totals = {
            company: (at, value)
            for company, value in scheduler.decayed_usage(charges, at, half_life).items()
        }

    def add(self, company: int, at: dt.datetime, hours: float) -> None:
        since, value = self.totals.get(company, (at, 0.0))
        folded = scheduler.decayed_usage(
            [(company, since, value), (company, at, hours)], at, self.half_life
        )
        self.totals[company] = (at, folded[company])

    def usage(self, at: dt.datetime) -> dict[int, float]:
        return scheduler.decayed_usage(
            ((company, since, value) for company, (since, value) in self.totals.items()),
            at,
            self.half_life,
        )


def replay(demand: Demand, scenario: Scenario | None = None) -> Outcome:
    """Run the demand through `scheduler.plan` on the scenario's fleet; no database access."""
    clock_started = time.perf_counter()
    scenario = scenario or Scenario()
    half_life = scenario.half_life or scheduler.fair_share_half_life()
    fleet = _fleet(demand, scenario)
    recorded_pool = {d.id: (d.type_id, d.site_id) for d in demand.devices}
    pool_devices = defaultdict(list)
    for device in sorted(fleet):
        pool_devices[fleet[device]].append(device)
    outages = {d: spans for d, spans in demand.outages.items() if d in fleet}
    start, end = demand.start, demand.end

    # (moment, rank, sequence, kind, item): at one moment releases (rank 0) come first, then
    # cancellations (1), then arrivals (2); plain tuples, as they compare fastest.
    events: list[tuple] = []
    sequence = count()

    def push(at, rank, kind, item):
        heapq.heappush(events, (at, rank, next(sequence), kind, item))

    for job in demand.jobs:
        push(job.arrival, 2, "arrive", job)
        if job.cancelled_at is not None:
            push(max(job.cancelled_at, job.arrival), 1, "cancel", job)
    for item in demand.occupancy:
        push(item.start, 2, "occupy", item)
    for spans in outages.values():
        for _o_start, o_end in spans:
            push(o_end, 0, "wake", None)

    holds: dict[int, _Hold] = {}
    busy_seconds: dict[int, float] = defaultdict(float)
    queue: dict[int, scheduler.QueuedWorkload] = {}
    jobs_by_id = {job.id: job for job in demand.jobs}
    starts: dict[int, dt.datetime] = {}
    job_devices: dict[int, list[int]] = {}
    waiting: dict[tuple[int, int], deque] = defaultdict(deque)
    occupancy_start: dict[int, dt.datetime] = {}
    usage = _Accumulator(demand.charges, start, half_life)
    granted_on = _granted_by_day(demand)

    def in_outage(device: int, at: dt.datetime) -> bool:
        return any(o_start <= at < o_end for o_start, o_end in outages.get(device, ()))

    def available(device: int, at: dt.datetime) -> bool:
        return device not in holds and not in_outage(device, at)

    def hold(device: int, at: dt.datetime, until: dt.datetime, expected, allocation_id: int):
        holds[device] = _Hold(until, expected, allocation_id)
        lo, hi = at, min(until, end)
        # Time inside an outage is not in service: it is not counted busy either.
        down = sum(
            max((min(hi, o_end) - max(lo, o_start)).total_seconds(), 0.0)
            for o_start, o_end in outages.get(device, ())
        )
        busy_seconds[device] += (hi - lo).total_seconds() - down

    def occupy(item: Occupancy, at: dt.datetime) -> bool:
        device = item.device_id
        if not (device in fleet and available(device, at)):
            pool = pool_devices.get(recorded_pool[item.device_id], ())
            device = next((d for d in pool if available(d, at)), None)
            if device is None:
                return False
        occupancy_start[item.id] = at
        hold(device, at, at + item.length, None, item.allocation_id)
        push(at + item.length, 0, "vacate", (device, item))
        return True

    def schedule(at: dt.datetime) -> None:
        for items in waiting.values():
            while items and occupy(items[0], at):
                items.popleft()
        if not queue:
            return
        free = [(d, *fleet[d]) for d in sorted(fleet) if available(d, at)]
        if not free:
            return  # plan() would place nothing
        shares = usage.usage(at)
        granted = granted_on(at)
        for queued in queue.values():
            total = granted.get(queued.company_id)
            queued.usage = shares.get(queued.company_id, 0.0) / total if total else 0.0
        active = Counter(h.allocation_id for h in holds.values())
        busy = [
            scheduler.Busy(d, *fleet[d], max(h.expected_end or at, at), h.allocation_id)
            for d, h in holds.items()
        ]
        for placement in scheduler.plan(
            scheduler.queue_order(list(queue.values())), free, active, busy, at
        ):
            job = jobs_by_id[placement.workload_id]
            del queue[job.id]
            starts[job.id] = at
            job_devices[job.id] = placement.device_ids
            for device in placement.device_ids:
                hold(device, at, at + job.duration, at + job.expected, job.allocation_id)
            push(at + job.duration, 0, "finish", job)

    while events and events[0][0] < end:
        moment = events[0][0]
        while events and events[0][0] == moment:
            _at, _rank, _seq, kind, item = heapq.heappop(events)
            if kind == "arrive":
                job = item
                queue[job.id] = scheduler.QueuedWorkload(
                    id=job.id,
                    company_id=job.company_id,
                    allocation_id=job.allocation_id,
                    devices=job.devices,
                    priority=job.priority,
                    created_at=job.created_at,
                    duration=job.expected,
                    type_id=job.type_id,
                    site_id=job.site_id,
                    cap=job.cap,
                )
            elif kind == "cancel":
                queue.pop(item.id, None)
            elif kind == "occupy":
                if not occupy(item, moment):
                    waiting[recorded_pool[item.device_id]].append(item)
            elif kind == "finish":
                for device in job_devices[item.id]:
                    del holds[device]
                usage.add(item.company_id, moment, item.charge_hours)
            elif kind == "vacate":
                device, item = item
                del holds[device]
                usage.add(item.company_id, moment, item.length.total_seconds() / HOUR)
            # "wake": an outage ended; the round below may place work on the device.
        schedule(moment)

    waits, waiting_hours, waiting_work = _waits(demand, starts, occupancy_start)
    refused_hours, refused_requests = _refused(demand, fleet, scenario)
    return Outcome(
        demand=demand,
        scenario=scenario,
        starts=starts,
        waits=waits,
        pools=_pools(demand, fleet, outages, busy_seconds),
        refused_hours=refused_hours,
        refused_requests=refused_requests,
        waiting_hours=waiting_hours,
        waiting_work=waiting_work,
        occupancy_delayed=sum(
            1 for item in demand.occupancy if occupancy_start.get(item.id, end) > item.start
        ),
        replay_seconds=time.perf_counter() - clock_started,
    )


def _granted_by_day(demand: Demand):
    """at → hours granted per company in the allocations whose period covers that day."""
    grants = [g for g in demand.grants.values() if not g.revoked]
    cache: dict[dt.date, dict[int, float]] = {}

    def granted_on(at: dt.datetime) -> dict[int, float]:
        day = clock.today(at=at)
        if day not in cache:
            totals: dict[int, float] = defaultdict(float)
            for grant in grants:
                if grant.starts_on <= day < grant.ends_on:
                    totals[grant.company_id] += grant.hours
            cache[day] = dict(totals)
        return cache[day]

    return granted_on


def _waits(
    demand: Demand, job_starts: dict[int, dt.datetime], occupancy_starts: dict[int, dt.datetime]
) -> tuple[Waits, float, int]:
    """The waits, and the device-hours and count of work still waiting at the end."""
    end = demand.end
    all_work, workloads, by_company = [], [], defaultdict(list)
    waiting_hours, waiting_work = 0.0, 0
    for job in demand.jobs:
        started = job_starts.get(job.id)
        if started is None:
            if job.cancelled_at is not None and job.cancelled_at < end:
                continue  # left the queue unplaced, as it did
            waiting_hours += job.device_hours
            waiting_work += 1
        hours = ((started or end) - job.created_at).total_seconds() / HOUR
        all_work.append(hours)
        workloads.append(hours)
        by_company[job.company_id].append(hours)
    for item in demand.occupancy:
        started = occupancy_starts.get(item.id)
        if started is None:
            waiting_hours += item.length.total_seconds() / HOUR
            waiting_work += 1
        hours = ((started or end) - item.start).total_seconds() / HOUR
        all_work.append(hours)
        by_company[item.company_id].append(hours)
    return Waits(all_work, workloads, dict(by_company)), waiting_hours, waiting_work


def recorded_waits(demand: Demand) -> Waits:
    """The waits as they happened, by the same rules as the replay's."""
    starts = {job.id: job.recorded_start for job in demand.jobs if job.recorded_start}
    return _waits(demand, starts, {item.id: item.start for item in demand.occupancy})[0]


def _matches(key: PoolKey, pool: tuple[int, int]) -> bool:
    return (key[0] is None or key[0] == pool[0]) and (key[1] is None or key[1] == pool[1])


def _pools(demand: Demand, fleet, outages, busy_seconds) -> list[PoolUse]:
    window = (demand.end - demand.start).total_seconds()
    rows: dict[tuple[int, int], PoolUse] = {}
    for device, key in fleet.items():
        row = rows.setdefault(key, PoolUse(key, demand.pool_label(key), 0, 0.0, 0.0))
        down = sum((o_end - o_start).total_seconds() for o_start, o_end in outages.get(device, ()))
        row.devices += 1
        row.in_service_hours += max(window - down, 0.0) / HOUR
        row.busy_hours += busy_seconds.get(device, 0.0) / HOUR
    return sorted(rows.values(), key=lambda row: row.label)


def _refused(demand: Demand, fleet, scenario: Scenario) -> tuple[float, int]:
    """Hours the grant rule would refuse of the window's requests, and how many it cuts."""
    members: dict[PoolKey, frozenset[int]] = {}

    def members_of(key: PoolKey) -> frozenset[int]:
        if key not in members:
            members[key] = frozenset(d for d, pool in fleet.items() if _matches(key, pool))
        return members[key]

    grants = [g for g in demand.grants.values() if not g.revoked and g.ends_on > g.starts_on]
    refused, cut = 0.0, 0
    for request in demand.requests:
        key = (request.type_id, request.site_id)
        pool = members_of(key)
        limit = (
            len(pool)
            * capacity.period_hours(request.starts_on, request.ends_on)
            * scenario.factor(demand, key)
        )
        committed = 0.0
        for grant in grants:
            if grant.id == request.granted_allocation_id or grant.decided_at >= request.decided_at:
                continue
            overlap = (
                min(grant.ends_on, request.ends_on) - max(grant.starts_on, request.starts_on)
            ).days
            own = members_of((grant.type_id, grant.site_id)) if overlap > 0 else None
            if not own:
                continue
            share = len(own & pool) / len(own)
            rate = min(
                grant.hours / (grant.ends_on - grant.starts_on).days,
                grant.cap * capacity.HOURS_PER_DAY,
            )
            committed += rate * overlap * share
        over = request.hours - max(limit - committed, 0.0)
        if over > 1e-6:
            refused += over
            cut += 1
    return refused, cut


# Side by side --------------------------------------------------------------------------------


@dataclass
class Figure:
    label: str
    recorded: float | None
    before: float | None
    after: float | None
    unit: str  # "h", "%" or "" (a count)

    @property
    def change(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before

    @property
    def values(self) -> list[float | None]:
        """Recorded, before, after and change, for a table row."""
        return [self.recorded, self.before, self.after, self.change]


@dataclass
class PoolRow:
    label: str
    devices_before: int
    devices_after: int
    utilization_before: float | None
    utilization_after: float | None


@dataclass
class CompanyRow:
    company_id: int
    name: str
    before: float | None
    after: float | None

    @property
    def change(self) -> float:
        return (self.after or 0.0) - (self.before or 0.0)


@dataclass
class Comparison:
    before: Outcome
    after: Outcome
    figures: list[Figure]
    pools: list[PoolRow]
    companies: list[CompanyRow]
    load_seconds: float = 0.0

    @property
    def replay_seconds(self) -> float:
        return self.before.replay_seconds + self.after.replay_seconds

    @property
    def wait_agreement(self) -> dict:
        """How far the replay of the unchanged fleet is from the recorded waits (relative)."""
        recorded = recorded_waits(self.before.demand)
        return {
            "median": _relative(self.before.waits.median, recorded.median),
            "p95": _relative(self.before.waits.p95, recorded.p95),
            "workload_median": _relative(
                self.before.waits.workload_median, recorded.workload_median
            ),
            "workload_p95": _relative(self.before.waits.workload_p95, recorded.workload_p95),
        }

    @property
    def wait_agreement_percent(self) -> dict:
        return {
            name: None if value is None else value * 100
            for name, value in self.wait_agreement.items()
        }

    def as_dict(self) -> dict:
        demand = self.before.demand
        return {
            "window": {"start": demand.start.isoformat(), "end": demand.end.isoformat()},
            "work": {"workloads": len(demand.jobs), "occupancy": len(demand.occupancy)},
            "figures": [
                {
                    "label": f.label,
                    "unit": f.unit,
                    "recorded": f.recorded,
                    "before": f.before,
                    "after": f.after,
                }
                for f in self.figures
            ],
            "pools": [vars(row) for row in self.pools],
            "companies": [
                {"company": row.name, "before": row.before, "after": row.after}
                for row in self.companies
            ],
            "wait_agreement": self.wait_agreement,
            "load_seconds": round(self.load_seconds, 3),
            "replay_seconds": round(self.replay_seconds, 3),
        }


def _relative(value: float | None, reference: float | None) -> float | None:
    """|value − reference| / reference; waits both within a minute agree (a real round binds
    a moment after the submission, the replay at it)."""
    if value is None or reference is None:
        return None
    if abs(value - reference) <= WAIT_RESOLUTION_HOURS:
        return 0.0
    return abs(value - reference) / reference if reference else None


def compare(baseline: Outcome, changed: Outcome) -> Comparison:
    """The figures of the unchanged fleet (and as recorded) beside those of the scenario."""
    recorded = recorded_waits(baseline.demand)
    requested = [
        r for r in baseline.demand.requests if r.status != AllocationRequest.Status.PENDING
    ]
    recorded_refused = sum(r.hours - (r.granted or 0.0) for r in requested)

    def percent(value):
        return None if value is None else value * 100

    rows = [
        (_("Utilization, all devices"), "%", None, lambda o: percent(o.utilization)),
        (_("Median wait, all work"), "h", recorded.median, lambda o: o.waits.median),
        (_("p95 wait, all work"), "h", recorded.p95, lambda o: o.waits.p95),
        (_("Median wait, workloads"), "h", recorded.workload_median,
         lambda o: o.waits.workload_median),
        (_("p95 wait, workloads"), "h", recorded.workload_p95, lambda o: o.waits.workload_p95),
        (_("Recorded usage started late"), "", 0, lambda o: o.occupancy_delayed),
        (_("Unmet hours"), "h", None, lambda o: o.unmet_hours),
        (_("— refused by the grant rule"), "h", recorded_refused, lambda o: o.refused_hours),
        (_("— still waiting at the end"), "h", None, lambda o: o.waiting_hours),
    ]  # fmt: skip
    figures = [
        Figure(label, value, get(baseline), get(changed), unit) for label, unit, value, get in rows
    ]
    before_pools = {p.key: p for p in baseline.pools}
    after_pools = {p.key: p for p in changed.pools}
    demand = baseline.demand
    pools = [
        PoolRow(
            demand.pool_label(key),
            before_pools[key].devices if key in before_pools else 0,
            after_pools[key].devices if key in after_pools else 0,
            before_pools[key].utilization if key in before_pools else None,
            after_pools[key].utilization if key in after_pools else None,
        )
        for key in sorted({*before_pools, *after_pools}, key=demand.pool_label)
    ]
    companies = [
        CompanyRow(
            company,
            demand.company_names.get(company, "?"),
            baseline.waits.company_median(company),
            changed.waits.company_median(company),
        )
        for company in {*baseline.waits.by_company, *changed.waits.by_company}
    ]
    companies = sorted(
        (row for row in companies if abs(row.change) > 1e-6),
        key=lambda row: (-abs(row.change), row.name),
    )[:MOST_AFFECTED]
    return Comparison(baseline, changed, figures, pools, companies)


def whatif_run(
    *, scenario: Scenario, months: int = 12, now: dt.datetime | None = None
) -> Comparison:
    """Load the demand once, replay the unchanged fleet and the scenario, set them side by
    side. Reads only."""
    started = time.perf_counter()
    half_lives = [scheduler.fair_share_half_life(), scenario.half_life or dt.timedelta(0)]
    demand = demand_load(months=months, now=now, half_life=max(half_lives))
    loaded = time.perf_counter() - started
    comparison = compare(replay(demand), replay(demand, scenario))
    comparison.load_seconds = loaded
    return comparison


# Building a scenario -------------------------------------------------------------------------


def scenario_build(
    *,
    device_changes: list[tuple[tuple[int, int], int]] = (),
    oversubscription: float | None = None,
    pool_oversubscription: list[tuple[PoolKey, float]] = (),
    half_life_days: float | None = None,
) -> Scenario:
    """A scenario from its parts, refused when a factor or the half-life is out of range.
    Changes to one pool add up; the removals are checked against the fleet by `replay`."""
    for factor in [oversubscription, *(f for _key, f in pool_oversubscription)]:
        if factor is not None and not 1 <= factor <= 5:
            raise ApplicationError(
                _("An over-subscription factor is 1.00–5.00; %(factor)s is not.")
                % {"factor": factor},
                code="factor_range",
                field_errors={"oversubscription": [_("Enter 1.00–5.00.")]},
            )
    if half_life_days is not None and not 0 < half_life_days <= 365:
        raise ApplicationError(
            _("The half-life is more than 0 and at most 365 days."),
            code="half_life_range",
            field_errors={"half_life_days": [_("Enter more than 0 and at most 365.")]},
        )
    changes: dict[tuple[int, int], int] = defaultdict(int)
    for key, change in device_changes:
        changes[key] += change
    return Scenario(
        device_changes={key: change for key, change in changes.items() if change},
        oversubscription=oversubscription,
        pool_oversubscription=dict(pool_oversubscription),
        half_life=dt.timedelta(days=half_life_days) if half_life_days else None,
    )


# Naming pools ---------------------------------------------------------------------------------


def pool_find(*, type_text: str, site_text: str, allow_any: bool = False) -> PoolKey:
    """(type id, site id) from a type's name or preset and a site's code or name, any case
    ("*" for any, when `allow_any`); an unknown one is refused with the valid names."""
    types = list(AcceleratorType.objects.order_by("name").values_list("id", "name", "preset"))
    sites = list(Site.objects.order_by("code").values_list("id", "code", "name"))
    type_id = _named(type_text, [(pk, (name, preset)) for pk, name, preset in types], allow_any)
    site_id = _named(site_text, [(pk, (code, name)) for pk, code, name in sites], allow_any)
    if type_id is False:
        raise ApplicationError(
            _("No accelerator type %(name)s; choose one of: %(valid)s.")
            % {
                "name": type_text,
                "valid": "; ".join(f"{name} ({preset})" for _pk, name, preset in types)
                or _("none, the database has no accelerator types"),
            },
            code="unknown_type",
        )
    if site_id is False:
        raise ApplicationError(
            _("No site %(name)s; choose one of: %(valid)s.")
            % {
                "name": site_text,
                "valid": "; ".join(f"{code} ({name})" for _pk, code, name in sites)
                or _("none, the database has no sites"),
            },
            code="unknown_site",
        )
    return type_id, site_id


def _named(text: str, rows: list[tuple[int, tuple[str, ...]]], allow_any: bool):
    """The id whose names include `text` (any case), None for "*" when allowed, else False."""
    wanted = text.strip().casefold()
    if allow_any and wanted == "*":
        return None
    return next((pk for pk, names in rows if wanted in {n.casefold() for n in names if n}), False)
