"""Pages of compute requests: asking, the review queue, deciding, the request page."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from innovation_center.accounts.models import Membership
from innovation_center.compute import services
from innovation_center.compute.models import Allocation, AllocationRequest
from innovation_center.compute.selectors import allocation_balance
from innovation_center.core import clock
from innovation_center.ecosystem.models import Company
from tests import factories

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}


@pytest.fixture
def people(db):
    # The outsider owns the other company: owners are the ones who ask for compute.
    return factories.people(
        company_name="Optics Vision", outsider_role=Membership.Role.COMPANY_OWNER
    )


@pytest.fixture
def pending(company, owner):
    factories.accelerator(name="DEV-A")
    factories.fleet(3)
    return services.allocation_request_create(
        company=company,
        actor=owner,
        hours=Decimal("500"),
        device_cap=4,
        starts_on=clock.today(),
        ends_on=clock.today() + dt.timedelta(days=90),
        purpose="Fine-tune a defect detector",
        accelerator_type=factories.accelerator_type(),
    )


def request_form(**overrides):
    today = clock.today()
    data = {
        "company": getattr(Company.objects.filter(legal_name="Optics Vision").first(), "pk", ""),
        "accelerator_type": factories.accelerator_type().pk,
        "site": "",
        "hours": "300",
        "device_cap": "2",
        "starts_on": today.isoformat(),
        "ends_on": (today + dt.timedelta(days=60)).isoformat(),
        "purpose": "Train a detector",
        "expected_outcome": "A model in production",
    }
    data.update(overrides)
    return data


def approve_data(item, **overrides):
    data = {
        "hours": str(item.hours),
        "device_cap": str(item.device_cap),
        "starts_on": item.starts_on.isoformat(),
        "ends_on": item.ends_on.isoformat(),
        "reason": "",
    }
    data.update(overrides)
    return {f"approve-{item.pk}-{k}": v for k, v in data.items()}


# Access ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["request_list", "request_create", "review_queue"])
def test_it_sends_anonymous_visitors_to_the_login_page(client, name):
    response = client.get(reverse(f"compute:{name}"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_it_sends_anonymous_visitors_from_a_request_page_to_the_login_page(client, pending):
    response = client.get(reverse("compute:request_detail", args=[pending.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_it_lets_an_owner_open_the_request_form(client, owner):
    client.force_login(owner)
    assert client.get(reverse("compute:request_create")).status_code == 200


@pytest.mark.parametrize("who", ["member", "reviewer", "coordinator"])
def test_it_refuses_the_request_form_to_anyone_but_an_owner(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("compute:request_create")).status_code == 403
    assert client.post(reverse("compute:request_create"), request_form()).status_code == 403
    assert not AllocationRequest.objects.exists()


@pytest.mark.parametrize("who", ["owner", "member", "reviewer", "operator"])
def test_it_shows_the_request_page_to_the_company_and_to_staff(client, request, pending, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("compute:request_detail", args=[pending.pk]))
    assert response.status_code == 200
    assert "Fine-tune a defect detector" in response.content.decode()


@pytest.mark.parametrize("who", ["outsider", "coordinator"])
def test_it_hides_another_companys_request_behind_a_404(client, request, pending, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("compute:request_detail", args=[pending.pk])).status_code == 404
    response = client.post(reverse("compute:request_withdraw", args=[pending.pk]))
    assert response.status_code == 404


def test_it_lists_only_the_companys_own_requests(client, pending, outsider):
    other = outsider.memberships.get().organisation.company
    theirs = services.allocation_request_create(
        company=other,
        actor=outsider,
        hours=Decimal("77"),
        device_cap=1,
        starts_on=clock.today(),
        ends_on=clock.today() + dt.timedelta(days=9),
        purpose="Secret plan",
        site=factories.site(),
    )
    client.force_login(outsider)
    body = client.get(reverse("compute:request_list")).content.decode()
    assert f"#{theirs.pk}<" in body and f"#{pending.pk}<" not in body


def test_it_refuses_the_request_list_to_a_coordinator(client, coordinator):
    client.force_login(coordinator)
    assert client.get(reverse("compute:request_list")).status_code == 403


@pytest.mark.parametrize("who", ["owner", "member", "coordinator"])
def test_it_keeps_the_review_queue_for_staff(client, request, pending, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("compute:review_queue")).status_code == 403


def test_it_shows_the_review_queue_with_free_hours_and_decision_forms(client, pending, reviewer):
    client.force_login(reviewer)
    body = client.get(reverse("compute:review_queue")).content.decode()
    assert "Optics Vision" in body and f'id="request-row-{pending.pk}"' in body
    assert "Hours free in the period" in body and "8,640" in body  # four devices, 90 days
    assert 'badge ok">fits' in body
    assert reverse("compute:request_approve", args=[pending.pk]) in body


def test_it_shows_an_operator_the_queue_without_decision_forms(client, pending, operator):
    client.force_login(operator)
    body = client.get(reverse("compute:review_queue")).content.decode()
    assert "Optics Vision" in body
    assert reverse("compute:request_approve", args=[pending.pk]) not in body


@pytest.mark.parametrize("who", ["operator", "owner", "member"])
def test_it_lets_only_reviewers_decide(client, request, pending, who):
    client.force_login(request.getfixturevalue(who))
    approve = client.post(
        reverse("compute:request_approve", args=[pending.pk]), approve_data(pending)
    )
    reject = client.post(
        reverse("compute:request_reject", args=[pending.pk]), {f"reject-{pending.pk}-reason": "No"}
    )
    assert (approve.status_code, reject.status_code) == (403, 403)
    pending.refresh_from_db()
    assert pending.status == AllocationRequest.Status.PENDING


def test_it_returns_the_queue_table_alone_to_htmx(client, pending, reviewer):
    client.force_login(reviewer)
    body = client.get(reverse("compute:review_queue"), headers=HX).content.decode()
    assert body.lstrip().startswith('<div id="review-results">') and "<html" not in body


# Asking ---------------------------------------------------------------------------------------


def test_it_creates_a_request_from_the_form(client, owner, company):
    client.force_login(owner)
    response = client.post(reverse("compute:request_create"), request_form())
    created = AllocationRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("compute:request_detail", args=[created.pk])
    assert (created.company, created.requested_by, created.hours) == (
        company,
        owner,
        Decimal("300"),
    )


def test_it_shows_the_services_refusal_next_to_the_field(client, owner):
    client.force_login(owner)
    today = clock.today().isoformat()
    response = client.post(
        reverse("compute:request_create"), request_form(starts_on=today, ends_on=today)
    )
    assert response.status_code == 200
    assert "Choose an end date after the start date." in response.content.decode()
    assert not AllocationRequest.objects.exists()


def test_it_asks_for_a_type_or_a_site(client, owner):
    client.force_login(owner)
    response = client.post(reverse("compute:request_create"), request_form(accelerator_type=""))
    assert "Choose an accelerator type or a site." in response.content.decode()
    assert not AllocationRequest.objects.exists()


def test_it_lets_the_owner_withdraw_a_pending_request(client, owner, pending):
    client.force_login(owner)
    response = client.post(reverse("compute:request_withdraw", args=[pending.pk]), follow=True)
    pending.refresh_from_db()
    assert pending.status == AllocationRequest.Status.WITHDRAWN
    assert "was withdrawn" in response.content.decode()


def test_it_refuses_a_withdrawal_by_a_member(client, member, pending):
    client.force_login(member)
    response = client.post(reverse("compute:request_withdraw", args=[pending.pk]))
    assert response.status_code == 403
    pending.refresh_from_db()
    assert pending.status == AllocationRequest.Status.PENDING


# Deciding -------------------------------------------------------------------------------------


def test_it_runs_the_review_end_to_end_with_changed_hours(
    client, owner, reviewer, mailoutbox, django_capture_on_commit_callbacks
):
    factories.accelerator(name="DEV-B")
    client.force_login(owner)
    client.post(reverse("compute:request_create"), request_form(hours="300"))
    item = AllocationRequest.objects.get()

    client.force_login(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("compute:request_approve", args=[item.pk]),
            approve_data(item, hours="120", reason="Start smaller"),
            headers=HX,
        )
    row = response.content.decode()
    assert response.status_code == 200 and "<html" not in row
    assert f'id="request-row-{item.pk}"' in row and "Approved" in row
    allocation = Allocation.objects.get()
    assert allocation_balance(allocation=allocation).available == Decimal("120")
    assert len(mailoutbox) == 1 and "approved" in mailoutbox[0].subject
    assert "changed the figures" in mailoutbox[0].body

    client.force_login(owner)
    page = client.get(reverse("compute:request_detail", args=[item.pk])).content.decode()
    assert "Approved" in page and "changed by the reviewer" in page and "Start smaller" in page
    assert reverse("compute:allocation_detail", args=[allocation.pk]) in page
    detail = client.get(reverse("compute:allocation_detail", args=[allocation.pk]))
    assert "120" in detail.content.decode() and "Credit" in detail.content.decode()


def test_it_approves_without_javascript_and_returns_to_the_queue(client, pending, reviewer):
    client.force_login(reviewer)
    response = client.post(
        reverse("compute:request_approve", args=[pending.pk]), approve_data(pending), follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("compute:review_queue")
    assert "approved" in response.content.decode()
    assert Allocation.objects.get().hours_granted == Decimal("500")


def test_it_requires_a_reason_to_reject_and_changes_nothing_without_one(
    client, pending, reviewer, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(reviewer)
    url = reverse("compute:request_reject", args=[pending.pk])
    with django_capture_on_commit_callbacks(execute=True):
        row = client.post(url, {f"reject-{pending.pk}-reason": "  "}, headers=HX)
        page = client.post(url, {f"reject-{pending.pk}-reason": ""})
    assert "Give the reason for the rejection" in row.content.decode()
    assert page.status_code == 200 and "Give the reason for the rejection" in page.content.decode()
    pending.refresh_from_db()
    assert pending.status == AllocationRequest.Status.PENDING and not mailoutbox


def test_it_rejects_with_a_reason_the_company_then_reads(
    client, pending, reviewer, owner, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("compute:request_reject", args=[pending.pk]),
            {f"reject-{pending.pk}-reason": "The period is fully booked"},
        )
    assert response.status_code == 302
    assert "The period is fully booked" in mailoutbox[0].body
    client.force_login(owner)
    page = client.get(reverse("compute:request_detail", args=[pending.pk])).content.decode()
    assert "Rejected" in page and "The period is fully booked" in page
    assert "reviewer" in page  # the history says who decided


def test_it_says_when_the_request_was_already_decided(client, pending, reviewer):
    services.allocation_request_reject(request=pending, actor=reviewer, reason="Too late")
    client.force_login(reviewer)
    response = client.post(
        reverse("compute:request_approve", args=[pending.pk]), approve_data(pending), follow=True
    )
    assert "already decided" in response.content.decode()
    assert not Allocation.objects.exists()


def test_it_keeps_the_request_list_queries_constant(
    client, reviewer, company, owner, django_assert_max_num_queries
):
    today = clock.today()
    AllocationRequest.objects.bulk_create(
        AllocationRequest(
            company=company,
            requested_by=owner,
            accelerator_type=factories.accelerator_type(),
            hours=Decimal(n + 1),
            device_cap=1,
            starts_on=today,
            ends_on=today + dt.timedelta(days=30),
            purpose=f"Purpose {n}",
        )
        for n in range(55)
    )
    client.force_login(reviewer)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("compute:request_list"))
    assert response.content.decode().count("compute/requests/") >= 50


def test_it_keeps_the_review_queue_queries_constant(
    client, reviewer, company, owner, django_assert_max_num_queries
):
    today = clock.today()
    AllocationRequest.objects.bulk_create(
        AllocationRequest(
            company=company,
            requested_by=owner,
            site=factories.site(),
            hours=Decimal(n + 1),
            device_cap=1,
            starts_on=today,
            ends_on=today + dt.timedelta(days=30),
            purpose=f"Purpose {n}",
        )
        for n in range(55)
    )
    client.force_login(reviewer)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("compute:review_queue"))
    assert response.content.decode().count('id="request-row-') == 50


def test_it_ranks_and_pages_the_queue_in_sql_and_computes_only_the_page(
    client, reviewer, monkeypatch
):
    from innovation_center.compute import selectors

    factories.fleet(3)
    device_type = factories.accelerator_type()
    today = clock.today()
    for n in range(55):
        company = factories.company(f"Applicant {n:02d}")
        # Companies granted more recently rank later: every fifth one had a grant.
        if n % 5 == 0:
            factories.allocation(company, hours=str(100 + n))
        AllocationRequest.objects.create(
            company=company,
            accelerator_type=device_type,
            hours=Decimal("10"),
            device_cap=1,
            starts_on=today,
            ends_on=today + dt.timedelta(days=30),
            purpose="Train",
        )
    everything = [r.request.pk for r in selectors.review_queue()]
    computed = []
    real_rows = selectors.review_rows

    def recording(requests, **kwargs):
        computed.append(len(requests))
        return real_rows(requests, **kwargs)

    monkeypatch.setattr(selectors, "review_rows", recording)
    client.force_login(reviewer)
    first = client.get(reverse("compute:review_queue"))
    second = client.get(reverse("compute:review_queue"), {"page": 2})
    assert computed == [50, 5]
    assert [row["item"].pk for row in first.context["rows"]] == everything[:50]
    assert [row["item"].pk for row in second.context["rows"]] == everything[50:]
    assert [row["ranked"].rank for row in second.context["rows"]] == list(range(51, 56))
    # Ungranted companies first, then by hours granted in the last year.
    granted = [row["ranked"].company_granted_recently for row in first.context["rows"]]
    assert granted == sorted(granted)
