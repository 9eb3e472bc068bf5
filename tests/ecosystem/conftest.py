import pytest

from innovation_center.accounts.models import Membership
from tests import factories


@pytest.fixture
def staff(db):
    return factories.center_staff("staff")


@pytest.fixture
def company(db):
    return factories.company("Own Co")


@pytest.fixture
def owner(company):
    return factories.member(company.organisation, Membership.Role.COMPANY_OWNER, "owner")


@pytest.fixture
def member(company):
    return factories.member(company.organisation, Membership.Role.COMPANY_MEMBER, "member")


@pytest.fixture
def other_company(db):
    return factories.company("Other Co")


@pytest.fixture
def outsider(other_company):
    return factories.member(other_company.organisation, Membership.Role.COMPANY_MEMBER, "outsider")


@pytest.fixture
def coordinator(db):
    university = factories.university("Wuhan University")
    return factories.member(university.organisation, Membership.Role.COORDINATOR, "coordinator")
