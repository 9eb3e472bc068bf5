"""The seeded center read at the clock's awkward moments: the first and last minute of a
month, New Year in Shanghai while UTC is still in the old year, and months after seeding.

The clock is frozen (time-machine, not ticking); every figure the pages show is compared
with what the selectors compute at that same moment, and a month that has not ended is
shown as "so far" and never held to the 90% target.
"""

import datetime as dt
import re

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from innovation_center.compute.models import Lease, Site
from innovation_center.compute.selectors import site_monthly_utilization
from innovation_center.core import clock
from tests import factories

pytestmark = pytest.mark.django_db
UTC = dt.UTC

MOMENTS = {
    # 2027-03-01 00:00:30 in Shanghai.
    "first minute of a month": dt.datetime(2027, 2, 28, 16, 0, 30, tzinfo=UTC),
    # 2027-03-31 23:59:30 in Shanghai.
    "last minute of a month": dt.datetime(2027, 3, 31, 15, 59, 30, tzinfo=UTC),
    # 2027-01-01 00:30 in Shanghai, still 2026-12-31 in UTC.
    "new year in Shanghai, old year in UTC": dt.datetime(2026, 12, 31, 16, 30, tzinfo=UTC),
    # An ordinary afternoon, mid-month.
    "mid-month afternoon": dt.datetime(2026, 12, 15, 6, 45, tzinfo=UTC),
}


def label(month) -> str:
    return clock.month_label(month)


def chart_of(html: str) -> str:
    return re.search(r"<svg.*?</svg>", html, re.S).group(0)


def assert_completed_months_above_target(now: dt.datetime) -> None:
    sites = list(Site.objects.values_list("pk", flat=True))
    for year, month in clock.past_months(12, at=now):
        figures = site_monthly_utilization(year=year, month=month)
        for site in sites:
            assert figures[site] > 0.90, (year, month, site, figures[site])


@pytest.fixture
def frozen(request):
    with time_machine.travel(request.param, tick=False):
        yield request.param


@pytest.mark.parametrize("frozen", MOMENTS.values(), ids=MOMENTS.keys(), indirect=True)
def test_it_seeds_and_reports_a_sensible_center_at(frozen, client):
    call_command("seed_demo", "--quiet")
    current = clock.this_month()
    previous = clock.add_months(current, -1)
    assert current == clock.month_of(frozen.astimezone(clock.center_timezone()))

    # The seed: twelve completed months above 90%, nothing after now, nothing left open.
    assert_completed_months_above_target(frozen)
    assert not Lease.objects.filter(ended_at__isnull=True).exists()
    assert not Lease.objects.filter(ended_at__gt=frozen).exists()

    client.force_login(factories.center_staff())

    # The dashboard: twelve months ending with this one, which is marked "so far".
    html = client.get(reverse("reports:dashboard")).content.decode()
    svg = chart_of(html)
    labels = re.findall(r">(\d{4}-\d{2})\*?</text>", svg)
    assert labels[-1] == label(current) and len(labels) == 12
    assert f">{label(current)}*</text>" in svg
    assert "Every site was above 90% in every completed month shown." in html
    assert f"{label(current)} has not ended" in html
    assert "Below 90%" not in html

    # The utilization page: the last completed month by default, complete.
    page = client.get(reverse("compute:overview"))
    assert page.context["month_label"] == label(previous)
    assert page.context["utilization"].complete
    assert "has not ended" not in page.content.decode().split("<svg")[0]
    assert page.context["total"].percent > 90
    # ... and the current month on request, marked so far.
    page = client.get(reverse("compute:overview"), {"month": label(current)})
    assert not page.context["utilization"].complete
    assert page.context["utilization"].until <= frozen
    assert f"{label(current)} has not ended" in page.content.decode()

    # The monthly report: the last completed month by default, the current one so far.
    report = client.get(reverse("reports:monthly"))
    assert report.context["month_value"] == label(previous)
    assert "so far" not in report.context["title"]
    report = client.get(reverse("reports:monthly"), {"month": label(current)})
    assert report.status_code == 200
    assert f"{label(current)}, so far" in report.context["title"]
    nxt = clock.add_months(current, 1)
    later = client.get(reverse("reports:monthly"), {"month": label(nxt)})
    assert "Choose this month or an earlier one." in later.content.decode()


def test_it_keeps_the_demo_alive_months_after_it_was_seeded(client):
    seeded_at = dt.datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    with time_machine.travel(seeded_at, tick=False):
        call_command("seed_demo", "--quiet")
    later = dt.datetime(2027, 5, 20, 6, 0, tzinfo=UTC)
    with time_machine.travel(later, tick=False):
        call_command("seed_demo", "--quiet")
        # Every month from a year before now to the last one is full, the current one too.
        assert_completed_months_above_target(later)
        so_far = site_monthly_utilization(year=2027, month=5)
        assert so_far and min(so_far.values()) > 0.85
        client.force_login(factories.center_staff())
        html = client.get(reverse("reports:dashboard")).content.decode()
        assert "Every site was above 90% in every completed month shown." in html
        # The review queue asks for time that is still ahead.
        queue = client.get(reverse("compute:review_queue"))
        assert queue.status_code == 200
        rows = queue.context["rows"]
        assert rows and all(row["item"].starts_on > later.date() for row in rows)
