"""Utilization against cases computed by hand."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from innovation_center.compute.models import DeviceOutage, Lease
from innovation_center.compute.selectors import (
    percentile,
    queue_waits,
    unmet_demand,
    utilization_for_month,
)
from tests import factories

pytestmark = pytest.mark.django_db
TZ = timezone.get_current_timezone()
APRIL = 30 * 24 * 3600  # seconds in April


def at(*args):
    return dt.datetime(*args, tzinfo=TZ)


def lease(device, grant, start, end):
    return Lease.objects.create(
        accelerator=device, allocation=grant, started_at=start, ended_at=end
    )


def test_it_counts_only_the_part_of_a_lease_inside_the_month():
    device = factories.accelerator()
    grant = factories.allocation(factories.company())
    # 31 March 12:00 → 1 April 12:00: 12 hours fall in April.
    lease(device, grant, at(2026, 3, 31, 12), at(2026, 4, 1, 12))
    april = utilization_for_month(year=2026, month=4)
    assert april.total.busy_seconds == 12 * 3600
    assert april.total.utilization == pytest.approx(12 * 3600 / APRIL)
    march = utilization_for_month(year=2026, month=3)
    assert march.total.busy_seconds == 12 * 3600


def test_it_excludes_a_device_out_of_service_and_shows_it_apart():
    up, down = factories.accelerator(), factories.accelerator()
    grant = factories.allocation(factories.company())
    lease(up, grant, at(2026, 4, 1), at(2026, 4, 16))  # 15 days busy
    # `down` failed for the first 10 days, then ran a 5-day lease.
    DeviceOutage.objects.create(
        accelerator=down, health="failed", started_at=at(2026, 3, 20), ended_at=at(2026, 4, 11)
    )
    lease(down, grant, at(2026, 4, 11), at(2026, 4, 16))
    row = utilization_for_month(year=2026, month=4).total
    assert row.out_of_service_seconds == 10 * 86400
    assert row.available_seconds == 2 * APRIL - 10 * 86400
    assert row.utilization == pytest.approx((15 + 5) / (60 - 10))


def test_it_does_not_count_busy_time_inside_an_outage():
    device = factories.accelerator()
    grant = factories.allocation(factories.company())
    lease(device, grant, at(2026, 4, 1), at(2026, 5, 1))
    DeviceOutage.objects.create(
        accelerator=device, health="draining", started_at=at(2026, 4, 21), ended_at=at(2026, 5, 1)
    )
    row = utilization_for_month(year=2026, month=4).total
    assert row.utilization == pytest.approx(1.0)
    assert row.busy_seconds == 20 * 86400


def test_it_splits_by_site_type_and_company():
    wuhan = factories.site("wuhan")
    xian = factories.site("xian")
    a = factories.accelerator(site=wuhan)
    b = factories.accelerator(site=xian, accelerator_type=factories.accelerator_type("sim-t4"))
    first, second = factories.company("First"), factories.company("Second")
    lease(a, factories.allocation(first), at(2026, 4, 1), at(2026, 4, 4))
    lease(b, factories.allocation(second), at(2026, 4, 1), at(2026, 4, 2))
    month = utilization_for_month(year=2026, month=4)
    assert {r.label: r.busy_seconds / 86400 for r in month.by_site} == {"Wuhan": 3, "Xian": 1}
    assert {r.label: r.busy_seconds / 86400 for r in month.by_type} == {"sim-h200": 3, "sim-t4": 1}
    assert [(r.label, r.busy_seconds / 86400) for r in month.by_company] == [
        ("First", 3),
        ("Second", 1),
    ]


def test_it_computes_queue_waits_and_unmet_demand():
    grant = factories.allocation(factories.company())
    for minutes in (1, 2, 3, 4, 100):
        job = factories.job(grant)
        created = at(2026, 4, 10, 8)
        factories.job_set(
            job, created_at=created, scheduled_at=created + dt.timedelta(minutes=minutes)
        )
    waits = queue_waits(year=2026, month=4)
    assert (waits["jobs"], waits["median_seconds"], waits["p95_seconds"]) == (5, 180, 6000)
    assert percentile([], 50) is None

    from innovation_center.compute.models import AllocationRequest

    base = {
        "company": grant.company,
        "device_cap": 1,
        "starts_on": dt.date(2026, 4, 1),
        "ends_on": dt.date(2026, 4, 30),
        "purpose": "x",
    }
    AllocationRequest.objects.create(hours=100, status="approved", granted_hours=60, **base)
    AllocationRequest.objects.create(hours=50, status="pending", **base)
    AllocationRequest.objects.create(hours=30, status="rejected", decision_reason="no", **base)
    demand = unmet_demand(year=2026, month=4)
    assert (demand["requested"], demand["granted"], demand["unmet"], demand["pending"]) == (
        180,
        60,
        120,
        50,
    )


def test_it_splits_a_lease_at_the_local_midnight_that_ends_the_month():
    """The center's month is Shanghai's: 23:00–01:00 local on New Year's Eve is one hour in
    each year, though in UTC (15:00–17:00 on 31 December) it lies wholly in the old one."""
    device = factories.accelerator()
    grant = factories.allocation(factories.company())
    utc = dt.UTC
    lease(
        device,
        grant,
        dt.datetime(2026, 12, 31, 15, tzinfo=utc),
        dt.datetime(2026, 12, 31, 17, tzinfo=utc),
    )
    with time_machine.travel(dt.datetime(2027, 2, 10, tzinfo=utc), tick=False):
        december = utilization_for_month(year=2026, month=12)
        january = utilization_for_month(year=2027, month=1)
    assert december.total.busy_seconds == 3600
    assert january.total.busy_seconds == 3600
    assert december.complete and january.complete


def test_it_measures_a_month_still_running_up_to_now_and_says_so():
    device = factories.accelerator()
    grant = factories.allocation(factories.company())
    # 1 March 00:00 in Shanghai is 28 February 16:00 UTC.
    lease(device, grant, at(2027, 3, 1, 0), at(2027, 3, 1, 6))
    now = dt.datetime(2027, 2, 28, 22, tzinfo=dt.UTC)  # 06:00 on 1 March in Shanghai
    with time_machine.travel(now, tick=False):
        march = utilization_for_month(year=2027, month=3)
    assert not march.complete and march.until == now
    assert march.total.available_seconds == 6 * 3600
    assert march.total.utilization == 1.0
