import datetime as dt
from decimal import Decimal

import pytest

from innovation_center.accounts.models import AuditEvent, Membership, Notification, Profile
from innovation_center.compute import services
from innovation_center.compute.models import Accelerator, Allocation, AllocationRequest
from innovation_center.compute.selectors import allocation_balance, review_queue
from innovation_center.core import clock
from innovation_center.core.errors import ApplicationError
from tests import factories

pytestmark = pytest.mark.django_db


def new_request(company, owner, **overrides):
    if not Accelerator.objects.exists():
        factories.fleet()  # 4 devices: room for the grants these tests approve
    fields = {
        "company": company,
        "actor": owner,
        "hours": Decimal("500"),
        "device_cap": 4,
        "starts_on": clock.today(),
        "ends_on": clock.today() + dt.timedelta(days=90),
        "purpose": "Fine-tune a defect detector",
        "accelerator_type": factories.accelerator_type(),
    }
    fields.update(overrides)
    return services.allocation_request_create(**fields)


def test_it_grants_as_asked_and_credits_the_ledger(
    company, owner, reviewer, mailoutbox, django_capture_on_commit_callbacks
):
    request = new_request(company, owner)
    with django_capture_on_commit_callbacks(execute=True):
        allocation = services.allocation_request_approve(request=request, actor=reviewer)
    assert allocation.status == Allocation.Status.ACTIVE
    assert allocation_balance(allocation=allocation).available == Decimal("500")
    request.refresh_from_db()
    assert (request.status, request.reviewed_by, request.granted_hours) == (
        "approved",
        reviewer,
        Decimal("500"),
    )
    assert [m.to for m in mailoutbox] == [[owner.email]]
    assert "approved" in mailoutbox[0].subject


def test_it_grants_changed_figures_and_says_so(
    company, owner, reviewer, mailoutbox, django_capture_on_commit_callbacks
):
    request = new_request(company, owner)
    with django_capture_on_commit_callbacks(execute=True):
        allocation = services.allocation_request_approve(
            request=request,
            actor=reviewer,
            hours=Decimal("300"),
            device_cap=2,
            reason="Demand is high",
        )
    assert (allocation.hours_granted, allocation.device_cap) == (Decimal("300"), 2)
    assert "changed the figures" in mailoutbox[0].body and "Demand is high" in mailoutbox[0].body


def test_it_refuses_a_second_decision(company, owner, reviewer):
    request = new_request(company, owner)
    services.allocation_request_approve(request=request, actor=reviewer)
    with pytest.raises(ApplicationError) as error:
        services.allocation_request_reject(request=request, actor=reviewer, reason="late")
    assert error.value.code == "already_decided"
    assert Allocation.objects.count() == 1


def test_it_requires_a_reason_to_reject_and_changes_nothing_without_one(company, owner, reviewer):
    request = new_request(company, owner)
    with pytest.raises(ApplicationError) as error:
        services.allocation_request_reject(request=request, actor=reviewer, reason="  ")
    assert "reason" in error.value.field_errors
    request.refresh_from_db()
    assert request.status == AllocationRequest.Status.PENDING


def test_it_refuses_a_period_that_ends_before_it_starts(company, owner):
    with pytest.raises(ApplicationError) as error:
        new_request(company, owner, ends_on=clock.today() - dt.timedelta(days=1))
    assert "ends_on" in error.value.field_errors
    assert not AllocationRequest.objects.exists()


def test_a_renewal_is_a_new_period_with_its_own_credit(company, owner, reviewer):
    allocation = services.allocation_request_approve(
        request=new_request(company, owner), actor=reviewer
    )
    renewal = new_request(
        company,
        owner,
        kind="renewal",
        allocation=allocation,
        hours=Decimal("100"),
        starts_on=allocation.ends_on,
        ends_on=allocation.ends_on + dt.timedelta(days=60),
    )
    renewed = services.allocation_request_approve(request=renewal, actor=reviewer)
    allocation.refresh_from_db()
    assert renewed.pk != allocation.pk and renewed.previous == allocation
    assert (renewed.starts_on, renewed.ends_on) == (allocation.ends_on, renewal.ends_on)
    assert allocation.hours_granted == Decimal("500")  # the old period keeps its hours
    assert allocation_balance(allocation=renewed).available == Decimal("100")
    assert renewed.status == Allocation.Status.SCHEDULED
    with pytest.raises(ApplicationError, match="new period after the allocation ends"):
        new_request(company, owner, kind="renewal", allocation=allocation, hours=Decimal("10"))


