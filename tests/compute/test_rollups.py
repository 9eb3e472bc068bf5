"""Closed months read from rollups equal the exact computation from leases and outages."""

import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest
import time_machine

from innovation_center.compute import rollups
from innovation_center.compute.models import DeviceOutage, Lease, UtilizationMonth, Workload
from innovation_center.compute.selectors import utilization_for_month
from innovation_center.compute.workloads import workload_finish
from innovation_center.core import clock
from tests import factories

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC


def exact(year, month, now):
    """The figures by site, type and company computed from the rows, without any rollup."""
    start, end = clock.month_bounds(year, month)
    usage = rollups.exact_month_usage(start=start, end=min(end, now))
    by_site, by_type = {}, {}
    for d in usage.devices:
        for table, key in ((by_site, d.site), (by_type, d.type)):
            row = table.setdefault(key, [0.0, 0.0, 0.0])
            row[0] += d.capacity_seconds
            row[1] += d.out_of_service_seconds
            row[2] += d.busy_seconds
    return by_site, by_type, usage.companies


def figures(result):
    as_rows = lambda rows: {  # noqa: E731
        r.key: [r.capacity_seconds, r.out_of_service_seconds, r.busy_seconds] for r in rows
    }
    return (
        as_rows(result.by_site),
        as_rows(result.by_type),
        {r.key: r.busy_seconds for r in result.by_company},
    )


def random_world(rng):
    sites = [factories.site(f"site{n}") for n in range(2)]
    types = [factories.accelerator_type(f"sim-type-{n}") for n in range(2)]
    devices = [
        factories.accelerator(site=rng.choice(sites), accelerator_type=rng.choice(types))
        for _ in range(6)
    ]
    grants = [factories.allocation(factories.company()) for _ in range(3)]
    # Moments around the Shanghai month boundaries of 2025-12 .. 2026-03, where UTC and the
    # center's calendar disagree (local midnight is 16:00 UTC the day before).
    base = dt.datetime(2025, 11, 25, tzinfo=SHANGHAI)
    span = (dt.datetime(2026, 4, 5, tzinfo=SHANGHAI) - base).total_seconds()
    moment = lambda: base + dt.timedelta(seconds=rng.uniform(0, span))  # noqa: E731
    for device in devices:
        cursor = base
        for _ in range(rng.randint(3, 9)):
            start = cursor + dt.timedelta(hours=rng.uniform(0, 400))
            end = start + dt.timedelta(hours=rng.uniform(0.01, 300))
            open_lease = rng.random() < 0.1
            Lease.objects.create(
                accelerator=device,
                allocation=rng.choice(grants),
                started_at=start.astimezone(UTC),
                ended_at=None if open_lease else end.astimezone(UTC),
            )
            if open_lease:
                break
            cursor = end
        count = rng.randint(0, 2)
        for index in range(count):
            start = moment()
            ended = index < count - 1 or rng.random() < 0.8  # at most one open outage
            DeviceOutage.objects.create(
                accelerator=device,
                health="draining",
                started_at=start,
                ended_at=start + dt.timedelta(hours=rng.uniform(1, 500)) if ended else None,
            )
    return devices


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rollups_equal_the_exact_figures_across_month_and_year_boundaries(seed):
    rng = random.Random(seed)
    with time_machine.travel(dt.datetime(2026, 4, 1, 0, 30, tzinfo=SHANGHAI), tick=False):
        random_world(rng)
        now = clock.now()
        for year, month in [(2025, 12), (2026, 1), (2026, 2), (2026, 3), (2026, 4)]:
            stored = utilization_for_month(year=year, month=month, now=now)
            expected = exact(year, month, now)
            got = figures(stored)
            for got_table, want_table in zip(got[:2], expected[:2], strict=True):
                assert got_table.keys() == want_table.keys()
                for key, row in want_table.items():
                    assert got_table[key] == pytest.approx(row, rel=1e-12, abs=1e-6)
            assert got[2] == pytest.approx(expected[2], rel=1e-12, abs=1e-6)
        # Closed months are stored (2025-12 .. 2026-03); April runs and is not.
        assert set(UtilizationMonth.objects.values_list("year", "month")) == {
            (2025, 12),
            (2026, 1),
            (2026, 2),
            (2026, 3),
        }


def march_busy(now):
    return utilization_for_month(year=2026, month=3, now=now).total.busy_seconds


@time_machine.travel(dt.datetime(2026, 4, 10, tzinfo=SHANGHAI), tick=False)
def test_a_stored_month_is_read_not_recomputed():
    device = factories.accelerator()
    grant = factories.allocation(factories.company())
    start = dt.datetime(2026, 3, 10, tzinfo=SHANGHAI)
    Lease.objects.create(
        accelerator=device,
        allocation=grant,
        started_at=start,
        ended_at=start + dt.timedelta(hours=5),
    )
    now = clock.now()
    assert march_busy(now) == 5 * 3600
    computed_at = UtilizationMonth.objects.get(year=2026, month=3).computed_at
    # A row changed behind the application's back (a raw UPDATE) is not seen: the month
    # is read from its rollup.
    Lease.objects.update(ended_at=start + dt.timedelta(hours=7))
    assert march_busy(now) == 5 * 3600
    assert UtilizationMonth.objects.get(year=2026, month=3).computed_at == computed_at


