"""The talent tests use the people of tests/conftest.py (`staff`, `university` and its
`coordinator`) and add a second university with its coordinator."""

import pytest

from innovation_center.accounts.models import Membership
from tests import factories


@pytest.fixture
def other_university(db):
    return factories.university("Huazhong University")


@pytest.fixture
def other_coordinator(other_university):
    return factories.member(other_university.organisation, Membership.Role.COORDINATOR, "rival")


@pytest.fixture
def company_member(people):
    return people.member


@pytest.fixture
def course_program(db):
    from innovation_center.talent.models import Program

    return factories.program(Program.Kind.COURSE)
