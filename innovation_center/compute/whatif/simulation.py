"""The what-if scenario and the replay of the demand against its fleet (see compute.whatif)."""

from __future__ import annotations

import datetime as dt
import heapq
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from itertools import count

from django.utils.translation import gettext as _

from innovation_center.compute import capacity, scheduler
from innovation_center.compute.selectors import percentile
from innovation_center.compute.whatif.demand import HOUR, Demand, Occupancy, PoolKey
from innovation_center.core import clock
from innovation_center.core.errors import ApplicationError

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
