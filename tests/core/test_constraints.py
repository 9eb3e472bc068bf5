"""Rules that must never break are enforced by the database, not only by the code."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from innovation_center.accounts.models import Membership, Organisation
from innovation_center.compute.models import Lease, LedgerEntry
from innovation_center.ecosystem.models import Company
from innovation_center.talent.models import Course, Program
from tests import factories

pytestmark = pytest.mark.django_db


def refused(callable_):
    with pytest.raises(IntegrityError), transaction.atomic():
        callable_()


def test_it_refuses_a_duplicate_credit_code():
    first = factories.company()
    refused(lambda: factories.company(uscc=first.uscc))


def test_it_refuses_a_credit_code_with_a_wrong_check_digit_on_full_clean():
    company = factories.company()
    company.uscc = company.uscc[:-1] + ("0" if company.uscc[-1] != "0" else "1")
    with pytest.raises(ValidationError) as error:
        company.full_clean()
    assert "check digit" in str(error.value.message_dict["uscc"])


def test_it_refuses_a_second_active_lease_on_one_device():
    grant = factories.allocation(factories.company())
    device = factories.accelerator()
    Lease.objects.create(accelerator=device, allocation=grant, started_at=timezone.now())
    refused(
        lambda: Lease.objects.create(
            accelerator=device, allocation=grant, started_at=timezone.now()
        )
    )


def test_it_allows_a_new_lease_once_the_old_one_ended():
    grant = factories.allocation(factories.company())
    device = factories.accelerator()
    now = timezone.now()
    Lease.objects.create(
        accelerator=device,
        allocation=grant,
        started_at=now - dt.timedelta(hours=2),
        ended_at=now - dt.timedelta(hours=1),
    )
    Lease.objects.create(accelerator=device, allocation=grant, started_at=now)
    assert device.leases.count() == 2


def test_it_refuses_negative_counts():
    university = factories.university()
    program = factories.program(Program.Kind.COURSE)
    fields = {
        "university": university,
        "program": program,
        "title": "AI",
        "year": 2021,
        "term": "autumn",
        "students_enrolled": 10,
        "hours": 8,
    }
    for field in ("students_enrolled", "hours"):
        refused(lambda field=field: Course.objects.create(**{**fields, field: -1}))
    assert not Course.objects.exists()


@pytest.mark.parametrize(
    "kind, available, reserved",
    [
        ("credit", "-5", "0"),
        ("reserve", "-5", "4"),
        ("reserve", "5", "-5"),
        ("charge", "-1", "-1"),
        ("charge", "0", "3"),
        ("refund", "-2", "2"),
        ("expiry", "3", "0"),
    ],
)
def test_it_refuses_a_ledger_row_whose_signs_do_not_fit_its_kind(kind, available, reserved):
    grant = factories.allocation(factories.company())
    refused(
        lambda: LedgerEntry.objects.create(
            allocation=grant,
            kind=kind,
            available=Decimal(available),
            reserved=Decimal(reserved),
        )
    )


def test_it_charges_a_job_at_most_once():
    grant = factories.allocation(factories.company())
    job = factories.job(grant)
    LedgerEntry.objects.create(
        allocation=grant,
        workload=job.workload,
        kind="reserve",
        available=Decimal("-1"),
        reserved=Decimal("1"),
    )
    LedgerEntry.objects.create(
        allocation=grant,
        workload=job.workload,
        kind="charge",
        available=0,
        reserved=Decimal("-0.5"),
    )
    refused(
        lambda: LedgerEntry.objects.create(
            allocation=grant,
            workload=job.workload,
            kind="charge",
            available=0,
            reserved=Decimal("-0.5"),
        )
    )


def test_it_requires_a_reason_to_exit():
    company = factories.company()
    company.status = Company.Status.EXITED
    refused(company.save)


def test_it_refuses_a_membership_role_that_does_not_fit_the_organisation():
    company = factories.company()
    membership = Membership(
        user=factories.user(), organisation=company.organisation, role=Membership.Role.COORDINATOR
    )
    with pytest.raises(ValidationError) as error:
        membership.full_clean()
    assert "Company owner" in str(error.value.message_dict["role"])


def test_it_allows_one_home_site_only():
    factories.site("wuhan", is_home=True)
    refused(lambda: factories.site("shenzhen", is_home=True))


def test_it_keeps_one_organisation_per_name_and_kind():
    Organisation.objects.create(kind="company", name="Same")
    refused(lambda: Organisation.objects.create(kind="company", name="Same"))
