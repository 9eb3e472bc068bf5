"""The placement decision of a scheduling round, on plain data (no database).

The scheduler feeds it the queue in order, page by page; the what-if planner replays demand
through the same `plan`. See compute/scheduler.py for the order and the backfill rule.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from heapq import merge
from itertools import islice


@dataclass
class QueuedWorkload:
    id: int
    company_id: int
    allocation_id: int
    devices: int
    priority: int
    created_at: dt.datetime
    duration: dt.timedelta
    type_id: int | None
    site_id: int | None
    cap: int
    usage: float = 0.0

    def matches(self, type_id: int, site_id: int) -> bool:
        return (self.type_id is None or self.type_id == type_id) and (
            self.site_id is None or self.site_id == site_id
        )


@dataclass
class Placement:
    workload_id: int
    device_ids: list[int]


@dataclass(frozen=True)
class Busy:
    device: int
    type_id: int
    site_id: int
    end: dt.datetime
    allocation_id: int


@dataclass
class Blocker:
    """The first blocked job of a pool and the promise backfill must keep to it."""

    job: QueuedWorkload
    shadow: dt.datetime
    extra: int
    candidates: set[int] = field(default_factory=set)


def _shadow(
    job: QueuedWorkload, free_ids: list[int], busy: list[Busy], now
) -> tuple[dt.datetime, int]:
    ends = sorted(b.end for b in busy if job.matches(b.type_id, b.site_id))
    need = job.devices - len(free_ids)
    if need <= 0:
        return now, len(free_ids) - job.devices
    if need > len(ends):
        return dt.datetime.max.replace(tzinfo=dt.UTC), 0
    shadow = ends[need - 1]
    available_then = len(free_ids) + sum(1 for end in ends if end <= shadow)
    return shadow, available_then - job.devices


class Planner:
    """The placement decision, one queued job at a time in queue order (pure: no database).

    Free devices are kept per (type, site) pool in ascending id order, so a job looks at the
    few pools it matches and takes the lowest ids without building a list of every match.
    """

    def __init__(self, free, active_per_allocation: dict[int, int], busy, now: dt.datetime):
        """`busy`: the active leases (`Busy`), or a function that reads them: they are needed
        only when a job is blocked, to compute its shadow time."""
        self.now = now
        self._busy = busy
        self.free_left = {device: (type_id, site_id) for device, type_id, site_id in free}
        pools: dict[tuple[int, int], list[int]] = defaultdict(list)
        for device, key in self.free_left.items():
            pools[key].append(device)
        self.pools = {key: sorted(devices) for key, devices in pools.items()}
        self.in_use = defaultdict(int, active_per_allocation)
        self.blockers: dict[tuple, Blocker] = {}
        self.placements: list[Placement] = []

    @property
    def full(self) -> bool:
        return not self.free_left

    @cached_property
    def busy(self) -> list[Busy]:
        busy = self._busy() if callable(self._busy) else self._busy
        # By expected end: each blocker's shadow then reads its matches already in order.
        return sorted(busy, key=lambda b: b.end)

    def _matching(self, job: QueuedWorkload) -> list[tuple[int, int]]:
        return [key for key, devices in self.pools.items() if devices and job.matches(*key)]

    def _pick(self, keys: list[tuple[int, int]], count: int) -> list[int]:
        # Keep a job on one site when one site has enough devices (the smallest such site):
        # its all-reduce stays local. Lowest ids first.
        by_site: dict[int, list[tuple[int, int]]] = {}
        for key in keys:
            by_site.setdefault(key[1], []).append(key)
        sizes = {site: sum(len(self.pools[k]) for k in ks) for site, ks in by_site.items()}
        for site in sorted(by_site, key=lambda site: sizes[site]):
            if sizes[site] >= count:
                return list(islice(merge(*(self.pools[k] for k in by_site[site])), count))
        return list(islice(merge(*(self.pools[k] for k in keys)), count))

    def offer(self, job: QueuedWorkload) -> Placement | None:
        if self.full or job.devices > job.cap - self.in_use[job.allocation_id]:
            return None  # waits for its own allocation's running jobs; blocks nobody else
        keys = self._matching(job)
        available = sum(len(self.pools[k]) for k in keys)
        pool = (job.type_id, job.site_id)
        if available < job.devices:
            if pool not in self.blockers:
                candidates = [d for k in keys for d in self.pools[k]]
                shadow, extra = _shadow(job, candidates, self.busy, self.now)
                self.blockers[pool] = Blocker(job, shadow, extra, set(candidates))
            return None
        chosen = self._pick(keys, job.devices)
        free_left = self.free_left
        # Backfill must not delay the first blocked job of any pool it draws devices from.
        ends = self.now + job.duration
        for blocker in self.blockers.values():
            if not blocker.candidates.intersection(chosen) and not any(
                blocker.job.matches(*free_left[d]) for d in chosen
            ):
                continue
            if ends <= blocker.shadow or job.devices <= blocker.extra:
                continue
            return None
        for blocker in self.blockers.values():
            if ends > blocker.shadow and any(blocker.job.matches(*free_left[d]) for d in chosen):
                blocker.extra -= job.devices
        taken: dict[tuple[int, int], int] = defaultdict(int)
        for device in chosen:
            taken[free_left.pop(device)] += 1
        for key, count in taken.items():
            # The chosen devices are the lowest of each pool they came from: a prefix.
            del self.pools[key][:count]
        self.in_use[job.allocation_id] += job.devices
        placement = Placement(job.id, chosen)
        self.placements.append(placement)
        return placement


def plan(
    jobs: list[QueuedWorkload],
    free: list[tuple[int, int, int]],
    active_per_allocation: dict[int, int],
    busy,
    now: dt.datetime,
) -> list[Placement]:
    """Pure placement decision, for a round and for queue estimates."""
    planner = Planner(free, active_per_allocation, busy, now)
    for job in jobs:
        if planner.full:
            break  # nothing left to bind this round
        planner.offer(job)
    return planner.placements
