"""Engagement milestones: set by staff, done with evidence, overdue ones flagged on the board."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from innovation_center.accounts.models import AuditEvent
from innovation_center.core.errors import ApplicationError
from innovation_center.ecosystem import milestones
from innovation_center.ecosystem.models import Engagement, Milestone
from tests import factories

pytestmark = pytest.mark.django_db
# 2025-03-10 00:30 in Shanghai (still 9 March in UTC).
NOW = dt.datetime(2025, 3, 9, 16, 30, tzinfo=dt.UTC)
TODAY = dt.date(2025, 3, 10)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def engagement(company, title="Defect detection", **fields):
    fields.setdefault("started_on", dt.date(2025, 1, 6))
    return Engagement.objects.create(company=company, title=title, **fields)


def milestone(work, title="Pilot line", due_on=TODAY, **fields):
    return Milestone.objects.create(engagement=work, title=title, due_on=due_on, **fields)


# Services -------------------------------------------------------------------------------------


def test_staff_set_a_milestone_with_history(staff, company):
    work = engagement(company)
    made = milestones.milestone_create(
        actor=staff, engagement=work, title="  First model  ", due_on=dt.date(2025, 4, 1)
    )
    assert (made.title, made.due_on, made.done_on) == ("First model", dt.date(2025, 4, 1), None)
    event = AuditEvent.objects.get(object_id=str(made.pk), action="create")
    assert event.organisation_id == company.organisation_id


@pytest.mark.parametrize("who", ["owner", "outsider"])
def test_only_staff_set_milestones(request, company, who):
    with pytest.raises(ApplicationError) as refused:
        milestones.milestone_create(
            actor=request.getfixturevalue(who),
            engagement=engagement(company),
            title="x",
            due_on=TODAY,
        )
    assert refused.value.code == "forbidden"


def test_it_refuses_a_due_date_before_the_engagement_started(staff, company):
    with pytest.raises(ApplicationError) as refused:
        milestones.milestone_create(
            actor=staff, engagement=engagement(company), title="x", due_on=dt.date(2024, 12, 31)
        )
    assert "due_on" in refused.value.field_errors


def test_the_company_completes_a_milestone_with_evidence(owner, company):
    target = milestone(engagement(company))
    done = milestones.milestone_complete(
        actor=owner, milestone=target, evidence="Line 3 runs the model", evidence_url=""
    )
    assert (done.done_on, done.evidence) == (TODAY, "Line 3 runs the model")
    event = AuditEvent.objects.get(object_id=str(target.pk), action="complete")
    assert event.after["done_on"] == "2025-03-10"


def test_completing_needs_evidence_a_past_date_and_an_open_milestone(staff, company):
    target = milestone(engagement(company))
    with pytest.raises(ApplicationError) as refused:
        milestones.milestone_complete(actor=staff, milestone=target, evidence="  ")
    assert "evidence" in refused.value.field_errors
    with pytest.raises(ApplicationError) as refused:
        milestones.milestone_complete(
            actor=staff, milestone=target, evidence="ok", done_on=dt.date(2025, 3, 11)
        )
    assert "done_on" in refused.value.field_errors
    milestones.milestone_complete(actor=staff, milestone=target, evidence_url="https://x.cn/r")
    with pytest.raises(ApplicationError) as refused:
        milestones.milestone_complete(actor=staff, milestone=target, evidence="again")
    assert "already done" in refused.value.message


def test_another_companys_member_cannot_complete(outsider, company):
    target = milestone(engagement(company))
    with pytest.raises(ApplicationError):
        milestones.milestone_complete(actor=outsider, milestone=target, evidence="mine")
    target.refresh_from_db()
    assert target.done_on is None


def test_staff_change_a_milestone(staff, company):
    target = milestone(engagement(company))
    milestones.milestone_update(
        actor=staff, milestone=target, data={"title": "Pilot line 2", "due_on": dt.date(2025, 5, 1)}
    )
    target.refresh_from_db()
    assert (target.title, target.due_on) == ("Pilot line 2", dt.date(2025, 5, 1))
    event = AuditEvent.objects.get(object_id=str(target.pk), action="update")
    assert event.before == {"title": "Pilot line", "due_on": "2025-03-10"}


# The board ------------------------------------------------------------------------------------


def test_the_board_flags_and_counts_overdue_milestones(client, staff, company):
    late = engagement(company, "Late work")
    milestone(late, "Due yesterday", due_on=dt.date(2025, 3, 9))
    milestone(late, "Long overdue", due_on=dt.date(2025, 2, 1))
    milestone(late, "Done late", due_on=dt.date(2025, 2, 1), done_on=dt.date(2025, 3, 1))
    on_time = engagement(company, "On time", stage="model_development")
    milestone(on_time, "Due today", due_on=TODAY)
    other = engagement(factories.company("Other late"), "Other", stage="model_development")
    milestone(other, "Missed", due_on=dt.date(2025, 3, 1))
    client.force_login(staff)
    response = client.get(reverse("ecosystem:engagement_board"))
    columns = {c["stage"]: c for c in response.context["columns"]}
    assert columns["scenario_analysis"]["overdue"] == 2
    assert columns["model_development"]["overdue"] == 1
    assert columns["scenario_analysis"]["count"] == 1 and columns["model_development"]["count"] == 2
    assert response.context["overdue_total"] == 3
    cards = {e.title: e.overdue_milestones for c in columns.values() for e in c["engagements"]}
    assert cards == {"Late work": 2, "On time": 0, "Other": 1}
    body = response.content.decode()
    assert "2 milestones overdue" in body and "1 milestone overdue" in body
    assert "3 milestones are overdue." in body


def test_the_board_keeps_a_constant_query_count_with_milestones(
    client, staff, django_assert_max_num_queries
):
    for n in range(15):
        work = engagement(factories.company(), f"Work {n}")
        milestone(work, due_on=dt.date(2025, 1, 31))
        milestone(work, due_on=dt.date(2025, 4, 30))
    client.force_login(staff)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("ecosystem:engagement_board"))
    assert response.context["overdue_total"] == 15


# The engagement page --------------------------------------------------------------------------


def test_staff_add_a_milestone_on_the_engagement_page(client, staff, company):
    work = engagement(company)
    client.force_login(staff)
    response = client.post(
        reverse("ecosystem:milestone_create", args=[work.pk]),
        {"title": "Model accuracy ≥ 95%", "due_on": "2025-04-30", "evidence": ""},
    )
    assert response.status_code == 302
    assert Milestone.objects.get(engagement=work).title == "Model accuracy ≥ 95%"
    bad = client.post(
        reverse("ecosystem:milestone_create", args=[work.pk]),
        {"title": "Too early", "due_on": "2024-01-01"},
        follow=True,
    )
    assert "cannot be due before the engagement started" in bad.content.decode()
    assert Milestone.objects.filter(engagement=work).count() == 1


def test_the_engagement_page_shows_overdue_and_the_company_completes(client, owner, company):
    work = engagement(company)
    late = milestone(work, "Pilot line", due_on=dt.date(2025, 3, 1))
    client.force_login(owner)
    page = client.get(reverse("ecosystem:engagement_detail", args=[work.pk]))
    assert page.status_code == 200
    assert page.context["overdue_count"] == 1
    assert "overdue" in page.content.decode()
    assert (
        client.post(
            reverse("ecosystem:milestone_create", args=[work.pk]),
            {"title": "x", "due_on": "2025-04-01"},
        ).status_code
        == 403
    )
    response = client.post(
        reverse("ecosystem:milestone_complete", args=[late.pk]),
        {"evidence": "Running since March", "evidence_url": "https://example.com/report"},
    )
    assert response.status_code == 302
    late.refresh_from_db()
    assert (late.done_on, late.evidence_url) == (TODAY, "https://example.com/report")
    page = client.get(reverse("ecosystem:engagement_detail", args=[work.pk]))
    assert page.context["overdue_count"] == 0


def test_another_companys_member_gets_404_on_a_milestone(client, outsider, company):
    target = milestone(engagement(company))
    client.force_login(outsider)
    url = reverse("ecosystem:milestone_complete", args=[target.pk])
    assert client.post(url, {"evidence": "x"}).status_code == 404
    target.refresh_from_db()
    assert target.done_on is None


def test_staff_edit_a_milestone_on_its_page(client, staff, company):
    target = milestone(engagement(company))
    client.force_login(staff)
    url = reverse("ecosystem:milestone_edit", args=[target.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"title": "Renamed", "due_on": "2025-06-30", "evidence": ""})
    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.title, target.due_on) == ("Renamed", dt.date(2025, 6, 30))
