"""Bind queued workloads to free, healthy accelerators.

The scheduler knows workloads, not what they are: it binds devices, moves the workload to
`scheduled` and sends `workloads_placed` in the same transaction, so the app that owns the
work (evaluation) moves its own record in step and dispatches it.

Order: priority first, then fair share, then submission time. Fair share remembers usage
with a half-life, as Slurm's PriorityDecayHalfLife: a company's usage is the sum of its
charges, each weighed `hours × 0.5 ** (age / half-life)` (`settings.FAIR_SHARE_HALF_LIFE_DAYS`,
7 days by default), divided by the hours granted in its active allocations; the company with
the least goes first. A workload never takes more devices at
once than its allocation's cap; draining and failed devices are never bound. EASY backfill:
when one is blocked for lack of free devices, later ones may start only if they end before
the blocked one could start (its shadow time) or use devices it will not need then.

Several schedulers may run at once: queued workloads and free devices are locked with
`SELECT ... FOR UPDATE SKIP LOCKED`, and the partial unique index on active leases makes
double-booking impossible even if the code were wrong. A round runs a fixed number of
queries whatever the number of jobs.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, Count, Exists, FloatField, OuterRef, Sum, Value, When

from innovation_center.compute import rollups
from innovation_center.compute.models import Accelerator, Allocation, Lease, LedgerEntry, Workload
from innovation_center.compute.planning import Busy, Placement, Planner, QueuedWorkload, plan
from innovation_center.compute.signals import workload_requeued, workloads_placed
from innovation_center.core import clock

# A charge older than this many half-lives weighs less than 0.5 ** 10 < 0.001 of its hours:
# it is left out, so a round reads a bounded set of ledger rows.
FAIR_SHARE_HORIZON_HALF_LIVES = 10


def expected_duration(estimate_hours: Decimal, devices: int) -> dt.timedelta:
    return dt.timedelta(seconds=float(estimate_hours) * 3600 / max(devices, 1))


def fair_share_half_life() -> dt.timedelta:
    """The half-life of fair-share usage, read at call time (tests override the setting)."""
    return dt.timedelta(days=float(settings.FAIR_SHARE_HALF_LIFE_DAYS))


def decayed_usage(charges, now: dt.datetime, half_life: dt.timedelta) -> dict:
    """Sum `hours × 0.5 ** (age / half_life)` per key over `(key, at, hours)` charges.

    Pure: the scheduler and the what-if replay both weigh usage with it. A charge dated after
    `now` counts in full (age 0).
    """
    seconds = half_life.total_seconds()
    totals: dict = defaultdict(float)
    for key, at, hours in charges:
        age = max((now - at).total_seconds(), 0.0)
        totals[key] += float(hours) * 0.5 ** (age / seconds)
    return dict(totals)


def company_usage(*, now: dt.datetime, half_life: dt.timedelta | None = None) -> dict[int, float]:
    """Decayed hours charged / hours granted in active allocations, per company."""
    half_life = half_life or fair_share_half_life()
    # Weighed in Python rather than in SQL: the same code on PostgreSQL and SQLite, over the
    # charges of the last ten half-lives only (older ones weigh < 0.001, see above).
    charges = LedgerEntry.objects.filter(
        kind=LedgerEntry.Kind.CHARGE,
        created_at__gte=now - half_life * FAIR_SHARE_HORIZON_HALF_LIVES,
    ).values_list("allocation__company_id", "created_at", "reserved")
    used = decayed_usage(
        ((company, at, -reserved) for company, at, reserved in charges), now, half_life
    )
    granted = dict(
        Allocation.objects.filter(status=Allocation.Status.ACTIVE)
        .values_list("company_id")
        .annotate(total=Sum("hours_granted"))
        .values_list("company_id", "total")
    )
    return {
        company: used.get(company, 0.0) / float(total)
        for company, total in granted.items()
        if total
    }


def queue_order(jobs: list[QueuedWorkload]) -> list[QueuedWorkload]:
    return sorted(jobs, key=lambda j: (-j.priority, j.usage, j.created_at, j.id))


def _fair_share_expression(usage: dict[int, float]):
    """Each queued row's company usage as an SQL value, so the queue is sorted by the database
    in exactly `queue_order`'s order (the same floats, the same ties)."""
    whens = [When(allocation__company_id=c, then=Value(u)) for c, u in usage.items() if u]
    if not whens:
        return Value(0.0, output_field=FloatField())
    return Case(*whens, default=Value(0.0), output_field=FloatField())


