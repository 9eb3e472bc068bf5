"""The pages and the API refuse the same input with the same message, and store nothing.

Numbers are plain ASCII digits (core.numbers, used by the form and the serializer fields);
the period and the device cap of a request, a change and a grant are the compute services'
rules; an internship's host is the talent service's.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from innovation_center.accounts.models import Membership
from innovation_center.compute import services
from innovation_center.compute.models import Allocation, AllocationRequest
from innovation_center.core import clock
from innovation_center.talent.models import Course, Internship, Program
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(db):
    # Owners ask for compute; the outsider owns the other company.
    return factories.people(outsider_role=Membership.Role.COMPANY_OWNER)


@pytest.fixture
def device_type(db):
    factories.fleet(3)
    return factories.accelerator_type()


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def request_figures(device_type, **overrides) -> dict:
    today = clock.today()
    data = {
        "accelerator_type": device_type.pk,
        "hours": "300",
        "device_cap": "2",
        "starts_on": today.isoformat(),
        "ends_on": (today + dt.timedelta(days=60)).isoformat(),
        "purpose": "Train a detector",
        "expected_outcome": "",
    }
    data.update(overrides)
    return data


def ask_on_the_page(client, owner, company, device_type, **overrides):
    client.force_login(owner)
    data = {"company": company.pk, "site": "", **request_figures(device_type, **overrides)}
    return client.post(reverse("compute:request_create"), data)


def ask_through_the_api(owner, device_type, **overrides):
    return api_as(owner).post(
        reverse("api:allocationrequest-list"),
        request_figures(device_type, **overrides),
        format="json",
    )


def far_period() -> dict:
    return {"starts_on": "0001-01-01", "ends_on": "9999-12-31"}


def in_two_years_and_more() -> dict:
    today = clock.today()
    return {
        "starts_on": today.isoformat(),
        "ends_on": (today + dt.timedelta(days=800)).isoformat(),
    }


def starting_in_three_years() -> dict:
    start = clock.today() + dt.timedelta(days=3 * 365)
    return {"starts_on": start.isoformat(), "ends_on": (start + dt.timedelta(days=30)).isoformat()}


BAD_REQUESTS = [
    ("hours", {"hours": "1_000"}),
    ("hours", {"hours": "١٠٠"}),
    ("hours", {"hours": "１００"}),
    ("hours", {"hours": "1e3"}),
    ("device_cap", {"device_cap": "2_0"}),
    ("device_cap", {"device_cap": "٢"}),
    ("device_cap", {"device_cap": "2147483648"}),
    ("starts_on", far_period()),
    ("ends_on", in_two_years_and_more()),
    ("starts_on", starting_in_three_years()),
]


@pytest.mark.parametrize(("field", "bad"), BAD_REQUESTS)
def test_a_request_is_refused_alike_on_the_page_and_through_the_api(
    client, owner, company, device_type, field, bad
):
    page = ask_on_the_page(client, owner, company, device_type, **bad)
    api = ask_through_the_api(owner, device_type, **bad)
    assert page.status_code == 200
    assert api.status_code == 400, api.json()
    assert page.context["form"].errors[field] == api.json()[field]
    assert not AllocationRequest.objects.exists()


def test_a_device_cap_beyond_the_database_column_is_a_clear_refusal(
    client, owner, company, device_type
):
    page = ask_on_the_page(client, owner, company, device_type, device_cap="2147483648")
    assert page.context["form"].errors["device_cap"] == ["Enter a whole number from 1 to 100000."]
    assert "must be from 1 to 100000 devices" in page.content.decode()


def test_plain_figures_are_still_accepted_on_both_paths(client, owner, company, device_type):
    ask_on_the_page(client, owner, company, device_type, hours="1000.5", device_cap="100")
    api = ask_through_the_api(owner, device_type, hours="1000.50", device_cap=100)
    assert api.status_code == 201, api.json()
    assert list(AllocationRequest.objects.values_list("hours", "device_cap")) == [
        (Decimal("1000.50"), 100),
        (Decimal("1000.50"), 100),
    ]


# Changes of an allocation ---------------------------------------------------------------------


@pytest.fixture
def allocation(company, device_type):
    return factories.allocation(company, accelerator_type=device_type)


def change_figures(**overrides) -> dict:
    today = clock.today()
    data = {
        "kind": AllocationRequest.Kind.ENLARGEMENT,
        "hours": "100",
        "device_cap": "4",
        "starts_on": today.isoformat(),
        "ends_on": (today + dt.timedelta(days=60)).isoformat(),
        "purpose": "More runs",
        "expected_outcome": "",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("device_cap", {"device_cap": "2147483648"}),
        ("hours", {"hours": "1_000"}),
        ("ends_on", in_two_years_and_more()),
    ],
)
def test_a_change_is_refused_alike_on_the_page_and_through_the_api(
    client, owner, allocation, field, bad
):
    client.force_login(owner)
    page = client.post(
        reverse("compute:allocation_change", args=[allocation.pk]), change_figures(**bad)
    )
    api = api_as(owner).post(
        reverse("api:allocationrequest-list"),
        {"allocation": allocation.pk, **change_figures(**bad)},
        format="json",
    )
    assert page.status_code == 200
    assert api.status_code == 400, api.json()
    assert page.context["change_form"].errors[field] == api.json()[field]
    assert not AllocationRequest.objects.exists()


# Grants ------------------------------------------------------------------------------------------


@pytest.fixture
def pending(company, owner, device_type):
    return services.allocation_request_create(
        company=company,
        actor=owner,
        hours=Decimal("300"),
        device_cap=2,
        starts_on=clock.today(),
        ends_on=clock.today() + dt.timedelta(days=60),
        purpose="Train a detector",
        accelerator_type=device_type,
    )


def grant_figures(item, **overrides) -> dict:
    data = {
        "hours": str(item.hours),
        "device_cap": str(item.device_cap),
        "starts_on": item.starts_on.isoformat(),
        "ends_on": item.ends_on.isoformat(),
        "reason": "",
        "overcommit_reason": "",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("device_cap", {"device_cap": "2147483648"}),
        ("hours", {"hours": "١٠٠"}),
        ("starts_on", far_period()),
        ("ends_on", in_two_years_and_more()),
    ],
)
def test_a_grant_is_refused_alike_on_the_page_and_through_the_api(
    client, reviewer, pending, field, bad
):
    client.force_login(reviewer)
    data = grant_figures(pending, **bad)
    page = client.post(
        reverse("compute:request_approve", args=[pending.pk]),
        {f"approve-{pending.pk}-{k}": v for k, v in data.items()},
    )
    api = api_as(reviewer).post(
        reverse("api:allocationrequest-approve", args=[pending.pk]), data, format="json"
    )
    assert page.status_code == 200
    assert api.status_code == 400, api.json()
    assert page.context["approve_form"].errors[field] == api.json()[field]
    pending.refresh_from_db()
    assert pending.status == AllocationRequest.Status.PENDING
    assert not Allocation.objects.exists()


# Talent ------------------------------------------------------------------------------------------


def internship_figures(**overrides) -> dict:
    data = {"host_name": "Lab", "student_count": "5", "starts_on": "2026-07-01"}
    data.update({"ends_on": "2026-08-31", **overrides})
    return data


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("host_name", {"host_name": ""}),
        ("host_name", {"host_name": "   "}),
        ("student_count", {"student_count": "1_0"}),
        ("student_count", {"student_count": "٥"}),
    ],
)
def test_an_internship_is_refused_alike_on_the_page_and_through_the_api(
    client, coordinator, field, bad
):
    client.force_login(coordinator)
    page = client.post(reverse("talent:internship_create"), internship_figures(**bad))
    api = api_as(coordinator).post(
        reverse("api:internship-list"), internship_figures(**bad), format="json"
    )
    assert page.status_code == 200
    assert api.status_code == 400, api.json()
    assert page.context["form"].errors[field] == api.json()[field]
    assert not Internship.objects.exists()


def test_an_internship_cannot_lose_its_host_through_the_api(coordinator, university):
    internship = Internship.objects.create(
        university=university,
        host_name="Lab",
        student_count=2,
        starts_on=dt.date(2026, 7, 1),
        ends_on=dt.date(2026, 8, 31),
    )
    response = api_as(coordinator).patch(
        reverse("api:internship-detail", args=[internship.pk]), {"host_name": ""}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["host_name"] == ["Name the host company or institution."]
    internship.refresh_from_db()
    assert internship.host_name == "Lab"


def test_course_hours_take_plain_digits_alike_on_the_page_and_through_the_api(client, coordinator):
    program = factories.program(Program.Kind.COURSE, 2026)
    data = {
        "program": program.pk,
        "title": "Deep learning",
        "year": "2026",
        "term": Course.Term.SPRING,
        "students_enrolled": "40",
        "hours": "3_2",
    }
    client.force_login(coordinator)
    page = client.post(reverse("talent:course_create"), {**data, "teachers": "Wang"})
    api = api_as(coordinator).post(
        reverse("api:course-list"), {**data, "teachers": ["Wang"]}, format="json"
    )
    assert page.status_code == 200
    assert api.status_code == 400, api.json()
    assert page.context["form"].errors["hours"] == api.json()["hours"]
    assert not Course.objects.exists()
