import pytest

from innovation_center.accounts.models import Membership
from tests import factories


@pytest.fixture
def staff(db):
    return factories.center_staff("staff")


@pytest.fixture
def university(db):
    return factories.university("Wuhan University")


@pytest.fixture
def other_university(db):
    return factories.university("Huazhong University")


@pytest.fixture
def coordinator(university):
    return factories.member(university.organisation, Membership.Role.COORDINATOR, "coordinator")


@pytest.fixture
def other_coordinator(other_university):
    return factories.member(other_university.organisation, Membership.Role.COORDINATOR, "rival")


@pytest.fixture
def company_member(db):
    company = factories.company("Some Co")
    return factories.member(company.organisation, Membership.Role.COMPANY_MEMBER, "member")


@pytest.fixture
def course_program(db):
    from innovation_center.talent.models import Program

    return factories.program(Program.Kind.COURSE)
