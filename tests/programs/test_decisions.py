"""Decisions: accepting admits the company and starts its first engagement, or grants hours
through the capacity rules within the call's pool; a rejection needs feedback; the company
hears it in the product and by e-mail; rejected applications stay on record."""

from decimal import Decimal

import pytest
import time_machine

from innovation_center.accounts.models import (
    AuditEvent,
    Membership,
    Notification,
    NotificationKind,
    Profile,
)
from innovation_center.compute.models import Allocation, AllocationRequest
from innovation_center.core.errors import ApplicationError
from innovation_center.ecosystem.models import Company, Engagement, LifecycleStage
from innovation_center.programs import services
from innovation_center.programs.models import Application, Call
from tests import factories
from tests.programs.call_factories import FROZEN, applicant, make_call, submitted

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(FROZEN, tick=False):
        yield


@pytest.fixture
def applying(staff):
    """A submitted application of a company that applied, with its owner and a member."""
    call = make_call(staff=staff)
    company, owner = applicant("Chutian Vision", contact_email="hello@chutian.example")
    factories.member(company.organisation, Membership.Role.COMPANY_MEMBER, "colleague")
    return submitted(call, company, owner)


def test_accepting_admits_the_company_and_starts_its_first_engagement(
    applying, staff, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        application = services.application_decide(
            application=applying, actor=staff, accept=True, feedback="Welcome aboard"
        )
    assert application.status == Application.Status.ACCEPTED
    assert application.decided_by == staff and application.decided_at == FROZEN
    company = Company.objects.get(pk=applying.company_id)
    assert company.status == Company.Status.ADMITTED and company.admitted_on == FROZEN.date()
    engagement = Engagement.objects.get(company=company)
    assert application.engagement == engagement
    assert engagement.title == "Spring cohort 2026: scenario analysis"
    assert engagement.stage == LifecycleStage.SCENARIO_ANALYSIS
    assert engagement.started_on == FROZEN.date()
    notes = Notification.objects.filter(user__memberships__organisation=company.organisation)
    assert notes.count() == 2
    assert {n.kind for n in notes} == {NotificationKind.APPLICATION_DECISION}
    assert {n.subject for n in notes} == {"Your application to Spring cohort 2026 was accepted"}
    assert "Welcome aboard" in notes.first().body
    assert notes.first().url == f"/programs/applications/{application.pk}/"
    recipients = sorted(address for message in mailoutbox for address in message.to)
    assert "hello@chutian.example" in recipients and len(recipients) == 3
    assert AuditEvent.objects.filter(
        action="accept", object_id=str(application.pk), organisation=company.organisation
    ).exists()


def test_chinese_readers_get_the_call_title_in_chinese(applying, staff):
    owner = applying.company.organisation.memberships.get(role=Membership.Role.COMPANY_OWNER).user
    Profile.objects.update_or_create(user=owner, defaults={"language": "zh-hans"})
    services.application_decide(application=applying, actor=staff, accept=True)
    note = Notification.objects.get(user=owner)
    assert "2026 春季孵化营" in note.subject


def test_an_incubating_company_accepted_keeps_its_status_and_gets_the_engagement(
    staff, company, owner
):
    call = make_call(staff=staff)
    application = services.application_decide(
        application=submitted(call, company, owner), actor=staff, accept=True
    )
    assert Company.objects.get(pk=company.pk).status == Company.Status.INCUBATING
    assert application.engagement is not None


def test_a_rejection_needs_feedback_and_stays_on_record(applying, staff):
    with pytest.raises(ApplicationError) as refused:
        services.application_decide(application=applying, actor=staff, accept=False, feedback=" ")
    assert "feedback" in refused.value.field_errors
    assert Application.objects.get(pk=applying.pk).status == Application.Status.SUBMITTED
    assert not Notification.objects.exists()
    services.application_decide(
        application=applying, actor=staff, accept=False, feedback="The market is too small"
    )
    application = Application.objects.get(pk=applying.pk)
    assert application.status == Application.Status.REJECTED
    assert application.feedback == "The market is too small"
    assert Company.objects.get(pk=applying.company_id).status == Company.Status.APPLIED
    assert not Engagement.objects.exists()
    note = Notification.objects.filter(user__username="colleague").get()
    assert note.subject == "Decision on your application to Spring cohort 2026"
    assert "The market is too small" in note.body


def test_it_decides_once_and_only_center_staff_decide(applying, staff, outsider):
    with pytest.raises(ApplicationError, match="Only the center's staff"):
        services.application_decide(application=applying, actor=outsider, accept=True)
    services.application_decide(application=applying, actor=staff, accept=True)
    with pytest.raises(ApplicationError, match="only a submitted application"):
        services.application_decide(application=applying, actor=staff, accept=False, feedback="x")
    assert Engagement.objects.count() == 1


def test_a_draft_is_not_decided(staff, company, owner):
    call = make_call(staff=staff)
    draft = services.application_start(call=call, company=company, actor=owner)
    with pytest.raises(ApplicationError, match="draft"):
        services.application_decide(application=draft, actor=staff, accept=True)


# Compute grants ----------------------------------------------------------------------------


@pytest.fixture
def grant_call(staff):
    factories.fleet(4)
    return make_call(staff=staff, kind=Call.Kind.COMPUTE_GRANT, slug="grants")


def asking(call, name, hours):
    company, owner = applicant(name)
    return submitted(call, company, owner, requested_hours=Decimal(hours))


def test_a_grant_is_an_allocation_through_the_capacity_rules(grant_call, staff):
    application = asking(grant_call, "Hours Co", "600")
    application = services.application_decide(application=application, actor=staff, accept=True)
    allocation = Allocation.objects.get(company=application.company)
    assert application.allocation == allocation
    assert allocation.hours_granted == Decimal("600")
    assert allocation.accelerator_type == grant_call.accelerator_type
    assert (allocation.starts_on.isoformat(), allocation.ends_on.isoformat()) == (
        "2026-04-01",
        "2026-06-30",
    )
    request = AllocationRequest.objects.get(company=application.company)
    assert request.status == AllocationRequest.Status.APPROVED and request.granted_hours == 600
    assert not Engagement.objects.exists()


def test_the_grants_together_stay_within_the_pool(grant_call, staff):
    first = asking(grant_call, "First Co", "600")
    second = asking(grant_call, "Second Co", "500")
    services.application_decide(application=first, actor=staff, accept=True)
    with pytest.raises(ApplicationError) as refused:
        services.application_decide(application=second, actor=staff, accept=True)
    assert refused.value.code == "pool_exceeded"
    assert "400" in refused.value.message and "hours" in refused.value.field_errors
    assert Allocation.objects.count() == 1 and AllocationRequest.objects.count() == 1
    assert Application.objects.get(pk=second.pk).status == Application.Status.SUBMITTED
    services.application_decide(application=second, actor=staff, accept=True, hours=Decimal("400"))
    assert Allocation.objects.get(company=second.company).hours_granted == Decimal("400")


def test_a_grant_beyond_the_devices_needs_the_overcommit_reason(staff):
    factories.fleet(1)  # 24 h a day for 90 days: 2,160 device-hours
    call = make_call(
        staff=staff, kind=Call.Kind.COMPUTE_GRANT, slug="big", hours_pool=Decimal("100000")
    )
    application = asking(call, "Big Co", "5000")
    with pytest.raises(ApplicationError) as refused:
        services.application_decide(application=application, actor=staff, accept=True, device_cap=4)
    assert refused.value.code == "over_capacity"
    assert not Allocation.objects.exists() and not AllocationRequest.objects.exists()
    services.application_decide(
        application=application,
        actor=staff,
        accept=True,
        device_cap=4,
        overcommit_reason="Strategic partner",
    )
    assert Allocation.objects.get().hours_granted == Decimal("5000")
