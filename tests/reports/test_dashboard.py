"""The dashboard's figures equal the counts in the database, for the seeded center."""

import re

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Sum
from django.test import override_settings
from django.urls import reverse

from innovation_center.accounts.models import Membership
from innovation_center.ecosystem.models import Company, Engagement, Solution
from innovation_center.talent.models import Course, CrowdTask, Internship
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo center, seeded once for the module's tests, which only read it.

    The seeding runs in a transaction rolled back after the module (each test's own writes are
    rolled back to a savepoint inside it), so the tests after this module start from an empty
    database; its on-commit callbacks (the demo job's scheduling task) are dropped with it.
    The function-scoped settings of tests/conftest.py are not in force yet: the demo model's
    file goes to a temporary media folder here, and passwords are hashed the fast way.
    """
    media = tmp_path_factory.mktemp("media")
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with django_db_blocker.unblock(), transaction.atomic():
        with override_settings(MEDIA_ROOT=media, PASSWORD_HASHERS=fast):
            call_command("seed_demo", "--quiet")
        yield
        transaction.set_rollback(True)


def figure(html: str, name: str) -> int:
    match = re.search(rf'data-figure="{re.escape(name)}">([\d,]+)<', html)
    assert match, f"no figure {name}"
    return int(match.group(1).replace(",", ""))


def test_it_shows_the_database_counts_of_the_seeded_center(client, seeded):
    client.force_login(factories.center_staff())
    html = client.get(reverse("reports:dashboard")).content.decode()

    for status, n in Company.objects.partners().values_list("status").annotate(n=Count("id")):
        assert figure(html, f"status-{status}") == n
    for stage, n in Engagement.objects.values_list("stage").annotate(
        n=Count("company", distinct=True)
    ):
        assert figure(html, f"stage-{stage}") == n
    for vertical, n in Solution.objects.values_list("vertical").annotate(n=Count("id")):
        assert figure(html, f"vertical-{vertical}") == n
    for status, n in Solution.objects.values_list("status").annotate(n=Count("id")):
        assert figure(html, f"solution-status-{status}") == n
    assert figure(html, "courses") == Course.objects.count() == 105
    assert figure(html, "teachers") == 75
    assert figure(html, "students") == Course.objects.aggregate(s=Sum("students_enrolled"))["s"]
    for kind, n in CrowdTask.objects.values_list("kind").annotate(n=Count("id")):
        assert figure(html, f"crowd-{kind}") == n
    assert figure(html, "internships") == Internship.objects.count()
    assert figure(html, "jobs-queued") == 0


def test_it_links_every_figure_to_the_list_behind_it(client, seeded):
    client.force_login(factories.center_staff())
    html = client.get(reverse("reports:dashboard")).content.decode()
    link = re.search(r'href="([^"]+)"><div class="figure" data-figure="crowd-operator"', html)
    listed = client.get(link.group(1).replace("&amp;", "&"))
    assert listed.status_code == 200
    assert listed.context["page_obj"].paginator.count == 160
    status_link = re.search(r'<a href="([^"]+)" data-figure="status-incubating"', html)
    companies = client.get(status_link.group(1))
    assert (
        companies.context["page_obj"].paginator.count
        == Company.objects.partners().filter(status="incubating").count()
    )


def test_it_draws_the_charts(client, seeded):
    client.force_login(factories.center_staff())
    html = client.get(reverse("reports:dashboard")).content.decode()
    assert html.count("<svg") == 3
    assert "Every site was above 90% in every completed month shown." in html


def test_it_is_for_staff_only(client):
    company = factories.company()
    client.force_login(factories.member(company.organisation, Membership.Role.COMPANY_OWNER))
    assert client.get(reverse("reports:dashboard")).status_code == 403
    client.logout()
    assert client.get(reverse("reports:dashboard")).status_code == 302