def queued_workloads(
    *,
    now: dt.datetime,
    lock: bool,
    offset: int = 0,  # with `limit`
    limit: int | None = None,
    usage: dict[int, float] | None = None,
) -> list[QueuedWorkload]:
    """Queued workloads of active allocations in scheduling order, sorted in SQL; a slice of
    them when `limit` is given (locked with SKIP LOCKED when `lock`)."""
    usage = company_usage(now=now) if usage is None else usage
    qs = (
        Workload.objects.filter(
            status=Workload.Status.QUEUED, allocation__status=Allocation.Status.ACTIVE
        )
        .annotate(fair_share=_fair_share_expression(usage))
        .order_by("-priority", "fair_share", "created_at", "id")
    )
    if lock:
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    if limit is not None:
        qs = qs[offset : offset + limit]
    rows = qs.values_list(
        "id",
        "allocation__company_id",
        "allocation_id",
        "devices_requested",
        "priority",
        "created_at",
        "estimate_hours",
        "allocation__accelerator_type_id",
        "allocation__site_id",
        "allocation__device_cap",
    )
    return [
        QueuedWorkload(
            id=r[0],
            company_id=r[1],
            allocation_id=r[2],
            devices=r[3],
            priority=r[4],
            created_at=r[5],
            duration=expected_duration(r[6], r[3]),
            type_id=r[7],
            site_id=r[8],
            cap=r[9],
            usage=usage.get(r[1], 0.0),
        )
        for r in rows
    ]


def _busy_devices(now: dt.datetime) -> list[Busy]:
    """Every active lease with the time its workload is expected to release the device."""
    rows = Lease.objects.filter(ended_at__isnull=True).values_list(
        "accelerator_id",
        "accelerator__accelerator_type_id",
        "accelerator__site_id",
        "started_at",
        "workload__estimate_hours",
        "workload__devices_requested",
        "allocation_id",
    )
    busy = []
    for device, type_id, site_id, started, estimate, devices, allocation_id in rows:
        end = started + expected_duration(estimate, devices) if estimate is not None else now
        busy.append(Busy(device, type_id, site_id, max(end, now), allocation_id))
    return busy


def scheduler_lookahead() -> int:
    """How many queued workloads a round considers at most (Slurm's bf_max_job_test)."""
    return max(1, int(settings.SCHEDULER_LOOKAHEAD))


QUEUE_PAGE = 500


def _insert_leases(rows: list[tuple[int, int, int]], at: dt.datetime) -> None:
    """One INSERT for the round's leases: (device, allocation, workload) each, starting `at`."""
    if connection.vendor == "postgresql":
        devices, allocations, workloads = (list(column) for column in zip(*rows, strict=True))
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {Lease._meta.db_table} "
                "(accelerator_id, allocation_id, workload_id, started_at) "
                "SELECT d, a, w, %s FROM unnest(%s::integer[], %s::integer[], %s::integer[])"
                " AS t(d, a, w)",
                [at, devices, allocations, workloads],
            )
        return
    Lease.objects.bulk_create(
        [Lease(accelerator_id=d, allocation_id=a, workload_id=w, started_at=at) for d, a, w in rows]
    )


def schedule_round(*, now: dt.datetime | None = None) -> list[Placement]:
    """Bind what can run now; returns the placements made (leases created, workloads
    scheduled, `workloads_placed` sent inside the same transaction).

    The queue is read sorted from SQL, a page at a time, until the free devices are taken or
    `SCHEDULER_LOOKAHEAD` workloads were considered; only the rows read are locked.
    """
    frozen = now
    now = now or clock.now()
    depth = scheduler_lookahead()
    with transaction.atomic():
        usage = company_usage(now=now)
        page = queued_workloads(now=now, lock=True, limit=min(QUEUE_PAGE, depth), usage=usage)
        if not page:
            return []
        free = _free_devices(lock=True)
        if not free:
            return []
        # Leases start on a clock read after the devices were seen free, so a lease never
        # starts before the previous one on its device ended (that one's end was read
        # under its job's lock, before it committed).
        now = frozen or clock.now()
        active = dict(
            Lease.objects.filter(ended_at__isnull=True)
            .values_list("allocation_id")
            .annotate(n=Count("id"))
            .values_list("allocation_id", "n")
        )
        planner = Planner(free, active, lambda: _busy_devices(now), now)
        allocation_of: dict[int, int] = {}
        seen = 0
        while page:
            for job in page:
                if planner.full:
                    break
                allocation_of[job.id] = job.allocation_id
                planner.offer(job)
            seen += len(page)
            if planner.full or len(page) < QUEUE_PAGE or seen >= depth:
                break
            page = queued_workloads(
                now=now,
                lock=True,
                offset=seen,
                limit=min(QUEUE_PAGE, depth - seen),
                usage=usage,
            )
        placements = planner.placements
        if not placements:
            return []
        rows = [
            (device, allocation_of[p.workload_id], p.workload_id)
            for p in placements
            for device in p.device_ids
        ]
        try:
            with transaction.atomic():
                _insert_leases(rows, now)
        except IntegrityError:
            # Another scheduler bound one of these devices between our read and our write:
            # the constraint held; place nothing this round and let the next one retry.
            return []
        Workload.objects.filter(
            pk__in=[p.workload_id for p in placements], status=Workload.Status.QUEUED
        ).update(status=Workload.Status.SCHEDULED, scheduled_at=now)
        workloads_placed.send(sender=Workload, placements=placements, at=now)
    return placements


