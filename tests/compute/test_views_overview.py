"""The staff utilization page: figures of a month, queue waits, unmet demand and the chart."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from innovation_center.accounts.models import Membership
from innovation_center.compute.models import AllocationRequest, DeviceOutage, Lease
from innovation_center.core.clock import month_bounds, months_to, past_months
from innovation_center.evaluation.models import EvaluationJob
from tests import factories

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}


@pytest.fixture
def staff(operator):
    return operator


@pytest.fixture
def last_month():
    return past_months(1)[0]


@pytest.fixture
def busy_month(last_month):
    """One device busy all month, one out of service all month, a job that waited 10 min."""
    start, end = month_bounds(*last_month)
    company = factories.company("Optics Vision")
    grant = factories.allocation(company)
    busy = factories.accelerator(name="WH-BUSY")
    down = factories.accelerator(name="WH-DOWN")
    job = factories.job(grant, status=EvaluationJob.Status.SUCCEEDED)
    factories.job_set(
        job,
        created_at=start + dt.timedelta(hours=1),
        scheduled_at=start + dt.timedelta(hours=1, minutes=10),
    )
    Lease.objects.create(
        accelerator=busy, allocation=grant, workload=job.workload, started_at=start, ended_at=end
    )
    DeviceOutage.objects.create(accelerator=down, health="failed", started_at=start, ended_at=end)
    AllocationRequest.objects.create(
        company=company,
        site=factories.site(),
        hours=Decimal("250"),
        device_cap=1,
        starts_on=start.date(),
        ends_on=end.date(),
        purpose="More",
    )
    return start, end


def test_it_sends_anonymous_visitors_to_the_login_page(client):
    response = client.get(reverse("compute:overview"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("role", [Membership.Role.COMPANY_OWNER, Membership.Role.COMPANY_MEMBER])
def test_it_keeps_the_page_for_staff(client, role):
    company = factories.company()
    client.force_login(factories.member(company.organisation, role))
    assert client.get(reverse("compute:overview")).status_code == 403


def test_it_shows_the_last_full_month_by_default(client, staff, busy_month, last_month):
    client.force_login(staff)
    body = client.get(reverse("compute:overview")).content.decode()
    year, month = last_month
    hours = (busy_month[1] - busy_month[0]).total_seconds() / 3600
    assert f"Month {year}-{month:02d}" in body
    # Busy all month on the one device in service: 100%; the other's hours are shown apart.
    assert ">100.0%<" in body and f">{hours:,.0f}<" in body
    assert "10 min" in body  # median wait
    assert "Optics Vision" in body and ">250<" in body  # per company, unmet demand


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2025-13", "Enter a month as YYYY-MM"),
        ("March", "Enter a month as YYYY-MM"),
        ("2999-01", "is in the future"),
    ],
)
def test_it_explains_a_bad_month_and_shows_the_default(client, staff, last_month, value, message):
    client.force_login(staff)
    body = client.get(reverse("compute:overview"), {"month": value}).content.decode()
    year, month = last_month
    assert message in body and f"Showing {year}-{month:02d} instead." in body


def test_it_shows_a_chosen_month(client, staff):
    client.force_login(staff)
    body = client.get(reverse("compute:overview"), {"month": "2024-02"}).content.decode()
    assert "Month 2024-02" in body and ">2023-03<" in body and ">2024-03<" not in body


def test_it_returns_the_page_body_alone_to_htmx(client, staff):
    client.force_login(staff)
    response = client.get(reverse("compute:overview"), {"month": "2024-02"}, headers=HX)
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="overview-body">') and "<html" not in body


def test_it_draws_an_accessible_chart_of_twelve_months(client, staff, busy_month, last_month):
    client.force_login(staff)
    body = client.get(reverse("compute:overview")).content.decode()
    svg = re.search(r"<svg.*?</svg>", body, re.S).group(0)
    assert 'role="img"' in svg and "aria-label=" in svg and "<title>" in svg
    assert "90% target" in svg and ">0%<" in svg and ">100%<" in svg
    labels = re.findall(r">(\d{4}-\d{2})</text>", svg)
    assert len(labels) == 12 and labels[-1] == "{}-{:02d}".format(*last_month)
    assert "<polyline" in svg and "Wuhan" in svg
    assert re.search(r"<circle[^>]*><title>Wuhan, \d{4}-\d{2}: 100.0%", svg)


def test_it_counts_twelve_months_back_across_a_year():
    months = months_to((2025, 2), 12)
    assert months[0] == (2024, 3) and months[-1] == (2025, 2) and len(months) == 12


def test_it_states_the_fair_share_formula_with_the_current_half_life(client, staff, settings):
    settings.FAIR_SHARE_HALF_LIFE_DAYS = 10
    client.force_login(staff)
    body = client.get(reverse("compute:overview")).content.decode()
    assert 'id="fair-share"' in body and "The half-life is 10 days" in body
