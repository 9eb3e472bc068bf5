import datetime as dt
from decimal import Decimal

import pytest

from innovation_center.accounts.models import Membership
from innovation_center.compute.models import Allocation
from innovation_center.compute.selectors import allocation_balance
from innovation_center.compute.services import allocations_advance
from tests import factories

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 6, 15)


def test_it_starts_an_allocation_on_its_first_day():
    grant = factories.allocation(
        factories.company(),
        starts_on=TODAY,
        ends_on=TODAY + dt.timedelta(days=30),
        status="scheduled",
    )
    assert allocations_advance(today=TODAY - dt.timedelta(days=1))["started"] == 0
    assert allocations_advance(today=TODAY)["started"] == 1
    grant.refresh_from_db()
    assert grant.status == Allocation.Status.ACTIVE


def test_it_expires_an_allocation_and_writes_off_what_is_left_once():
    grant = factories.allocation(
        factories.company(), hours="40", starts_on=TODAY - dt.timedelta(days=30), ends_on=TODAY
    )
    assert allocations_advance(today=TODAY)["expired"] == 1
    assert allocations_advance(today=TODAY)["expired"] == 0
    grant.refresh_from_db()
    assert grant.status == Allocation.Status.EXPIRED
    assert allocation_balance(allocation=grant).available == Decimal("0")
    assert grant.ledger_entries.filter(kind="expiry").count() == 1


def test_it_warns_the_company_seven_days_before_expiry_once(
    mailoutbox, django_capture_on_commit_callbacks
):
    company = factories.company()
    owner = factories.member(company.organisation, Membership.Role.COMPANY_OWNER)
    factories.allocation(
        company, starts_on=TODAY - dt.timedelta(days=30), ends_on=TODAY + dt.timedelta(days=8)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert allocations_advance(today=TODAY)["warned"] == 0
        assert allocations_advance(today=TODAY + dt.timedelta(days=1))["warned"] == 1
        assert allocations_advance(today=TODAY + dt.timedelta(days=2))["warned"] == 0
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [owner.email]
    assert "ends on" in mailoutbox[0].subject
