"""The program pages: who sees which call, applying from the public page, reviewing, deciding,
and that nobody reaches another company's application, files or any scores by URL."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from innovation_center.accounts.models import Invitation
from innovation_center.ecosystem.models import Company, Engagement
from innovation_center.programs import services
from innovation_center.programs.models import Application, Attachment, Call, Review
from tests import factories
from tests.programs.call_factories import (
    DEADLINE,
    FROZEN,
    PDF,
    PNG,
    judge,
    make_call,
    submitted,
    upload,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(FROZEN, tick=False):
        yield


@pytest.fixture
def judges(db):
    return [judge("judge1"), judge("judge2")]


@pytest.fixture
def call(staff, judges):
    return make_call(staff=staff, panel=judges)


@pytest.fixture
def reviewed(call, company, owner, staff, judges):
    """The company's submitted application with a file, scored by judge1 (judge2 pending)."""
    application = submitted(call, company, owner)
    services.attachment_add(application=application, actor=owner, upload=upload("plan.pdf", PDF))
    services.reviewers_assign(call=call, actor=staff)
    review = Review.objects.get(application=application, reviewer=judges[0])
    team, market = call.criteria.values_list("pk", flat=True)
    services.review_submit(
        review=review, actor=judges[0], scores={team: 4, market: 5}, comments="Secret remark"
    )
    return application


# Calls -------------------------------------------------------------------------------------


def test_anonymous_visitors_see_only_published_calls(client, staff):
    make_call(staff=staff, slug="open", title="Open cohort")
    make_call(staff=staff, slug="draft", title="Draft cohort", published=False)
    page = client.get(reverse("programs:call_list")).content.decode()
    assert "Open cohort" in page and "Draft cohort" not in page and "New call" not in page
    assert client.get(reverse("programs:call_public", args=["draft"])).status_code == 404
    public = client.get(reverse("programs:call_public", args=["open"]))
    body = public.content.decode()
    assert public.status_code == 200
    assert "What do you build?" in body and "Market" in body
    assert "2026-03-31 18:00 (Beijing time)" in body
    assert "Register and get the invitation" in body


def test_a_company_member_sees_published_calls_only(client, staff, member):
    make_call(staff=staff, slug="draft", title="Draft cohort", published=False)
    client.force_login(member)
    assert "Draft cohort" not in client.get(reverse("programs:call_list")).content.decode()
    assert client.get(reverse("programs:call_public", args=["draft"])).status_code == 404
    assert client.get(reverse("programs:call_applications", args=["draft"])).status_code == 403


def test_staff_see_every_call_and_the_new_call_button(client, staff):
    make_call(staff=staff, slug="draft", title="Draft cohort", published=False)
    client.force_login(staff)
    page = client.get(reverse("programs:call_list")).content.decode()
    assert "Draft cohort" in page and "New call" in page
    assert client.get(reverse("programs:call_public", args=["draft"])).status_code == 200


def test_an_empty_list_says_so(client, staff):
    client.force_login(staff)
    assert "No call yet" in client.get(reverse("programs:call_list")).content.decode()


def call_form_data(**overrides):
    data = {
        "kind": "incubation",
        "slug": "autumn",
        "title": "Autumn cohort",
        "title_zh": "秋季孵化营",
        "text": "Apply.",
        "opens_on": "2026-03-02",
        "closes_at": "2026-04-30T18:00",
        "reviews_per_application": "2",
        "questions-TOTAL_FORMS": "2",
        "questions-INITIAL_FORMS": "0",
        "questions-0-text": "What do you build?",
        "questions-0-text_zh": "你们做什么？",
        "questions-0-required": "on",
        "questions-0-max_length": "4000",
        "questions-1-max_length": "4000",
        "questions-1-required": "on",
        "criteria-TOTAL_FORMS": "2",
        "criteria-INITIAL_FORMS": "0",
        "criteria-0-name": "Team",
        "criteria-0-name_zh": "团队",
        "criteria-0-weight": "2",
        "criteria-1-weight": "1",
    }
    data.update(overrides)
    return data


