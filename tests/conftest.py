import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    # Uploaded files of a test never land in the developer's media folder.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The production hasher is slow on purpose; tests only need passwords to round-trip.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _celery_eager():
    # In-process tests run tasks inline; tests/evaluation/test_worker.py starts real workers.
    from innovation_center.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = False


# Real Celery worker processes, for the tests that need them (`workers` fixture).
pytest_plugins = ["tests.workers"]


@pytest.fixture(autouse=True)
def _language_reset():
    # A request through LocaleMiddleware leaves its language active in this thread; the next
    # test must start in the default language, whatever ran before it.
    from django.conf import settings
    from django.utils import translation

    yield
    translation.activate(settings.LANGUAGE_CODE)


# The people of the tests ----------------------------------------------------------------------
# One set per test (tests/factories.py `People`), each person made when first asked for. A
# directory or module whose assertions show a particular company or university name overrides
# `people` with `factories.people(company_name=...)`; the fixtures below then follow it.


@pytest.fixture
def people(db):
    from tests import factories

    return factories.people()


@pytest.fixture
def staff(people):
    """A center admin, username "staff"."""
    return people.staff


@pytest.fixture
def reviewer(people):
    return people.reviewer


@pytest.fixture
def operator(people):
    return people.operator


@pytest.fixture
def company(people):
    return people.company


@pytest.fixture
def owner(people):
    return people.owner


@pytest.fixture
def member(people):
    return people.member


@pytest.fixture
def other_company(people):
    return people.other_company


@pytest.fixture
def outsider(people):
    """A member of another company than `company`."""
    return people.outsider


@pytest.fixture
def university(people):
    return people.university


@pytest.fixture
def coordinator(people):
    return people.coordinator
