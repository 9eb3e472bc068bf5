"""Existence oracles: another tenant's id answers exactly as an id that exists nowhere.

A list filter offers the caller's rows only (accounts.filters.ScopedFilterSet, through the one
scoping mechanism), and an internship's host is linked to a center company without telling a
coordinator which company, or that there is one.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from innovation_center.accounts.models import Membership
from innovation_center.talent.models import Internship
from tests import factories
from tests.api.conftest import build_world, client_for

pytestmark = pytest.mark.django_db

UNKNOWN_ID = 987654321


@pytest.fixture
def world(db):
    return build_world()


# (list, filter, the other tenant's row, the caller's own row) for a member of company A.
COMPANY_FILTERS = [
    ("api:job-list", "company", lambda w: w.b.company.pk, lambda w: w.a.company.pk),
    ("api:job-list", "allocation", lambda w: w.b.allocation.pk, lambda w: w.a.allocation.pk),
    ("api:job-list", "model", lambda w: w.b.model.pk, lambda w: w.a.model.pk),
    ("api:job-list", "dataset", lambda w: w.b.dataset.pk, lambda w: w.a.dataset.pk),
    ("api:allocation-list", "company", lambda w: w.b.company.pk, lambda w: w.a.company.pk),
    (
        "api:allocationrequest-list",
        "company",
        lambda w: w.b.company.pk,
        lambda w: w.a.company.pk,
    ),
    (
        "api:ledgerentry-list",
        "allocation",
        lambda w: w.b.allocation.pk,
        lambda w: w.a.allocation.pk,
    ),
    ("api:model-list", "company", lambda w: w.b.company.pk, lambda w: w.a.company.pk),
    ("api:dataset-list", "company", lambda w: w.b.company.pk, lambda w: w.a.company.pk),
    ("api:engagement-list", "company", lambda w: w.b.company.pk, lambda w: w.a.company.pk),
]


def _get(client, name, **params):
    return client.get(reverse(name), params)


@pytest.mark.parametrize(("name", "param", "foreign", "own"), COMPANY_FILTERS)
def test_it_answers_a_foreign_id_exactly_as_an_unknown_one(world, name, param, foreign, own):
    client = client_for(world.users["member"])
    unknown = _get(client, name, **{param: UNKNOWN_ID})
    other = _get(client, name, **{param: foreign(world)})
    assert other.status_code == unknown.status_code == 400
    assert other.json() == unknown.json()
    assert "you can see" in other.json()[param][0]


@pytest.mark.parametrize(("name", "param", "foreign", "own"), COMPANY_FILTERS)
def test_it_still_filters_by_the_caller_s_own_rows(world, name, param, foreign, own):
    response = _get(client_for(world.users["member"]), name, **{param: own(world)})
    assert response.status_code == 200, response.json()


@pytest.mark.parametrize("name", ["api:course-list", "api:crowdtask-list", "api:internship-list"])
def test_a_company_member_cannot_tell_which_university_ids_exist(world, name):
    client = client_for(world.users["member"])
    unknown = _get(client, name, university=UNKNOWN_ID)
    other = _get(client, name, university=world.rows["university"].pk)
    assert other.status_code == unknown.status_code == 400
    assert other.json() == unknown.json()


def test_a_coordinator_cannot_tell_which_company_ids_exist_through_host_company(world):
    client = client_for(world.users["coordinator"])
    unknown = _get(client, "api:internship-list", host_company=UNKNOWN_ID)
    other = _get(client, "api:internship-list", host_company=world.b.company.pk)
    assert other.status_code == unknown.status_code == 400
    assert other.json() == unknown.json()


def test_a_coordinator_cannot_tell_which_company_ids_exist_through_job_filters(world):
    client = client_for(world.users["coordinator"])
    unknown = _get(client, "api:job-list", company=UNKNOWN_ID)
    other = _get(client, "api:job-list", company=world.a.company.pk)
    assert other.status_code == unknown.status_code == 400
    assert other.json() == unknown.json()


def test_center_staff_filter_by_any_company(world):
    response = _get(client_for(world.users["admin"]), "api:job-list", company=world.b.company.pk)
    assert response.status_code == 200
    assert response.json()["count"] == 2


def test_an_engagement_owner_filter_offers_only_people_the_caller_s_rows_name(world):
    world.a.engagement.owner = world.users["admin"]
    world.a.engagement.save()
    world.b.engagement.owner = world.users["reviewer"]
    world.b.engagement.save()
    client = client_for(world.users["member"])
    own = _get(client, "api:engagement-list", owner=world.users["admin"].pk)
    unknown = _get(client, "api:engagement-list", owner=UNKNOWN_ID)
    other = _get(client, "api:engagement-list", owner=world.users["reviewer"].pk)
    assert own.status_code == 200 and own.json()["count"] == 1
    assert other.status_code == unknown.status_code == 400
    assert other.json() == unknown.json()


# Pages -------------------------------------------------------------------------------------------


def test_the_jobs_page_treats_a_foreign_model_like_an_unknown_one(client, world):
    client.force_login(world.users["member"])
    unknown = client.get(reverse("evaluation:job_list"), {"model": UNKNOWN_ID})
    other = client.get(reverse("evaluation:job_list"), {"model": world.b.model.pk})
    assert unknown.status_code == other.status_code == 200
    assert list(other.context["page_obj"]) == list(unknown.context["page_obj"])
    assert other.context["form"].errors == unknown.context["form"].errors


def test_the_internships_page_treats_a_foreign_university_like_an_unknown_one(client, world):
    second = factories.university("University V")
    coordinator = world.users["coordinator"]
    factories.member(second.organisation, Membership.Role.COORDINATOR, "second")
    client.force_login(coordinator)
    other_university = factories.university("University W")
    unknown = client.get(reverse("talent:internship_list"), {"university": UNKNOWN_ID})
    other = client.get(reverse("talent:internship_list"), {"university": other_university.pk})
    assert unknown.status_code == other.status_code == 200
    assert list(other.context["page_obj"]) == list(unknown.context["page_obj"])
    assert other.context["form"].errors == unknown.context["form"].errors


# The internship's host ---------------------------------------------------------------------------


def _internship_body(host_name: str) -> dict:
    return {
        "host_name": host_name,
        "student_count": 2,
        "starts_on": "2027-03-01",
        "ends_on": "2027-05-31",
    }


def _without_row_identity(body: dict) -> dict:
    return {
        k: v for k, v in body.items() if k not in ("id", "host_name", "created_at", "updated_at")
    }


def test_a_coordinator_cannot_learn_a_company_through_the_host_name(world):
    client = client_for(world.users["coordinator"])
    existing = client.post(
        reverse("api:internship-list"),
        _internship_body(world.b.company.legal_name),
        format="json",
    )
    invented = client.post(
        reverse("api:internship-list"), _internship_body("No such company Ltd"), format="json"
    )
    assert existing.status_code == invented.status_code == 201
    assert existing.json()["host_company"] is None
    assert _without_row_identity(existing.json()) == _without_row_identity(invented.json())
    detail = client.get(reverse("api:internship-detail", args=[existing.json()["id"]]))
    listed = client.get(reverse("api:internship-list"))
    assert detail.json()["host_company"] is None
    assert all(row["host_company"] is None for row in listed.json()["results"])


def test_the_host_company_still_sees_the_internships_it_hosts(world):
    client_for(world.users["coordinator"]).post(
        reverse("api:internship-list"),
        _internship_body(world.b.company.legal_name),
        format="json",
    )
    stored = Internship.objects.get(host_name=world.b.company.legal_name)
    assert stored.host_company == world.b.company
    hosted = client_for(world.users["other"]).get(reverse("api:internship-list")).json()
    assert [row["id"] for row in hosted["results"]] == [stored.pk]
    assert hosted["results"][0]["host_company"] == world.b.company.pk
    staff = client_for(world.users["admin"]).get(reverse("api:internship-detail", args=[stored.pk]))
    assert staff.json()["host_company"] == world.b.company.pk


def test_the_internship_page_shows_the_host_as_written(client, world):
    # The page shows the company's legal name when linked: the same text the coordinator wrote.
    Internship.objects.create(
        university=world.rows["university"],
        host_name=world.b.company.legal_name,
        host_company=world.b.company,
        student_count=2,
        starts_on=dt.date(2027, 3, 1),
        ends_on=dt.date(2027, 5, 31),
    )
    client.force_login(world.users["coordinator"])
    response = client.get(reverse("talent:internship_list"))
    assert world.b.company.legal_name in response.content.decode()
    assert reverse("ecosystem:company_detail", args=[world.b.company.pk]) not in (
        response.content.decode()
    )