@transaction.atomic
def workload_release_failed_device(*, accelerator: Accelerator, at: dt.datetime) -> list[int]:
    """End the lease on a failed device; a workload that had not started yet goes back to the
    queue (`workload_requeued` is sent in the same transaction). Returns the requeued ids."""
    lease = (
        Lease.objects.select_for_update(of=("self",))
        .filter(accelerator=accelerator, ended_at__isnull=True)
        .first()
    )
    if lease is None:
        return []
    Lease.objects.filter(pk=lease.pk).update(ended_at=at)
    rollups.rollups_invalidate(since=at)
    if lease.workload_id is None:
        return []
    # Conditional: a worker that started the work meanwhile keeps it (it retries the shard).
    if Workload.objects.filter(pk=lease.workload_id, status=Workload.Status.SCHEDULED).update(
        status=Workload.Status.QUEUED, scheduled_at=None
    ):
        Lease.objects.filter(workload_id=lease.workload_id, ended_at__isnull=True).update(
            ended_at=at
        )
        workload_requeued.send(sender=Workload, workload_ids=[lease.workload_id], at=at)
        return [lease.workload_id]
    return []


def queue_position(*, workload: Workload) -> int | None:
    """1-based position of a queued workload in the order the scheduler will consider it."""
    if workload.status != Workload.Status.QUEUED:
        return None
    ids = [j.id for j in queued_workloads(now=clock.now(), lock=False)]
    return ids.index(workload.pk) + 1 if workload.pk in ids else None


def _free_devices(*, lock: bool) -> list[tuple[int, int, int]]:
    active_lease = Lease.objects.filter(accelerator=OuterRef("pk"), ended_at__isnull=True)
    qs = Accelerator.objects.filter(health=Accelerator.Health.HEALTHY).exclude(Exists(active_lease))
    if lock:
        qs = qs.select_for_update(skip_locked=True)
    return list(qs.values_list("id", "accelerator_type_id", "site_id"))


def estimated_start(*, workload: Workload) -> dt.datetime | None:
    """When a queued workload should start, from the running ones' expected ends.

    Replays the scheduler forward in time: at each expected release the freed devices are
    offered to the queue in scheduler order, until this one is placed. None when it cannot
    be placed with the devices that exist (e.g. all of its kind failed).
    """
    if workload.status != Workload.Status.QUEUED:
        return None
    now = clock.now()
    pending = queued_workloads(now=now, lock=False)
    if workload.pk not in {j.id for j in pending}:
        return None
    busy = _busy_devices(now)
    free = _free_devices(lock=False)
    moment = now
    for _step in range(len(pending) + len(busy) + 1):
        active = defaultdict(int)
        for b in busy:
            active[b.allocation_id] += 1
        placements = plan(pending, free, active, busy, moment)
        if any(p.workload_id == workload.pk for p in placements):
            return moment
        by_id = {j.id: j for j in pending}
        pool = {d: (t, s) for d, t, s in free}
        for p in placements:
            queued = by_id.pop(p.workload_id)
            for device in p.device_ids:
                t, s = pool.pop(device)
                busy.append(Busy(device, t, s, moment + queued.duration, queued.allocation_id))
        pending = list(by_id.values())
        free = [(d, t, s) for d, (t, s) in pool.items()]
        if not busy:
            return None
        moment = min(b.end for b in busy)
        free += [(b.device, b.type_id, b.site_id) for b in busy if b.end <= moment]
        busy = [b for b in busy if b.end > moment]
    return None
