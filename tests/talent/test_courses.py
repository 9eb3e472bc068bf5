import pytest
from django.urls import reverse

from innovation_center.accounts.models import AuditEvent, Membership
from innovation_center.talent.models import Course
from tests import factories
from tests.talent import helpers

pytestmark = pytest.mark.django_db


def course_data(program, **fields):
    data = {
        "program": program.pk,
        "title": "Deep learning with MindSpore",
        "year": 2021,
        "term": "spring",
        "teachers": 3,
        "students_enrolled": 150,
        "hours": 48,
    }
    data.update(fields)
    return data


def titles(response):
    return [c.title for c in response.context["page_obj"]]


def test_it_lets_a_coordinator_log_a_course_and_see_it(
    client, coordinator, other_coordinator, university, course_program
):
    client.force_login(coordinator)
    response = client.post(reverse("talent:course_create"), course_data(course_program))
    assert response["Location"] == reverse("talent:course_list")
    course = Course.objects.get()
    assert course.university == university and course.logged_by == coordinator
    assert titles(client.get(reverse("talent:course_list"))) == ["Deep learning with MindSpore"]
    client.force_login(other_coordinator)
    assert titles(client.get(reverse("talent:course_list"))) == []
    assert client.get(reverse("talent:course_detail", args=[course.pk])).status_code == 404


def test_it_takes_the_university_from_the_membership_not_the_form(
    client, coordinator, university, other_university, course_program
):
    client.force_login(coordinator)
    client.post(
        reverse("talent:course_create"),
        course_data(course_program, university=other_university.pk),
    )
    assert Course.objects.get().university == university


def test_it_lets_a_coordinator_of_several_universities_choose_among_theirs(
    client, coordinator, university, other_university, course_program
):
    third = factories.university("Third University")
    Membership.objects.create(
        user=coordinator, organisation=third.organisation, role=Membership.Role.COORDINATOR
    )
    client.force_login(coordinator)
    form = client.get(reverse("talent:course_create")).context["form"]
    assert set(form.fields["university"].queryset) == {university, third}
    refused = client.post(
        reverse("talent:course_create"), course_data(course_program, university=other_university.pk)
    )
    assert "university" in refused.context["form"].errors
    client.post(reverse("talent:course_create"), course_data(course_program, university=third.pk))
    assert Course.objects.get().university == third


def test_it_shows_a_duplicate_course_as_a_form_error(
    client, coordinator, university, course_program
):
    helpers.course(university, course_program, title="Deep learning with MindSpore", term="spring")
    client.force_login(coordinator)
    response = client.post(reverse("talent:course_create"), course_data(course_program))
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert Course.objects.count() == 1


def test_it_lets_a_coordinator_edit_their_own_course_with_history(
    client, coordinator, university, course_program
):
    course = helpers.course(university, course_program, teachers=["李强", "王芳"])
    client.force_login(coordinator)
    client.post(
        reverse("talent:course_edit", args=[course.pk]),
        course_data(
            course_program,
            title=course.title,
            term="autumn",
            teachers="王芳; 李强",
            hours=32,
            students_enrolled=200,
        ),
    )
    course.refresh_from_db()
    assert course.students_enrolled == 200
    event = AuditEvent.objects.get(action="update")
    assert event.before == {"students_enrolled": 120} and event.after == {"students_enrolled": 200}
    assert event.organisation == university.organisation
    page = client.get(reverse("talent:course_detail", args=[course.pk]))
    assert page.context["history"].get() == event


def test_it_records_a_change_of_teachers_by_name(client, coordinator, university, course_program):
    course = helpers.course(university, course_program, teachers=["李强"])
    client.force_login(coordinator)
    client.post(
        reverse("talent:course_edit", args=[course.pk]),
        course_data(course_program, title=course.title, term="autumn", teachers="李强\n周静"),
    )
    assert sorted(course.teachers.values_list("name", flat=True)) == ["周静", "李强"]
    event = AuditEvent.objects.get(action="update")
    assert event.before["teachers"] == ["李强"] and event.after["teachers"] == ["周静", "李强"]


def test_it_refuses_editing_another_university_course(
    client, other_coordinator, university, course_program
):
    course = helpers.course(university, course_program)
    client.force_login(other_coordinator)
    assert client.get(reverse("talent:course_edit", args=[course.pk])).status_code == 404


def test_it_lets_staff_read_every_university_but_not_write(
    client, staff, university, other_university, course_program
):
    helpers.course(university, course_program, title="A")
    course = helpers.course(other_university, course_program, title="B")
    client.force_login(staff)
    assert len(client.get(reverse("talent:course_list")).context["page_obj"]) == 2
    assert client.get(reverse("talent:course_detail", args=[course.pk])).status_code == 200
    assert client.get(reverse("talent:course_create")).status_code == 403
    assert client.get(reverse("talent:course_edit", args=[course.pk])).status_code == 403


def test_it_filters_courses(client, staff, university, other_university, course_program):
    helpers.course(university, course_program, title="Old", year=2020)
    helpers.course(other_university, course_program, title="New", year=2021, term="spring")
    client.force_login(staff)
    url = reverse("talent:course_list")
    assert titles(client.get(url, {"year": "2020"})) == ["Old"]
    assert titles(client.get(url, {"term": "spring"})) == ["New"]
    assert titles(client.get(url, {"university": str(university.pk)})) == ["Old"]
    assert titles(client.get(url, {"q": "ne"})) == ["New"]


def test_it_keeps_courses_from_company_members(client, company_member):
    client.force_login(company_member)
    assert client.get(reverse("talent:course_list")).status_code == 403
    assert client.get(reverse("talent:course_create")).status_code == 403


def test_it_sends_anonymous_visitors_to_login(client):
    response = client.get(reverse("talent:course_list"))
    assert response["Location"].startswith(reverse("accounts:login"))


def test_it_returns_only_the_table_to_htmx(client, coordinator, university, course_program):
    helpers.course(university, course_program)
    client.force_login(coordinator)
    body = client.get(
        reverse("talent:course_list"), headers={"HX-Request": "true"}
    ).content.decode()
    assert 'id="course-results"' in body and "<html" not in body


def test_it_keeps_a_constant_query_count_on_the_list(
    client, staff, university, course_program, django_assert_max_num_queries
):
    for n in range(55):
        helpers.course(university, course_program, title=f"Course {n:02d}")
    client.force_login(staff)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("talent:course_list"))
    assert len(response.context["page_obj"]) == 50


def test_it_exports_the_coordinator_courses(
    client, coordinator, university, other_university, course_program
):
    helpers.course(university, course_program, title="Ours")
    helpers.course(other_university, course_program, title="Theirs")
    client.force_login(coordinator)
    text = client.get(reverse("talent:course_list"), {"format": "csv"}).content.decode("utf-8-sig")
    assert "Ours" in text and "Theirs" not in text
    xlsx = client.get(reverse("talent:course_list"), {"format": "xlsx"})
    assert xlsx["Content-Disposition"] == 'attachment; filename="courses.xlsx"'