def test_staff_open_a_call_with_questions_rubric_and_panel(client, staff, judges):
    client.force_login(staff)
    assert client.get(reverse("programs:call_create")).status_code == 200
    response = client.post(
        reverse("programs:call_create"), {**call_form_data(), "panel": [j.pk for j in judges]}
    )
    assert response.status_code == 302
    call = Call.objects.get(slug="autumn")
    assert response["Location"] == reverse("programs:call_applications", args=["autumn"])
    assert call.closes_at == dt.datetime(2026, 4, 30, 10, 0, tzinfo=dt.UTC)
    assert [q.text_zh for q in call.questions.all()] == ["你们做什么？"]
    assert [(c.name, c.weight) for c in call.criteria.all()] == [("Team", 2)]
    assert set(call.panel.all()) == set(judges)
    client.post(reverse("programs:call_publish", args=["autumn"]), {"published": "1"})
    assert Call.objects.get(slug="autumn").is_published
    page = client.get(reverse("programs:call_edit", args=["autumn"]))
    assert page.status_code == 200 and "What do you build?" in page.content.decode()


def test_a_bad_call_form_shows_the_errors_and_stores_nothing(client, staff):
    client.force_login(staff)
    response = client.post(
        reverse("programs:call_create"),
        call_form_data(kind="compute_grant", **{"criteria-0-weight": "0"}),
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "errorlist" in body
    assert not Call.objects.exists()
    response = client.post(reverse("programs:call_create"), call_form_data(kind="compute_grant"))
    assert "A compute-grant call needs a pool of hours." in response.content.decode()
    assert not Call.objects.exists()


def test_only_staff_use_the_staff_pages(client, call, member):
    client.force_login(member)
    for name in ("call_edit", "call_applications"):
        assert client.get(reverse(f"programs:{name}", args=[call.slug])).status_code == 403
    assert client.post(reverse("programs:call_assign", args=[call.slug])).status_code == 403
    assert client.get(reverse("programs:call_create")).status_code == 403


# Applying ----------------------------------------------------------------------------------


def test_an_anonymous_applicant_registers_and_is_invited(client, call):
    response = client.post(
        reverse("programs:call_register", args=[call.slug]),
        {
            "legal_name": "Chutian Vision",
            "uscc": factories.uscc(),
            "industry": "smart_manufacturing",
            "city": "武汉",
            "email": "founder@chutian.example",
        },
        follow=True,
    )
    assert "We sent an invitation e-mail to founder@chutian.example" in response.content.decode()
    company = Company.objects.get(legal_name="Chutian Vision")
    assert company.status == Company.Status.APPLIED
    assert (
        Invitation.objects.get(organisation=company.organisation).email == "founder@chutian.example"
    )


def test_a_bad_registration_shows_the_error_and_stores_nothing(client, call, company):
    response = client.post(
        reverse("programs:call_register", args=[call.slug]),
        {
            "legal_name": company.legal_name,
            "uscc": factories.uscc(),
            "industry": "smart_manufacturing",
            "city": "武汉",
            "email": "someone@example.com",
        },
    )
    assert response.status_code == 200
    assert "This name is already taken." in response.content.decode()
    assert not Invitation.objects.exists()


def test_an_owner_applies_edits_and_submits(client, call, company, owner):
    client.force_login(owner)
    page = client.get(reverse("programs:call_public", args=[call.slug])).content.decode()
    assert "Start an application" in page
    response = client.post(
        reverse("programs:call_apply", args=[call.slug]), {"company": company.pk}
    )
    application = Application.objects.get()
    assert response["Location"] == reverse("programs:application_detail", args=[application.pk])
    url = response["Location"]
    required, _optional = call.questions.all()
    refused = client.post(url, {"summary": "We inspect steel", "action": "submit"})
    assert refused.status_code == 200
    assert "Answer this question to submit the application." in refused.content.decode()
    assert Application.objects.get().status == Application.Status.DRAFT
    done = client.post(
        url, {"summary": "We inspect steel", f"answer_{required.pk}": "Vision", "action": "submit"}
    )
    assert done.status_code == 302
    assert Application.objects.get().status == Application.Status.SUBMITTED
    page = client.get(reverse("programs:call_public", args=[call.slug])).content.decode()
    assert "Open the application of Own Co" in page


def test_after_the_deadline_the_application_is_read_only(client, reviewed, owner):
    url = reverse("programs:application_detail", args=[reviewed.pk])
    with time_machine.travel(DEADLINE, tick=False):
        client.force_login(owner)  # a session of its own: the first one would have expired
        page = client.get(url).content.decode()
        assert "Submit the application" not in page and "Save and keep submitted" not in page
        assert "We inspect steel." in page
        response = client.post(url, {"summary": "Late change", "action": "save"}, follow=True)
        assert "no longer be changed" in response.content.decode()
    assert Application.objects.get(pk=reviewed.pk).summary == "We inspect steel."


def test_files_are_attached_downloaded_and_refused_through_the_page(client, call, company, owner):
    application = submitted(call, company, owner)
    client.force_login(owner)
    add = reverse("programs:attachment_add", args=[application.pk])
    page = client.post(add, {"file": upload("fake.pdf", PNG)}, follow=True).content.decode()
    assert "does not contain what its name says" in page
    assert not Attachment.objects.exists()
    client.post(add, {"file": upload("plan.pdf", PDF)})
    attachment = Attachment.objects.get()
    download = client.get(reverse("programs:attachment_download", args=[attachment.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert b"".join(download.streaming_content) == PDF
    client.post(reverse("programs:attachment_remove", args=[attachment.pk]))
    assert not Attachment.objects.exists()


# Scoping -----------------------------------------------------------------------------------


def test_another_company_gets_404_on_the_application_its_files_and_its_reviews(
    client, reviewed, outsider
):
    client.force_login(outsider)
    attachment = reviewed.attachments.get()
    review = reviewed.reviews.first()
    for url in (
        reverse("programs:application_detail", args=[reviewed.pk]),
        reverse("programs:attachment_download", args=[attachment.pk]),
        reverse("programs:review_score", args=[review.pk]),
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        reverse("programs:attachment_add", args=[reviewed.pk]),
        reverse("programs:attachment_remove", args=[attachment.pk]),
        reverse("programs:application_withdraw", args=[reviewed.pk]),
    ):
        assert client.post(url).status_code == 404, url
    assert Attachment.objects.filter(pk=attachment.pk).exists()


def test_an_applicant_never_sees_reviews_or_scores(client, reviewed, owner, member):
    for person in (owner, member):
        client.force_login(person)
        page = client.get(reverse("programs:application_detail", args=[reviewed.pk]))
        body = page.content.decode()
        assert page.status_code == 200
        assert "Secret remark" not in body and "judge1" not in body and "Reviews" not in body
        for review in reviewed.reviews.all():
            assert client.get(reverse("programs:review_score", args=[review.pk])).status_code == 404
        assert "Secret remark" not in client.get(reverse("programs:my_reviews")).content.decode()


def test_a_reviewer_sees_only_their_own_review(client, reviewed, judges):
    first_review = reviewed.reviews.get(reviewer=judges[0])
    other = factories.user("expert")
    client.force_login(other)
    assert client.get(reverse("programs:application_detail", args=[reviewed.pk])).status_code == 404
    assert client.get(reverse("programs:review_score", args=[first_review.pk])).status_code == 404


# Reviewing and deciding --------------------------------------------------------------------


def test_a_reviewer_scores_from_my_reviews(client, reviewed, judges):
    client.force_login(judges[1])
    listing = client.get(reverse("programs:my_reviews")).content.decode()
    review = reviewed.reviews.get(reviewer=judges[1])
    assert "Score it" in listing and "Own Co" in listing
    url = reverse("programs:review_score", args=[review.pk])
    page = client.get(url).content.decode()
    assert "Vision models for steel inspection." in page and 'type="radio"' in page
    team, market = reviewed.call.criteria.values_list("pk", flat=True)
    refused = client.post(url, {f"score_{team}": "6", f"score_{market}": "3"})
    assert refused.status_code == 200 and "errorlist" in refused.content.decode()
    assert Review.objects.get(pk=review.pk).submitted_at is None
    client.post(url, {f"score_{team}": "2", f"score_{market}": "3", "comments": "Fine"})
    assert Review.objects.get(pk=review.pk).submitted_at == FROZEN


def test_a_panel_member_declares_a_conflict(client, call, company, owner, judges):
    submitted(call, company, owner)
    client.force_login(judges[0])
    page = client.get(reverse("programs:conflict_list")).content.decode()
    assert "Own Co" in page
    client.post(reverse("programs:conflict_list"), {"company": company.pk, "reason": "Advisor"})
    assert judges[0].declared_conflicts.get().company == company
    assert (
        "You have declared no conflict."
        not in client.get(reverse("programs:conflict_list")).content.decode()
    )


def test_staff_assign_rank_and_decide(client, reviewed, staff, django_assert_max_num_queries):
    client.force_login(staff)
    url = reverse("programs:call_applications", args=[reviewed.call.slug])
    page = client.get(url).content.decode()
    # Judge 1 scored (4 + 3 × 5) / 4 = 4.75; judge 2 has not scored yet.
    assert "4.75" in page and "Own Co" in page
    fragment = client.get(url, headers={"HX-Request": "true"})
    assert fragment.content.decode().lstrip().startswith('<section id="ranking">')
    detail = reverse("programs:application_detail", args=[reviewed.pk])
    body = client.get(detail).content.decode()
    assert "Secret remark" in body and "Record the decision" in body
    decide = reverse("programs:application_decide", args=[reviewed.pk])
    refused = client.post(decide, {"decision": "reject", "feedback": ""})
    assert "a rejection needs feedback" in refused.content.decode()
    response = client.post(decide, {"decision": "accept", "feedback": "Welcome"})
    assert response.status_code == 302
    assert Engagement.objects.get(company=reviewed.company).title.endswith("scenario analysis")
    assert Application.objects.get(pk=reviewed.pk).status == Application.Status.ACCEPTED


def test_the_ranking_page_does_not_grow_in_queries(
    client, call, staff, django_assert_max_num_queries
):
    from tests.programs.call_factories import applicant

    for n in range(8):
        company, person = applicant(f"Applicant {n}")
        submitted(call, company, person)
    services.reviewers_assign(call=call, actor=staff)
    client.force_login(staff)
    with django_assert_max_num_queries(20):
        assert (
            client.get(reverse("programs:call_applications", args=[call.slug])).status_code == 200
        )


def test_the_decision_shows_to_the_applicant_with_its_feedback(client, reviewed, staff, owner):
    services.application_decide(
        application=reviewed, actor=staff, accept=False, feedback="Too early"
    )
    client.force_login(owner)
    body = client.get(reverse("programs:application_detail", args=[reviewed.pk])).content.decode()
    assert "Not accepted this time." in body and "Too early" in body


def test_the_admin_lists_the_programs(client, reviewed):
    client.force_login(factories.user("root", is_staff=True, is_superuser=True))
    for name in ("call", "application", "review", "conflictofinterest"):
        assert client.get(reverse(f"admin:programs_{name}_changelist")).status_code == 200
    assert (
        client.get(reverse("admin:programs_call_change", args=[reviewed.call_id])).status_code
        == 200
    )
