import pytest
from django.urls import reverse

from innovation_center.ecosystem.models import Engagement, StageMove
from tests import factories
from tests.ecosystem import helpers

pytestmark = pytest.mark.django_db


def board_url():
    return reverse("ecosystem:engagement_board")


def advance_url(engagement):
    return reverse("ecosystem:engagement_advance", args=[engagement.pk])


def test_it_shows_six_columns_in_order(client, staff, company):
    helpers.engagement(company, stage="solution_design")
    client.force_login(staff)
    response = client.get(board_url())
    columns = response.context["columns"]
    assert [c["stage"] for c in columns] == [
        "scenario_analysis",
        "solution_design",
        "model_development",
        "application_development",
        "product_launch",
        "joint_marketing",
    ]
    assert [e.title for e in columns[1]["engagements"]] == ["Defect detection"]


@pytest.mark.parametrize("who", ["owner", "member", "coordinator", "outsider"])
def test_it_keeps_the_board_for_staff(client, request, who, company):
    engagement = helpers.engagement(company)
    client.force_login(request.getfixturevalue(who))
    assert client.get(board_url()).status_code == 403
    assert client.post(advance_url(engagement), {"stage": engagement.stage}).status_code == 403
    engagement.refresh_from_db()
    assert engagement.stage == "scenario_analysis"


def test_it_moves_a_card_with_htmx_and_returns_the_board(client, staff, company):
    engagement = helpers.engagement(company)
    client.force_login(staff)
    response = client.post(
        advance_url(engagement), {"stage": "scenario_analysis"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="board">') and "<html" not in body
    assert "moved to Solution design" in body
    engagement.refresh_from_db()
    assert engagement.stage == "solution_design"
    move = StageMove.objects.get(engagement=engagement)
    assert (move.from_stage, move.to_stage, move.moved_by) == (
        "scenario_analysis",
        "solution_design",
        staff,
    )


def test_it_moves_a_card_without_javascript(client, staff, company):
    engagement = helpers.engagement(company)
    client.force_login(staff)
    response = client.post(
        advance_url(engagement), {"stage": "scenario_analysis", "industry": "healthcare"}
    )
    assert response.status_code == 302
    assert response["Location"] == board_url() + "?industry=healthcare"
    assert Engagement.objects.get(pk=engagement.pk).stage == "solution_design"


def test_it_does_not_skip_a_stage_on_a_double_click(client, staff, company):
    engagement = helpers.engagement(company)
    client.force_login(staff)
    client.post(
        advance_url(engagement), {"stage": "scenario_analysis"}, headers={"HX-Request": "true"}
    )
    second = client.post(
        advance_url(engagement), {"stage": "scenario_analysis"}, headers={"HX-Request": "true"}
    )
    assert "moved by someone else" in second.content.decode()
    assert Engagement.objects.get(pk=engagement.pk).stage == "solution_design"
    assert StageMove.objects.filter(engagement=engagement).count() == 1


def test_it_refuses_to_move_past_the_last_stage(client, staff, company):
    engagement = helpers.engagement(company, stage="joint_marketing")
    client.force_login(staff)
    response = client.post(advance_url(engagement), {"stage": "joint_marketing"}, follow=True)
    assert "at the last stage already" in response.content.decode()


def test_it_shows_the_move_in_the_history(client, staff, company, member):
    engagement = helpers.engagement(company)
    client.force_login(staff)
    client.post(advance_url(engagement), {"stage": "scenario_analysis", "note": "Workshop done"})
    page = client.get(reverse("ecosystem:engagement_detail", args=[engagement.pk]))
    event = page.context["history"].get()
    assert event.actor == staff
    assert event.before == {"stage": "scenario_analysis"}
    assert event.after == {"stage": "solution_design", "note": "Workshop done"}
    body = page.content.decode()
    assert "staff" in body and "Scenario analysis" in body and "Solution design" in body
    # The company's members read the same history on their engagement's page.
    client.force_login(member)
    assert (
        client.get(reverse("ecosystem:engagement_detail", args=[engagement.pk]))
        .context["history"]
        .count()
        == 1
    )


def test_it_keeps_a_constant_query_count_on_the_board(client, staff, django_assert_max_num_queries):
    owner = factories.center_staff()
    for company in helpers.many_companies(20):
        for stage in ("scenario_analysis", "model_development", "joint_marketing"):
            helpers.engagement(company, title=stage, stage=stage, owner=owner)
    client.force_login(staff)
    with django_assert_max_num_queries(6):
        response = client.get(board_url())
    assert sum(len(c["engagements"]) for c in response.context["columns"]) == 60


def test_it_returns_only_the_board_to_htmx_filters(client, staff, company):
    helpers.engagement(company)
    client.force_login(staff)
    response = client.get(board_url(), {"industry": "healthcare"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "<html" not in body and "Defect detection" not in body


def test_it_creates_and_edits_an_engagement_with_history(client, staff, company):
    client.force_login(staff)
    response = client.post(
        reverse("ecosystem:engagement_create", args=[company.pk]),
        {"title": "Smart inspection", "started_on": "2024-05-01", "owner": staff.pk},
    )
    engagement = Engagement.objects.get(title="Smart inspection")
    assert response["Location"] == reverse("ecosystem:engagement_detail", args=[engagement.pk])
    assert engagement.moves.get().to_stage == "scenario_analysis"
    bad = client.post(
        reverse("ecosystem:engagement_edit", args=[engagement.pk]),
        {"title": "Smart inspection", "started_on": "2024-05-01", "target_on": "2024-01-01"},
    )
    assert "cannot be before the start date" in bad.content.decode()
    client.post(
        reverse("ecosystem:engagement_edit", args=[engagement.pk]),
        {"title": "Smart inspection", "started_on": "2024-05-01", "target_on": "2024-12-31"},
    )
    page = client.get(reverse("ecosystem:engagement_detail", args=[engagement.pk]))
    assert [e.action for e in page.context["history"]] == ["update", "create"]


def test_a_column_shows_its_first_cards_in_order_and_counts_them_all(staff, monkeypatch):
    from innovation_center.ecosystem import selectors

    monkeypatch.setattr(selectors, "BOARD_CARDS_PER_COLUMN", 5)
    companies = helpers.many_companies(4)
    for company in companies:
        for title in ("a", "b"):
            helpers.engagement(company, title=title, stage="scenario_analysis")
    helpers.engagement(companies[0], title="only", stage="joint_marketing")
    columns = {c["stage"]: c for c in selectors.engagement_board(user=staff)}
    shown = columns["scenario_analysis"]["engagements"]
    assert columns["scenario_analysis"]["count"] == 8 and len(shown) == 5
    expected = Engagement.objects.filter(stage="scenario_analysis").order_by(
        "company__legal_name", "started_on", "id"
    )[:5]
    assert [e.pk for e in shown] == [e.pk for e in expected]
    assert [e.title for e in columns["joint_marketing"]["engagements"]] == ["only"]
    assert columns["joint_marketing"]["count"] == 1 and columns["model_development"]["count"] == 0
