"""A company's token gets 404 for every object of another company, on every resource."""

import pytest
from django.urls import reverse

from innovation_center.accounts.models import Membership
from innovation_center.accounts.services import api_token_issue
from tests.api.conftest import client_for
from tests.api.test_permission_matrix import ROUTES

pytestmark = pytest.mark.django_db

# Company B's row behind each detail route; catalogue and university rows are not a company's.
OTHER_COMPANY = {
    "member": lambda w: w.b.membership.pk,
    "invitation": lambda w: w.b.invitation.pk,
    "company": lambda w: w.b.company.pk,
    "engagement": lambda w: w.b.engagement.pk,
    "solution": lambda w: w.b.solution.pk,
    "allocationrequest": lambda w: w.b.allocation_request.pk,
    "allocation": lambda w: w.b.allocation.pk,
    "ledgerentry": lambda w: w.b.ledger_entry.pk,
    "model": lambda w: w.b.model.pk,
    "dataset": lambda w: w.b.dataset.pk,
    "job": lambda w: w.b.job.pk,
    "result": lambda w: w.b.finished_job.pk,
    "suitesubmission": lambda w: w.b.submission.pk,
    "verification": lambda w: w.b.verification.pk,
    "application": lambda w: w.b.application.pk,
    "review": lambda w: w.b.review.pk,
    "kpireport": lambda w: w.b.kpi_report.pk,
}
NOT_COMPANY_ROWS = {
    "token",
    "notification",
    "university",
    "program",
    "course",
    "crowdtask",
    "internship",
    "conflict",
}
CATALOGUE = {"site", "acceleratortype", "accelerator", "suite", "call"}


def detail_routes():
    for name, route in sorted(ROUTES.items()):
        if route["kwarg"] is None:
            continue
        basename = name.split(":")[1].rsplit("-", 1)[0]
        for method in route["methods"]:
            yield name, basename, method, route["kwarg"]


def test_it_knows_which_company_row_each_detail_route_shows():
    basenames = {basename for _n, basename, _m, _k in detail_routes()}
    unknown = basenames - OTHER_COMPANY.keys() - NOT_COMPANY_ROWS - CATALOGUE
    assert not unknown, f"say which company row these routes show: {sorted(unknown)}"


def test_it_answers_404_for_every_object_of_another_company(world):
    token, key = api_token_issue(user=world.users["owner"], name="scope test")
    client = client_for(key=key)
    failures = []
    for name, basename, method, kwarg in detail_routes():
        if basename not in OTHER_COMPANY:
            continue
        url = reverse(name, kwargs={kwarg: OTHER_COMPANY[basename](world)})
        response = getattr(client, method)(url, {}, format="json")
        if response.status_code != 404:
            failures.append(f"{method.upper()} {url}: {response.status_code}")
        elif response.json().get("code") != "not_found":
            failures.append(f"{method.upper()} {url}: body {response.json()}")
    assert not failures, "\n".join(failures)
    assert token.user == world.users["owner"]


def test_it_lists_only_the_company_s_own_rows(world):
    client = client_for(world.users["member"])
    for name, rows in {
        "api:company-list": [world.a.company.pk],
        "api:job-list": sorted([world.a.job.pk, world.a.finished_job.pk]),
        "api:allocation-list": [world.a.allocation.pk],
        "api:model-list": [world.a.model.pk],
        "api:member-list": sorted(
            Membership.objects.filter(organisation=world.a.company.organisation).values_list(
                "pk", flat=True
            )
        ),
        # A plain member does not manage the company's people: no invitations at all.
        "api:invitation-list": [],
        "api:notification-list": [],
        "api:application-list": [world.a.application.pk],
        "api:kpireport-list": [world.a.kpi_report.pk],
        # The company's application has a review: it is the reviewer's, not the company's.
        "api:review-list": [],
    }.items():
        body = client.get(reverse(name)).json()
        assert sorted(item["id"] for item in body["results"]) == rows, name


def test_it_shows_a_published_showcase_of_another_company_like_the_case_collection(world):
    from innovation_center.ecosystem.models import Solution

    Solution.objects.filter(pk=world.b.solution.pk).update(
        status="launched", launched_on="2026-01-01", is_published=True, showcase_text="A case."
    )
    client = client_for(world.users["member"])
    response = client.get(reverse("api:solution-detail", args=[world.b.solution.pk]))
    assert response.status_code == 200
    refused = client.post(reverse("api:solution-publish", args=[world.b.solution.pk]), {})
    assert refused.status_code == 403
