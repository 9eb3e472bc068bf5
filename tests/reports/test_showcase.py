"""The public showcase: anyone may read it; nothing unpublished or unlisted is on it."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories
from tests.ecosystem import helpers

pytestmark = pytest.mark.django_db


@pytest.fixture
def center():
    listed = factories.company("Listed Vision", status="incubating", listed_publicly=True)
    unlisted = factories.company("Quiet Robotics", status="incubating")
    factories.company("Applied But Listed", status="applied", listed_publicly=True)
    factories.company("Graduated Ltd", status="graduated")
    # The center's own account, even marked listed and incubating, is not a partner.
    factories.company(
        "Center Benchmarks Account",
        status="incubating",
        listed_publicly=True,
        is_center_account=True,
    )
    helpers.solution(
        "Steel Inspection",
        listed,
        unlisted,
        status="launched",
        launched_on=dt.date(2026, 5, 1),
        is_published=True,
        vertical="smart_inspection",
        showcase_text="Forty production lines inspected by vision models.",
    )
    helpers.solution("Secret Prototype", unlisted, status="launched")
    helpers.solution("Early Idea", listed)
    factories.accelerator()
    factories.accelerator()
    return {"listed": listed, "unlisted": unlisted}


def test_anyone_reads_the_published_cases_and_the_figures(client, center):
    response = client.get(reverse("showcase"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Steel Inspection" in html
    assert "Forty production lines inspected by vision models." in html
    assert "Smart inspection" in html
    figures = response.context["figures"]
    assert figures["devices"] == 2
    assert figures["companies"]["incubated"] == 3  # two incubating, one graduated
    assert figures["companies"]["graduated"] == 1
    assert figures["solutions_launched"] == 2
    assert "private" in response["Cache-Control"]


def test_nothing_unpublished_or_unlisted_is_on_it(client, center):
    html = client.get(reverse("showcase")).content.decode()
    # Launched but not published, or not launched at all.
    assert "Secret Prototype" not in html and "Early Idea" not in html
    # A partner of a published case that did not agree to be listed is not named.
    assert "Quiet Robotics" not in html
    assert "Listed Vision" in html
    # Listed but never taken in; the center's own account.
    assert "Applied But Listed" not in html
    assert "Center Benchmarks Account" not in html


def test_it_is_computed_once_for_every_visitor(client, center, owner):
    client.get(reverse("showcase"))
    with CaptureQueriesContext(connection) as anonymous:
        client.get(reverse("showcase"))
    client.force_login(owner)
    with CaptureQueriesContext(connection) as signed_in:
        response = client.get(reverse("showcase"))
    assert response.status_code == 200
    assert "max-age=0" in response["Cache-Control"]
    # The content comes from the cache: a cached read, not the figures' queries.
    assert len(anonymous.captured_queries) <= 2
    assert "Steel Inspection" in response.content.decode()
    assert len(signed_in.captured_queries) < 20


def test_it_speaks_chinese(client, center):
    response = client.get(reverse("showcase"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = response.content.decode()
    assert 'lang="zh-hans"' in html
    assert "The center in figures" not in html
    assert "Steel Inspection" in html  # data stays as entered
