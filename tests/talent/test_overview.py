import datetime as dt

import pytest
from django.urls import reverse

from innovation_center.talent.models import Program
from tests import factories
from tests.talent import helpers

pytestmark = pytest.mark.django_db


@pytest.fixture
def center(university, other_university, course_program):
    helpers.course(university, course_program, title="A", teachers=2, students_enrolled=100)
    helpers.course(university, course_program, title="B", teachers=3, students_enrolled=50)
    older = factories.program(Program.Kind.COURSE, year=2020)
    helpers.course(other_university, older, title="C", year=2020, teachers=1, students_enrolled=10)
    crowd = factories.program(Program.Kind.CROWD)
    helpers.crowd_task(university, "Op 1", program=crowd)
    helpers.crowd_task(university, "Op 2", program=crowd)
    helpers.crowd_task(university, "Model 1", kind="model", program=crowd)
    helpers.crowd_task(other_university, "App 1", kind="application", program=crowd)
    helpers.internship(university, student_count=4)
    helpers.internship(
        other_university,
        student_count=2,
        starts_on=dt.date(2020, 7, 1),
        ends_on=dt.date(2020, 8, 1),
    )


def totals_of(response, name):
    return dict((u.name, t) for u, t in response.context["by_university"])[name]


def test_it_totals_per_university(client, staff, center):
    client.force_login(staff)
    response = client.get(reverse("talent:overview"))
    wuhan = totals_of(response, "Wuhan University")
    # Courses A and B share two teachers: people count once, so 3 teachers, not 5.
    assert (wuhan["courses"], wuhan["teachers"], wuhan["students"]) == (2, 3, 150)
    assert (wuhan["operators"], wuhan["models"], wuhan["applications"]) == (2, 1, 0)
    assert (wuhan["internships"], wuhan["interns"]) == (1, 4)
    grand = response.context["grand"]
    assert (grand["courses"], grand["applications"], grand["interns"]) == (3, 1, 6)
    assert [year for year, _t in response.context["by_year"]] == [2021, 2020]
    programs = [str(p) if p else None for p, _t in response.context["by_program"]]
    # Internships logged without a program have their own row.
    assert sorted(programs, key=str) == sorted(
        [
            "Ascend course program (2021)",
            "Ascend crowd program (2021)",
            "Ascend course program (2020)",
            None,
        ],
        key=str,
    )


def test_it_filters_by_year_and_program(client, staff, center, course_program):
    client.force_login(staff)
    response = client.get(reverse("talent:overview"), {"year": "2020"})
    assert response.context["grand"]["courses"] == 1
    assert response.context["grand"]["interns"] == 2
    assert response.context["grand"]["operators"] == 0
    response = client.get(reverse("talent:overview"), {"program": str(course_program.pk)})
    assert response.context["grand"]["courses"] == 2
    assert response.context["grand"]["operators"] == 0


def test_it_returns_only_the_tables_to_htmx(client, staff, center):
    client.force_login(staff)
    body = client.get(reverse("talent:overview"), headers={"HX-Request": "true"}).content.decode()
    assert 'id="talent-tables"' in body and "<html" not in body


@pytest.mark.parametrize("who", ["coordinator", "company_member"])
def test_it_keeps_the_overview_for_staff(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("talent:overview")).status_code == 403


def test_it_keeps_a_constant_query_count(client, staff, center, django_assert_max_num_queries):
    for n in range(50):
        factories.university(f"University {n:02d}")
    client.force_login(staff)
    with django_assert_max_num_queries(21):
        response = client.get(reverse("talent:overview"))
    assert len(response.context["by_university"]) == 52