def test_an_enlargement_for_a_later_period_extends_the_end(company, owner, reviewer):
    allocation = services.allocation_request_approve(
        request=new_request(company, owner), actor=reviewer
    )
    enlargement = new_request(
        company,
        owner,
        kind="enlargement",
        allocation=allocation,
        hours=Decimal("300"),
        starts_on=allocation.ends_on,
        ends_on=allocation.ends_on + dt.timedelta(days=61),
    )
    services.allocation_request_approve(request=enlargement, actor=reviewer)
    allocation.refresh_from_db()
    assert allocation.ends_on == enlargement.ends_on
    assert allocation.hours_granted == Decimal("800")
    assert allocation_balance(allocation=allocation).available == Decimal("800")
    history = AuditEvent.objects.filter(
        object_id=str(allocation.pk), content_type__model="allocation"
    )
    assert set(history.values_list("action", flat=True)) == {"grant", "enlargement"}


def test_it_refuses_a_change_request_for_another_company_allocation(company, owner, reviewer):
    other = factories.company()
    foreign = factories.allocation(other)
    with pytest.raises(ApplicationError):
        new_request(company, owner, kind="enlargement", allocation=foreign)


def test_it_ranks_waiting_requests_by_what_companies_already_got(owner, company, reviewer):
    rich = factories.company()
    factories.allocation(rich, hours="5000", starts_on=clock.today())
    rich_owner = factories.member(rich.organisation, Membership.Role.COMPANY_OWNER)
    for _ in range(2):
        factories.accelerator()
    first = new_request(rich, rich_owner)
    second = new_request(company, owner)
    ranked = review_queue()
    assert [r.request.pk for r in ranked] == [second.pk, first.pk]
    # 2 devices × 90 days × 24 h = 4320 h, minus the 5000 h allocation prorated to its overlap.
    assert ranked[0].free_hours < 4320


def test_it_writes_the_decision_in_each_recipients_language_only(
    company, owner, reviewer, mailoutbox, django_capture_on_commit_callbacks
):
    Profile.objects.create(user=owner, language="zh-hans")
    colleague = factories.member(company.organisation, Membership.Role.COMPANY_MEMBER)
    request = new_request(company, owner)
    with django_capture_on_commit_callbacks(execute=True):
        services.allocation_request_reject(request=request, actor=reviewer, reason="Fully booked")
    by_recipient = {mail.to[0]: mail for mail in mailoutbox}
    chinese, english = by_recipient[owner.email], by_recipient[colleague.email]
    assert chinese.subject == f"算力申请 #{request.pk} 已驳回"
    assert "驳回" in chinese.body and "Fully booked" in chinese.body
    assert "rejected" not in chinese.body
    assert english.subject == f"Compute request #{request.pk} rejected"
    assert "驳回" not in english.body and "was rejected" in english.body
    # The same decision waits in the product for each of them, in their language.
    notes = {n.user_id: n for n in Notification.objects.filter(kind="request_decision")}
    assert notes[owner.pk].subject == chinese.subject
    assert notes[colleague.pk].subject == english.subject
    assert notes[owner.pk].url == f"/compute/requests/{request.pk}/"


def test_a_muted_kind_sends_no_email_but_still_notifies(
    company, owner, reviewer, mailoutbox, django_capture_on_commit_callbacks
):
    Profile.objects.create(user=owner, email_muted=["request_decision"])
    request = new_request(company, owner)
    with django_capture_on_commit_callbacks(execute=True):
        services.allocation_request_reject(request=request, actor=reviewer, reason="Fully booked")
    assert owner.email not in [m.to[0] for m in mailoutbox]
    assert Notification.objects.filter(user=owner, kind="request_decision").count() == 1
