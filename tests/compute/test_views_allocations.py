"""Pages of allocations: the list with balances, the allocation page, renewal requests."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from innovation_center.compute import ledger, services
from innovation_center.compute.models import Allocation, AllocationRequest, Lease
from innovation_center.core import clock
from tests import factories

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}


@pytest.fixture
def grant(company):
    return factories.allocation(company, hours="100")


def change_form(**overrides):
    today = clock.today()
    data = {
        "kind": "renewal",
        "hours": "50",
        "device_cap": "4",
        # A renewal is the period after the grant's (which ends 60 days from today).
        "starts_on": (today + dt.timedelta(days=60)).isoformat(),
        "ends_on": (today + dt.timedelta(days=120)).isoformat(),
        "purpose": "Keep the detector training",
        "expected_outcome": "",
    }
    data.update(overrides)
    return data


def test_it_sends_anonymous_visitors_to_the_login_page(client, grant):
    for url in (
        reverse("compute:allocation_list"),
        reverse("compute:allocation_detail", args=[grant.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_it_lists_only_the_companys_allocations(client, grant, outsider):
    theirs = factories.allocation(outsider.memberships.get().organisation.company)
    client.force_login(outsider)
    body = client.get(reverse("compute:allocation_list")).content.decode()
    assert f">#{theirs.pk}<" in body and f">#{grant.pk}<" not in body


def test_it_lists_every_allocation_to_staff_and_filters_them(client, grant, outsider, reviewer):
    theirs = factories.allocation(
        outsider.memberships.get().organisation.company, status=Allocation.Status.EXPIRED
    )
    client.force_login(reviewer)
    body = client.get(reverse("compute:allocation_list")).content.decode()
    assert f">#{theirs.pk}<" in body and f">#{grant.pk}<" in body
    expired = client.get(reverse("compute:allocation_list"), {"status": "expired"}, headers=HX)
    assert f">#{theirs.pk}<" in expired.content.decode()
    assert f">#{grant.pk}<" not in expired.content.decode()
    assert "<html" not in expired.content.decode()
    by_company = client.get(reverse("compute:allocation_list"), {"company": grant.company_id})
    assert f">#{theirs.pk}<" not in by_company.content.decode()


def test_it_refuses_the_allocation_list_to_a_coordinator(client, coordinator):
    client.force_login(coordinator)
    assert client.get(reverse("compute:allocation_list")).status_code == 403


def test_it_keeps_the_list_queries_constant_over_many_allocations(
    client, company, reviewer, django_assert_max_num_queries
):
    for _n in range(55):
        grant = factories.allocation(company, hours="10")
        job = factories.job(grant, model=factories.model_artifact(company, f"m{_n}"))
        ledger.ledger_reserve(allocation=grant, workload=job.workload, amount="2")
    client.force_login(reviewer)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("compute:allocation_list"))
    body = response.content.decode()
    assert body.count("compute/allocations/") >= 50 and ">8.00<" in body


@pytest.mark.parametrize("who", ["owner", "member", "reviewer"])
def test_it_shows_the_allocation_with_its_balance(client, request, grant, who):
    job = factories.job(grant)
    ledger.ledger_reserve(allocation=grant, workload=job.workload, amount="4")
    ledger.ledger_settle(workload=job.workload, used="1.5")
    client.force_login(request.getfixturevalue(who))
    body = client.get(reverse("compute:allocation_detail", args=[grant.pk])).content.decode()
    # available 98.5, reserved 0, spent 1.5
    assert ">98.50<" in body and ">1.50<" in body
    assert "Charge" in body and "Refund" in body


@pytest.mark.parametrize("who", ["outsider", "coordinator"])
def test_it_hides_another_companys_allocation_behind_a_404(client, request, grant, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("compute:allocation_detail", args=[grant.pk])).status_code == 404
    response = client.post(reverse("compute:allocation_change", args=[grant.pk]), change_form())
    assert response.status_code == 404


def test_it_pages_the_ledger_and_returns_the_section_alone_to_htmx(client, grant, owner):
    for _n in range(30):
        ledger.ledger_credit(allocation=grant, amount="1")
    client.force_login(owner)
    url = reverse("compute:allocation_detail", args=[grant.pk])
    body = client.get(url).content.decode()
    assert "Page 1 of 2" in body and "ledger_page=2" in body
    second = client.get(url, {"section": "ledger", "ledger_page": "2"}, headers=HX)
    fragment = second.content.decode()
    assert fragment.lstrip().startswith('<section id="ledger">') and "Page 2 of 2" in fragment


def test_it_lists_the_allocations_leases(client, grant, owner):
    device = factories.accelerator(name="DEV-LEASED")
    job = factories.job(grant)
    Lease.objects.create(
        accelerator=device, allocation=grant, workload=job.workload, started_at=timezone.now()
    )
    client.force_login(owner)
    body = client.get(reverse("compute:allocation_detail", args=[grant.pk])).content.decode()
    assert "DEV-LEASED" in body and f"#{job.pk}" in body


def test_it_offers_the_change_form_to_the_owner_only(client, grant, owner, member):
    url = reverse("compute:allocation_detail", args=[grant.pk])
    client.force_login(owner)
    assert reverse("compute:allocation_change", args=[grant.pk]) in client.get(url).content.decode()
    client.force_login(member)
    assert (
        reverse("compute:allocation_change", args=[grant.pk])
        not in client.get(url).content.decode()
    )


def test_it_sends_a_renewal_request_referencing_the_allocation(client, grant, owner):
    client.force_login(owner)
    response = client.post(reverse("compute:allocation_change", args=[grant.pk]), change_form())
    change = AllocationRequest.objects.get()
    assert response["Location"] == reverse("compute:request_detail", args=[change.pk])
    assert (change.kind, change.allocation, change.hours) == ("renewal", grant, Decimal("50"))
    page = client.get(reverse("compute:allocation_detail", args=[grant.pk])).content.decode()
    assert f"#{change.pk}<" in page and "Renewal" in page


def test_it_refuses_a_change_request_by_a_member(client, grant, member):
    client.force_login(member)
    response = client.post(reverse("compute:allocation_change", args=[grant.pk]), change_form())
    assert response.status_code == 403 and not AllocationRequest.objects.exists()


def test_it_shows_a_bad_period_next_to_the_field(client, grant, owner):
    client.force_login(owner)
    today = clock.today().isoformat()
    response = client.post(
        reverse("compute:allocation_change", args=[grant.pk]),
        change_form(starts_on=today, ends_on=today),
    )
    assert response.status_code == 200
    assert "Choose an end date after the start date." in response.content.decode()
    assert not AllocationRequest.objects.exists()


def test_it_shows_who_decided_what_in_the_history(client, company, owner, reviewer):
    factories.fleet(2)
    item = services.allocation_request_create(
        company=company,
        actor=owner,
        hours=Decimal("80"),
        device_cap=2,
        starts_on=clock.today(),
        ends_on=clock.today() + dt.timedelta(days=30),
        purpose="Detector",
        site=factories.site(),
    )
    allocation = services.allocation_request_approve(request=item, actor=reviewer, hours=60)
    client.force_login(owner)
    body = client.get(reverse("compute:allocation_detail", args=[allocation.pk])).content.decode()
    history = body[body.index('id="history"') :]
    for action in ("request", "approve", "grant"):
        assert f'<span class="badge">{action}</span>' in history
    assert "reviewer" in history