@time_machine.travel(dt.datetime(2026, 4, 10, tzinfo=SHANGHAI), tick=False)
def test_editing_or_deleting_a_lease_or_outage_of_a_closed_month_rewrites_it():
    device = factories.accelerator()
    grant = factories.allocation(factories.company())
    start = dt.datetime(2026, 3, 10, tzinfo=SHANGHAI)
    lease = Lease.objects.create(
        accelerator=device,
        allocation=grant,
        started_at=start,
        ended_at=start + dt.timedelta(hours=5),
    )
    now = clock.now()
    assert march_busy(now) == 5 * 3600
    lease.ended_at = start + dt.timedelta(hours=8)
    lease.save()
    assert not UtilizationMonth.objects.filter(year=2026, month=3).exists()
    assert march_busy(now) == 8 * 3600

    # Moved to February: both months change (the old start is remembered).
    lease.started_at = dt.datetime(2026, 2, 27, tzinfo=SHANGHAI)
    lease.ended_at = dt.datetime(2026, 2, 27, 2, tzinfo=SHANGHAI)
    utilization_for_month(year=2026, month=2, now=now)
    lease.save()
    assert march_busy(now) == 0
    assert utilization_for_month(year=2026, month=2, now=now).total.busy_seconds == 2 * 3600

    outage = DeviceOutage.objects.create(
        accelerator=device,
        health="failed",
        started_at=dt.datetime(2026, 3, 1, tzinfo=SHANGHAI),
        ended_at=dt.datetime(2026, 3, 2, tzinfo=SHANGHAI),
    )
    march = utilization_for_month(year=2026, month=3, now=now)
    assert march.total.out_of_service_seconds == 24 * 3600
    outage.delete()
    assert utilization_for_month(year=2026, month=3, now=now).total.out_of_service_seconds == 0


@time_machine.travel(dt.datetime(2026, 4, 10, tzinfo=SHANGHAI), tick=False)
def test_a_lease_ended_back_into_a_closed_month_rewrites_it():
    device = factories.accelerator()
    grant = factories.allocation(factories.company())
    workload = Workload.objects.create(
        allocation=grant, devices_requested=1, estimate_hours=1, created_at=clock.now()
    )
    Lease.objects.create(
        accelerator=device,
        allocation=grant,
        workload=workload,
        started_at=dt.datetime(2026, 3, 31, 20, tzinfo=SHANGHAI),
    )
    now = clock.now()
    # Open at the close of March: counted to the month's end (4 hours).
    assert march_busy(now) == 4 * 3600
    workload_finish(workload_id=workload.pk, at=dt.datetime(2026, 3, 31, 21, tzinfo=SHANGHAI))
    assert march_busy(now) == 1 * 3600


@time_machine.travel(dt.datetime(2026, 4, 10, tzinfo=SHANGHAI), tick=False)
def test_ending_a_lease_in_the_running_month_keeps_the_closed_one():
    device = factories.accelerator()
    grant = factories.allocation(factories.company())
    workload = Workload.objects.create(
        allocation=grant, devices_requested=1, estimate_hours=1, created_at=clock.now()
    )
    Lease.objects.create(
        accelerator=device,
        allocation=grant,
        workload=workload,
        started_at=dt.datetime(2026, 3, 31, 20, tzinfo=SHANGHAI),
    )
    now = clock.now()
    assert march_busy(now) == 4 * 3600
    workload_finish(workload_id=workload.pk, at=now)
    assert UtilizationMonth.objects.filter(year=2026, month=3).exists()
    assert march_busy(now) == 4 * 3600


def test_beat_stores_every_closed_month_once():
    device = factories.accelerator()
    grant = factories.allocation(factories.company())
    with time_machine.travel(dt.datetime(2026, 1, 20, tzinfo=SHANGHAI), tick=False):
        Lease.objects.create(
            accelerator=device,
            allocation=grant,
            started_at=dt.datetime(2025, 11, 30, 23, tzinfo=SHANGHAI),
            ended_at=dt.datetime(2025, 12, 1, 1, tzinfo=SHANGHAI),
        )
        assert rollups.rollups_close() == [(2025, 11), (2025, 12)]
        assert rollups.rollups_close() == []
        assert utilization_for_month(year=2025, month=11).total.busy_seconds == 3600
        assert utilization_for_month(year=2025, month=12).total.busy_seconds == 3600
    with pytest.raises(ValueError):
        with time_machine.travel(dt.datetime(2026, 1, 20, tzinfo=SHANGHAI), tick=False):
            rollups.rollup_write(year=2026, month=1)
