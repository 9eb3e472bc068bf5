import pytest
from django.urls import reverse

from innovation_center.accounts.models import Membership
from innovation_center.talent.models import Course
from tests import factories
from tests.ecosystem.helpers import csv_upload, xlsx_upload
from tests.talent import helpers

pytestmark = pytest.mark.django_db

HEADER = "program,title,year,term,teachers,students_enrolled,hours\n"


def line(
    title, program="Ascend course program", teachers="王芳;李强", term="autumn", students="100"
):
    return f"{program},{title},2021,{term},{teachers},{students},32\n"


def upload(client, file, **extra):
    return client.post(reverse("talent:course_import"), {"step": "preview", "file": file, **extra})


def confirm(client, token):
    return client.post(reverse("talent:course_import"), {"step": "confirm", "token": token})


def test_it_imports_courses_into_the_coordinator_university(
    client, coordinator, university, course_program
):
    client.force_login(coordinator)
    preview = upload(client, csv_upload(HEADER + line("A") + line("B"), bom=True))
    assert preview.context["errors"] == []
    assert not Course.objects.exists()
    confirm(client, preview.context["token"])
    assert set(Course.objects.values_list("title", "university")) == {
        ("A", university.pk),
        ("B", university.pk),
    }


def test_it_refuses_the_whole_file_with_rows_and_columns_named(
    client, coordinator, university, course_program
):
    helpers.course(university, course_program, title="Taken")
    client.force_login(coordinator)
    text = (
        HEADER
        + line("Fine")
        + line("No teachers", teachers=" ; ")
        + line("Bad program", program="Unknown")
        + line("Taken")
        + line("Fine")
        + line("Odd term", term="winter")
        + line("Bad number", students="many")
    )
    response = upload(client, csv_upload(text))
    assert {(e.row, e.column) for e in response.context["errors"]} == {
        (3, "teachers"),
        (4, "program"),
        (5, "title"),
        (6, "title"),
        (7, "term"),
        (8, "students_enrolled"),
    }
    assert Course.objects.count() == 1


def test_it_imports_xlsx_for_the_chosen_university_of_several(
    client, coordinator, university, course_program
):
    second = factories.university("Second University")
    Membership.objects.create(
        user=coordinator, organisation=second.organisation, role=Membership.Role.COORDINATOR
    )
    client.force_login(coordinator)
    file = xlsx_upload(
        [
            ["program", "title", "year", "term", "teachers", "students_enrolled", "hours"],
            ["Ascend course program", "X", 2021, "Spring", 1, 30, 16],
        ],
        name="courses.xlsx",
    )
    preview = upload(client, file, university=second.pk)
    assert preview.context["errors"] == []
    confirm(client, preview.context["token"])
    assert Course.objects.get().university == second


def test_it_refuses_another_university_in_the_upload(
    client, coordinator, other_university, course_program
):
    second = factories.university("Second University")
    Membership.objects.create(
        user=coordinator, organisation=second.organisation, role=Membership.Role.COORDINATOR
    )
    client.force_login(coordinator)
    response = upload(client, csv_upload(HEADER + line("A")), university=other_university.pk)
    assert "university" in response.context["form"].errors


@pytest.mark.parametrize("who", ["staff", "company_member"])
def test_it_keeps_the_course_import_for_coordinators(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("talent:course_import")).status_code == 403


def test_it_names_the_university_in_the_preview(client, coordinator, university, course_program):
    client.force_login(coordinator)
    preview = upload(client, csv_upload(HEADER + line("A")))
    assert f"For {university.name}." in preview.content.decode()
    assert not Course.objects.exists()


def test_it_refuses_what_the_service_refuses(client, coordinator, university, course_program):
    client.force_login(coordinator)
    response = upload(client, csv_upload(HEADER + line("A", teachers="x" * 101)))
    assert [(e.row, e.column) for e in response.context["errors"]] == [(2, "teachers")]
