import pytest
from django.urls import reverse

from innovation_center.accounts.models import AuditEvent
from innovation_center.talent.models import CrowdTask, Internship
from tests import factories
from tests.talent import helpers

pytestmark = pytest.mark.django_db


def test_it_lets_a_coordinator_log_a_crowd_task(client, coordinator, university, other_coordinator):
    client.force_login(coordinator)
    response = client.post(
        reverse("talent:crowdtask_create"),
        {"kind": "operator", "title": "MatMul", "team": "HPC lab", "status": "open"},
    )
    assert response.status_code == 302
    task = CrowdTask.objects.get()
    assert task.university == university
    assert AuditEvent.objects.get(action="create").organisation == university.organisation
    client.force_login(other_coordinator)
    assert list(client.get(reverse("talent:crowdtask_list")).context["page_obj"]) == []
    assert client.get(reverse("talent:crowdtask_edit", args=[task.pk])).status_code == 404


def test_it_requires_an_artifact_link_for_a_delivered_task(client, coordinator, university):
    task = helpers.crowd_task(university)
    client.force_login(coordinator)
    response = client.post(
        reverse("talent:crowdtask_edit", args=[task.pk]),
        {"kind": "operator", "title": task.title, "team": "Team A", "status": "delivered"},
    )
    assert "needs the link" in response.content.decode()
    client.post(
        reverse("talent:crowdtask_edit", args=[task.pk]),
        {
            "kind": "operator",
            "title": task.title,
            "team": "Team A",
            "status": "delivered",
            "artifact_url": "https://gitee.com/lab/matmul",
        },
    )
    task.refresh_from_db()
    assert task.status == "delivered"


def test_it_filters_crowd_tasks_by_kind(client, staff, university, other_university):
    helpers.crowd_task(university, "Op")
    helpers.crowd_task(other_university, "Model", kind="model")
    client.force_login(staff)
    response = client.get(reverse("talent:crowdtask_list"), {"kind": "model"})
    assert [t.title for t in response.context["page_obj"]] == ["Model"]


def test_it_lets_a_coordinator_log_an_internship_linked_to_a_center_company(
    client, coordinator, university
):
    host = factories.company("Host Co")
    client.force_login(coordinator)
    client.post(
        reverse("talent:internship_create"),
        {
            "host_name": "Host Co",
            "student_count": 5,
            "starts_on": "2024-07-01",
            "ends_on": "2024-08-31",
        },
    )
    internship = Internship.objects.get()
    assert internship.university == university and internship.host_company == host


def test_it_refuses_an_internship_ending_before_it_starts(client, coordinator):
    client.force_login(coordinator)
    response = client.post(
        reverse("talent:internship_create"),
        {
            "host_name": "Lab",
            "student_count": 5,
            "starts_on": "2024-07-01",
            "ends_on": "2024-06-01",
        },
    )
    assert "cannot end before it starts" in response.content.decode()
    assert not Internship.objects.exists()


@pytest.mark.parametrize("url", ["talent:crowdtask_list", "talent:internship_list"])
def test_it_keeps_the_lists_from_company_members(client, company_member, url):
    client.force_login(company_member)
    assert client.get(reverse(url)).status_code == 403


@pytest.mark.parametrize("url", ["talent:crowdtask_create", "talent:internship_create"])
def test_it_keeps_logging_for_coordinators(client, staff, url):
    client.force_login(staff)
    assert client.get(reverse(url)).status_code == 403


def test_it_keeps_constant_queries_on_both_lists(
    client, staff, university, django_assert_max_num_queries
):
    host = factories.company("Host Co")
    for n in range(55):
        helpers.crowd_task(university, f"Task {n:02d}")
        helpers.internship(university, host_company=host)
    client.force_login(staff)
    for url in ("talent:crowdtask_list", "talent:internship_list"):
        with django_assert_max_num_queries(10):
            response = client.get(reverse(url))
        assert len(response.context["page_obj"]) == 50


def test_it_returns_fragments_and_exports(client, coordinator, university):
    helpers.crowd_task(university)
    helpers.internship(university)
    client.force_login(coordinator)
    for url, marker in (
        ("talent:crowdtask_list", "crowdtask-results"),
        ("talent:internship_list", "internship-results"),
    ):
        fragment = client.get(reverse(url), headers={"HX-Request": "true"}).content.decode()
        assert marker in fragment and "<html" not in fragment
        for fmt in ("csv", "xlsx"):
            response = client.get(reverse(url), {"format": fmt})
            assert response["Content-Disposition"].endswith(f'.{fmt}"')
    text = client.get(reverse("talent:internship_list"), {"format": "csv"}).content.decode(
        "utf-8-sig"
    )
    assert "Hubei Lab" in text


def test_it_renders_every_coordinator_page(client, coordinator, university, course_program):
    course = helpers.course(university, course_program)
    task = helpers.crowd_task(university)
    internship = helpers.internship(university)
    client.force_login(coordinator)
    for name, args in [
        ("talent:course_create", []),
        ("talent:course_edit", [course.pk]),
        ("talent:course_detail", [course.pk]),
        ("talent:course_import", []),
        ("talent:crowdtask_create", []),
        ("talent:crowdtask_edit", [task.pk]),
        ("talent:internship_create", []),
        ("talent:internship_edit", [internship.pk]),
    ]:
        response = client.get(reverse(name, args=args))
        assert response.status_code == 200, name
        assert "<html" in response.content.decode(), name
