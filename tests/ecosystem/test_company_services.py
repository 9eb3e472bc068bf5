import pytest
from django.db import IntegrityError
from django.urls import reverse

from innovation_center.accounts.models import AuditEvent
from innovation_center.core.errors import ApplicationError
from innovation_center.ecosystem import services
from innovation_center.ecosystem.models import Company
from tests import factories

pytestmark = pytest.mark.django_db


def test_it_admits_an_applied_company_once(staff):
    company = factories.company(status=Company.Status.APPLIED)
    services.company_admit(company=company, actor=staff)
    company.refresh_from_db()
    assert company.status == "admitted" and company.admitted_on
    with pytest.raises(ApplicationError, match="cannot be admitted"):
        services.company_admit(company=company, actor=staff)
    assert AuditEvent.objects.filter(action="admit").count() == 1


def test_it_refuses_a_stale_admit_from_a_second_staff_member(staff):
    company = factories.company(status=Company.Status.APPLIED)
    stale_copy = Company.objects.get(pk=company.pk)
    services.company_admit(company=company, actor=staff)
    with pytest.raises(ApplicationError):
        services.company_admit(company=stale_copy, actor=factories.center_staff())


def test_it_moves_admitted_to_incubating_and_graduates(staff):
    company = factories.company(status=Company.Status.ADMITTED)
    services.company_incubate(company=company, actor=staff)
    services.company_graduate(company=company, actor=staff)
    company.refresh_from_db()
    assert company.status == "graduated" and company.graduated_on


def test_it_does_not_graduate_an_applied_company(staff):
    company = factories.company(status=Company.Status.APPLIED)
    with pytest.raises(ApplicationError, match="cannot graduate"):
        services.company_graduate(company=company, actor=staff)


def test_it_requires_a_reason_to_exit(staff):
    company = factories.company()
    with pytest.raises(ApplicationError, match="Say why"):
        services.company_exit(company=company, actor=staff, reason="  ")
    services.company_exit(company=company, actor=staff, reason="Moved to Shanghai")
    company.refresh_from_db()
    assert company.status == "exited" and company.exit_reason == "Moved to Shanghai"
    event = AuditEvent.objects.get(action="exit")
    assert event.before["status"] == "incubating" and event.after["status"] == "exited"


def test_it_has_the_database_refuse_an_exit_without_reason():
    company = factories.company()
    with pytest.raises(IntegrityError):
        Company.objects.filter(pk=company.pk).update(status="exited")


def test_it_shows_the_refusal_as_a_message(client, staff):
    company = factories.company(status=Company.Status.GRADUATED)
    client.force_login(staff)
    response = client.post(
        reverse("ecosystem:company_exit", args=[company.pk]), {"reason": ""}, follow=True
    )
    assert "Say why the company exited." in response.content.decode()
    response = client.post(reverse("ecosystem:company_admit", args=[company.pk]), follow=True)
    assert "cannot be admitted" in response.content.decode()


def test_it_admits_from_the_page(client, staff):
    company = factories.company(status=Company.Status.APPLIED)
    client.force_login(staff)
    response = client.post(reverse("ecosystem:company_admit", args=[company.pk]), follow=True)
    assert "is admitted" in response.content.decode()
    company.refresh_from_db()
    assert company.status == "admitted"


def test_it_saves_only_what_an_edit_changes(staff):
    company = factories.company(city="武汉")
    stamp = Company.objects.get(pk=company.pk).updated_at
    services.company_update(actor=staff, company=company, data={"city": "武汉"})
    assert Company.objects.get(pk=company.pk).updated_at == stamp
    services.company_update(actor=staff, company=company, data={"city": "深圳", "status": "exited"})
    company.refresh_from_db()
    assert company.city == "深圳" and company.status == "incubating"
    changes = [event.after for event in AuditEvent.objects.filter(action="update")]
    assert {"city": "深圳"} in changes
