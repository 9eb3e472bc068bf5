"""Benchmark the scheduler on a synthetic cluster in a throwaway database.

Usage: `python manage.py bench_scheduler --devices 2000 --jobs 10000` (the command is a thin
entry point to `run()` here).

The configured database is never written: the command creates a scratch database with
Django's test-database machinery (in-memory on SQLite, a uniquely named database on
PostgreSQL), seeds devices, companies, allocations and queued workloads with bulk inserts, then
calls `schedule_round()` until every job has been placed. Between rounds a share of the
running jobs finishes (bulk updates), which frees their devices for the next round.

Prints one JSON line: placements per second inside `schedule_round`, SQL queries per round
(max and mean, and the same for a small pre-run, to show the count does not grow with the
number of jobs), devices double-booked according to the lease table, rounds and seconds.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import random
import statistics
import time
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from innovation_center.core import clock

SITES = [("bench-wuhan", "Wuhan"), ("bench-shenzhen", "Shenzhen"), ("bench-xian", "Xi'an")]
TYPES = ["bench-h200", "bench-910b", "bench-mi300"]
# Most jobs are small; a few want a whole node.
DEVICE_CHOICES = [1, 1, 1, 2, 2, 2, 4, 4, 8]
ROUND_STEP = dt.timedelta(minutes=1)


def run(
    *, devices: int, jobs: int, seed: int = 1, small_jobs: int = 200, finish_share: float = 0.3
) -> dict:
    """Seed a synthetic cluster in a scratch database, place every workload, return figures."""
    if devices < 1 or jobs < 1:
        raise ValueError("--devices and --jobs must be at least 1.")
    options = {"small_jobs": small_jobs, "finish_share": finish_share}
    started = time.perf_counter()
    old_name = connection.settings_dict["NAME"]
    test_settings = connection.settings_dict.setdefault("TEST", {})
    saved_test_name = test_settings.get("NAME")
    # A name of our own, so a test database another process is using is never clobbered.
    scratch = f"bench_scheduler_{os.getpid()}"
    if connection.vendor == "sqlite":
        test_settings["NAME"] = f"file:{scratch}?mode=memory&cache=shared"
    else:
        test_settings["NAME"] = scratch
    # Django's test-database setup runs createcachetable loudly; our one line of JSON only.
    with contextlib.redirect_stdout(io.StringIO()):
        connection.creation.create_test_db(
            verbosity=0, autoclobber=True, keepdb=False, serialize=False
        )
    try:
        rng = random.Random(seed)
        seed_started = time.perf_counter()
        cluster = _seed_cluster(rng, devices=devices, jobs=jobs)
        result = {
            "database": connection.vendor,
            "devices": devices,
            "jobs": jobs,
            "seed": seed,
            "seed_seconds": round(time.perf_counter() - seed_started, 2),
        }
        share = options["finish_share"]
        if options["small_jobs"]:
            small = _run(cluster, rng, jobs=options["small_jobs"], share=share)
            result["queries_per_round_small"] = {
                "jobs": options["small_jobs"],
                "rounds": small["rounds"],
                "max": small["queries_per_round_max"],
                "mean": small["queries_per_round_mean"],
                "double_booked": small["double_booked"],
            }
            _clear_jobs()
        result.update(_run(cluster, rng, jobs=jobs, share=share))
        result["wall_seconds"] = round(time.perf_counter() - started, 2)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=False)
        if saved_test_name is None:
            test_settings.pop("NAME", None)
        else:
            test_settings["NAME"] = saved_test_name
    return result


def _seed_cluster(rng: random.Random, *, devices: int, jobs: int) -> dict:
    from innovation_center.accounts.models import Organisation
    from innovation_center.compute.models import (
        Accelerator,
        AcceleratorType,
        Allocation,
        LedgerEntry,
        Site,
    )
    from innovation_center.core.uscc import check_character
    from innovation_center.ecosystem.models import Company, Industry

    sites = [Site.objects.create(code=code, name=name, city=name) for code, name in SITES]
    types = [
        AcceleratorType.objects.create(
            name=name,
            vendor="Simulated",
            preset=name,
            peak_tflops=Decimal("50"),
            memory_gib=Decimal("64"),
            memory_bandwidth_gbps=Decimal("2000"),
            interconnect_gbps=Decimal("400"),
        )
        for name in TYPES
    ]
    Accelerator.objects.bulk_create(
        [
            Accelerator(
                name=f"BENCH-{n:05d}",
                site=sites[n % len(sites)],
                accelerator_type=types[(n // len(sites)) % len(types)],
            )
            for n in range(devices)
        ],
        batch_size=1000,
    )
    pool_sizes: dict[tuple, int] = {}
    for type_id, site_id in Accelerator.objects.values_list("accelerator_type_id", "site_id"):
        for key in ((type_id, site_id), (type_id, None), (None, site_id), (None, None)):
            pool_sizes[key] = pool_sizes.get(key, 0) + 1

    company_count = max(3, min(200, jobs // 50))
    Organisation.objects.bulk_create(
        [
            Organisation(kind=Organisation.Kind.COMPANY, name=f"Bench company {n}")
            for n in range(company_count)
        ]
    )
    organisations = list(
        Organisation.objects.filter(name__startswith="Bench company ").order_by("id")
    )
    Company.objects.bulk_create(
        [
            Company(
                organisation=organisation,
                legal_name=organisation.name,
                uscc=_uscc(n, check_character),
                industry=Industry.SMART_MANUFACTURING,
                city="Wuhan",
                status=Company.Status.INCUBATING,
            )
            for n, organisation in enumerate(organisations, start=1)
        ]
    )
    companies = list(Company.objects.order_by("id"))
    today = clock.today()
    allocations = []
    for company in companies:
        for _n in range(rng.choice([1, 1, 2])):
            # Pools of every shape: one type at one site, a type anywhere, a site, anything.
            type_id = rng.choice([*(t.pk for t in types), None])
            site_id = rng.choice([*(s.pk for s in sites), None])
            if pool_sizes.get((type_id, site_id), 0) == 0:
                type_id = site_id = None
            allocations.append(
                Allocation(
                    company=company,
                    accelerator_type_id=type_id,
                    site_id=site_id,
                    hours_granted=Decimal("100000"),
                    device_cap=rng.choice([8, 16, 32, 64]),
                    starts_on=today - dt.timedelta(days=30),
                    ends_on=today + dt.timedelta(days=60),
                    status=Allocation.Status.ACTIVE,
                )
            )
    Allocation.objects.bulk_create(allocations)
    allocations = list(Allocation.objects.order_by("id"))
    LedgerEntry.objects.bulk_create(
        [
            LedgerEntry(
                allocation=a, kind=LedgerEntry.Kind.CREDIT, available=a.hours_granted, reserved=0
            )
            for a in allocations
        ]
    )
    return {
        "allocations": [
            (a.pk, a.company_id, min(a.device_cap, pool_sizes[(a.accelerator_type_id, a.site_id)]))
            for a in allocations
        ],
    }


def _uscc(n: int, check_character) -> str:
    first17 = f"91420100{900000000 + n:09d}"
    return first17 + check_character(first17)


def _create_workloads(cluster: dict, rng: random.Random, *, jobs: int) -> None:
    from innovation_center.compute.models import Workload

    now = clock.now()
    rows = []
    for n in range(jobs):
        allocation_id, _company_id, largest = rng.choice(cluster["allocations"])
        rows.append(
            Workload(
                allocation_id=allocation_id,
                label=f"bench #{n}",
                devices_requested=min(rng.choice(DEVICE_CHOICES), largest),
                priority=rng.choice([0, 0, 0, 1, 1, 2, 5]),
                estimate_hours=Decimal(rng.randint(1, 400)) / 100,
                created_at=now + dt.timedelta(microseconds=n),
            )
        )
    Workload.objects.bulk_create(rows, batch_size=1000)
    if connection.vendor == "postgresql":
        # Fresh bulk-loaded tables have no statistics yet (autovacuum has not run): without
        # them the planner picks nested loops for the queue read. A live database has them.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _run(cluster: dict, rng: random.Random, *, jobs: int, share: float) -> dict:
    from innovation_center.compute.models import Lease, Workload
    from innovation_center.compute.scheduler import schedule_round

    _create_workloads(cluster, rng, jobs=jobs)
    moment = clock.now()
    placed = rounds = idle_rounds = 0
    seconds_in_rounds = 0.0
    queries: list[int] = []
    started = time.perf_counter()
    while placed < jobs:
        with CaptureQueriesContext(connection) as captured:
            round_started = time.perf_counter()
            placements = schedule_round(now=moment)
            seconds_in_rounds += time.perf_counter() - round_started
        rounds += 1
        queries.append(len(captured.captured_queries))
        placed += len(placements)
        moment += ROUND_STEP
        running = list(
            Lease.objects.filter(ended_at__isnull=True)
            .values_list("workload_id", flat=True)
            .distinct()
        )
        if not placements and not running:
            idle_rounds += 1
            if idle_rounds > 3:
                raise RuntimeError(
                    f"Stalled: {jobs - placed} workloads cannot be placed on an idle cluster."
                )
        rng.shuffle(running)
        finishing = running[: max(1, round(len(running) * share))] if running else []
        if finishing:
            Lease.objects.filter(workload_id__in=finishing, ended_at__isnull=True).update(
                ended_at=moment
            )
            Workload.objects.filter(pk__in=finishing).update(
                status=Workload.Status.FINISHED, finished_at=moment
            )
    per_second = round(placed / seconds_in_rounds, 1) if seconds_in_rounds else None
    return {
        "placed": placed,
        "rounds": rounds,
        "placements_per_second": per_second,
        "schedule_seconds": round(seconds_in_rounds, 2),
        "seconds_per_round_mean": round(seconds_in_rounds / rounds, 4),
        "queries_per_round_max": max(queries),
        "queries_per_round_mean": round(statistics.mean(queries), 2),
        "double_booked": double_booked_devices(),
        "run_seconds": round(time.perf_counter() - started, 2),
    }


def double_booked_devices() -> int:
    """Devices with two leases whose periods overlap (an open lease runs to infinity).

    One ordered pass over the lease table: on each device, a lease that starts before the
    latest end seen so far overlaps an earlier one.
    """
    from innovation_center.compute.models import Lease

    far = clock.now() + dt.timedelta(days=36500)
    doubled: set[int] = set()
    device, latest_end = None, None
    for accelerator_id, started, ended in (
        Lease.objects.order_by("accelerator_id", "started_at", "id")
        .values_list("accelerator_id", "started_at", "ended_at")
        .iterator(chunk_size=5000)
    ):
        end = ended or far
        if accelerator_id != device:
            device, latest_end = accelerator_id, end
            continue
        if started < latest_end:
            doubled.add(accelerator_id)
        latest_end = max(latest_end, end)
    return len(doubled)


def _clear_jobs() -> None:
    from innovation_center.compute.models import Lease, Workload

    Lease.objects.all().delete()
    Workload.objects.all().delete()
