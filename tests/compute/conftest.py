"""The people of the compute page tests are those of tests/conftest.py (`people`), with the
company named Optics Vision, as the pages' assertions show it. Modules add what they need."""

import pytest

from tests import factories


@pytest.fixture
def people(db):
    return factories.people(company_name="Optics Vision")
