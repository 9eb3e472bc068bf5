"""The people of the compute page tests: one company with its owner and member, center staff
in each role, and a coordinator. Modules add what they need (e.g. an outsider)."""

import pytest

from innovation_center.accounts.models import Membership
from tests import factories


@pytest.fixture
def company():
    return factories.company("Optics Vision")


@pytest.fixture
def owner(company):
    return factories.member(company.organisation, Membership.Role.COMPANY_OWNER, "owner")


@pytest.fixture
def member(company):
    return factories.member(company.organisation, Membership.Role.COMPANY_MEMBER, "member")


@pytest.fixture
def reviewer():
    return factories.center_staff("reviewer", role=Membership.Role.CENTER_REVIEWER)


@pytest.fixture
def operator():
    return factories.center_staff("operator", role=Membership.Role.CENTER_OPERATOR)


@pytest.fixture
def coordinator():
    university = factories.university()
    return factories.member(university.organisation, Membership.Role.COORDINATOR, "coordinator")
