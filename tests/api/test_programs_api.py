"""Calls, applications, reviews, conflicts, KPI reports and the incubator criteria in the API.

The clock is frozen in the middle of a call's open period. An applicant company's people see
their own applications and never a review or a score; a reviewer sees only what is assigned to
them; another company's people get 404 for every row by every URL.
"""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from innovation_center.ecosystem.models import Company, Engagement
from innovation_center.programs import services
from innovation_center.programs.models import (
    Application,
    Attachment,
    Call,
    ConflictOfInterest,
    KpiReport,
    Review,
)
from tests import factories
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)  # 10:00 in Wuhan
PDF = b"%PDF-1.4\n% a business plan\n"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def panelist(db):
    """A panel member from outside the center: sees only what is assigned to them."""
    return factories.user("panelist")


def call_fields(**changes) -> dict:
    fields = {
        "kind": Call.Kind.INCUBATION,
        "slug": "spring-cohort",
        "title": "Spring cohort",
        "title_zh": "春季孵化批次",
        "text": "Six months of incubation.",
        "text_zh": "六个月的孵化。",
        "opens_on": dt.date(2026, 3, 1),
        "closes_at": dt.datetime(2026, 3, 31, 9, 0, tzinfo=dt.UTC),
        "reviews_per_application": 1,
        "questions": [{"text": "What do you build?", "text_zh": "你们做什么？"}],
        "criteria": [
            {"name": "Team", "name_zh": "团队", "weight": Decimal("2")},
            {"name": "Market", "name_zh": "市场", "weight": Decimal("1")},
        ],
    }
    fields.update(changes)
    return fields


def open_call(staff, panel=(), **changes) -> Call:
    call = services.call_create(actor=staff, panel=panel, **call_fields(**changes))
    return services.call_publish(actor=staff, call=call)


def submitted(call, company, person) -> Application:
    application = services.application_start(call=call, company=company, actor=person)
    answers = {q.pk: "Inspection boards" for q in call.questions.all()}
    return services.application_save(
        application=application, actor=person, answers=answers, submit=True
    )


def pdf_upload(name="plan.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def owner_company(user) -> int:
    return Company.objects.get(organisation__memberships__user=user).pk


def owner_company_row(user) -> Company:
    return Company.objects.get(pk=owner_company(user))


def client_page(user):
    client = Client()
    client.force_login(user)
    return client


def scores_for(call, value: int) -> dict:
    return {c.pk: value for c in call.criteria.all()}


def scores_for_json(call, value: int) -> dict:
    return {str(c.pk): value for c in call.criteria.all()}


def kpi_report(company, **fields) -> KpiReport:
    defaults = {"year": 2025, "half": KpiReport.Half.SECOND, "employees": 4}
    defaults.update(fields)
    return KpiReport.objects.create(company=company, **defaults)


def ids(response) -> list:
    assert response.status_code == 200, response.json()
    return sorted(row["id"] for row in response.json()["results"])


# Calls ----------------------------------------------------------------------------------------


def test_it_creates_a_call_with_its_questions_rubric_and_panel_as_staff(staff, reviewer):
    body = {
        **call_fields(),
        "opens_on": "2026-03-01",
        "closes_at": "2026-03-31T17:00:00+08:00",
        "criteria": [{"name": "Team", "name_zh": "团队", "weight": "2.00"}],
        "panel": [reviewer.pk],
    }
    response = client_for(staff).post(reverse("api:call-list"), body, format="json")
    assert response.status_code == 201, response.json()
    call = response.json()
    assert call["slug"] == "spring-cohort" and call["is_published"] is False
    assert call["title"] == "Spring cohort" and call["title_zh"] == "春季孵化批次"
    assert call["title_in_language"] == "Spring cohort"
    assert [q["text_zh"] for q in call["questions"]] == ["你们做什么？"]
    assert call["criteria"][0]["name_in_language"] == "Team"
    assert call["criteria"][0]["weight"] == "2.00"
    assert call["panel"] == [reviewer.pk]


def test_it_gives_the_texts_in_the_language_asked_for(staff, owner):
    open_call(staff)
    response = client_for(owner).get(
        reverse("api:call-detail", args=["spring-cohort"]), headers={"Accept-Language": "zh-hans"}
    )
    call = response.json()
    assert call["title_in_language"] == "春季孵化批次"
    assert call["title"] == "Spring cohort"
    assert call["questions"][0]["text_in_language"] == "你们做什么？"
    assert call["criteria"][0]["name_in_language"] == "团队"
    # The panel's names are the center's.
    assert call["panel"] == []


def test_it_answers_a_call_with_bad_fields_with_the_fields_at_fault(staff):
    body = {**call_fields(), "kind": "party", "title": "", "closes_at": "soon"}
    body.pop("opens_on")
    response = client_for(staff).post(reverse("api:call-list"), body, format="json")
    assert response.status_code == 400
    assert {"kind", "title", "closes_at", "opens_on"} <= set(response.json())


def test_it_refuses_a_compute_grant_call_without_a_pool(staff):
    body = {**call_fields(kind=Call.Kind.COMPUTE_GRANT), "opens_on": "2026-03-01"}
    body["closes_at"] = "2026-03-31T17:00:00+08:00"
    response = client_for(staff).post(reverse("api:call-list"), body, format="json")
    assert response.status_code == 400
    assert "hours_pool" in response.json()
    assert not Call.objects.exists()


def test_it_lets_only_staff_write_calls(staff, owner):
    open_call(staff)
    client = client_for(owner)
    url = reverse("api:call-detail", args=["spring-cohort"])
    assert client.post(reverse("api:call-list"), call_fields(), format="json").status_code == 403
    assert client.patch(url, {"title": "Mine"}, format="json").status_code == 403
    assert client.post(reverse("api:call-publish", args=["spring-cohort"])).status_code == 403
    assert Call.objects.get().title == "Spring cohort"


def test_it_shows_a_draft_call_to_staff_only(staff, owner):
    services.call_create(actor=staff, **call_fields())
    assert client_for(owner).get(reverse("api:call-list")).json()["count"] == 0
    detail = reverse("api:call-detail", args=["spring-cohort"])
    assert client_for(owner).get(detail).status_code == 404
    assert client_for(staff).get(detail).status_code == 200


def test_it_publishes_and_changes_a_call(staff):
    services.call_create(actor=staff, **call_fields())
    client = client_for(staff)
    published = client.post(reverse("api:call-publish", args=["spring-cohort"]), {})
    assert published.status_code == 200 and published.json()["is_published"] is True
    url = reverse("api:call-detail", args=["spring-cohort"])
    changed = client.patch(url, {"title": "Spring 2026 cohort"}, format="json")
    assert changed.status_code == 200, changed.json()
    assert changed.json()["title"] == "Spring 2026 cohort"
    assert len(changed.json()["criteria"]) == 2  # untouched when not sent
    wrong = client.patch(url, {"reviews_per_application": 0}, format="json")
    assert wrong.status_code == 400 and "reviews_per_application" in wrong.json()


# Applications ---------------------------------------------------------------------------------


def test_it_takes_an_application_from_start_to_submission(staff, owner):
    call = open_call(staff)
    question = call.questions.get()
    client = client_for(owner)
    started = client.post(reverse("api:application-list"), {"call": "spring-cohort"})
    assert started.status_code == 201, started.json()
    application = started.json()
    assert application["status"] == "draft" and application["company"] == owner_company(owner)
    url = reverse("api:application-detail", args=[application["id"]])

    saved = client.patch(
        url, {"summary": "Edge boards", "answers": {str(question.pk): "Boards"}}, format="json"
    )
    assert saved.status_code == 200, saved.json()
    assert saved.json()["answers"] == [
        {"question": question.pk, "question_text": "What do you build?", "text": "Boards"}
    ]
    upload = client.post(
        reverse("api:application-attachments", args=[application["id"]]),
        {"file": pdf_upload()},
        format="multipart",
    )
    assert upload.status_code == 201, upload.json()
    assert upload.json()["name"] == "plan.pdf" and upload.json()["size"] == len(PDF)
    done = client.post(reverse("api:application-submit", args=[application["id"]]), {})
    assert done.status_code == 200, done.json()
    assert done.json()["status"] == "submitted"
    assert done.json()["summary"] == "Edge boards"


def test_it_lists_attachments_with_a_download_through_the_site_not_the_storage(staff, owner):
    call = open_call(staff)
    application = services.application_start(
        call=call, company=owner_company_row(owner), actor=owner
    )
    services.attachment_add(application=application, actor=owner, upload=pdf_upload())
    body = client_for(owner).get(reverse("api:application-detail", args=[application.pk])).json()
    [attachment] = body["attachments"]
    stored = Attachment.objects.get()
    assert attachment["name"] == "plan.pdf"
    assert attachment["content_type"] == "application/pdf"
    assert attachment["size"] == len(PDF)
    assert "/media/" not in attachment["download_url"]
    assert stored.file.name not in attachment["download_url"]
    assert attachment["download_url"].endswith(
        reverse("programs:attachment_download", args=[stored.pk])
    )
    download = client_page(owner).get(attachment["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF


def test_it_refuses_a_file_of_the_wrong_type_naming_the_field(staff, owner):
    call = open_call(staff)
    application = services.application_start(
        call=call, company=owner_company_row(owner), actor=owner
    )
    response = client_for(owner).post(
        reverse("api:application-attachments", args=[application.pk]),
        {"file": SimpleUploadedFile("run.exe", b"MZ\x90\x00", content_type="application/pdf")},
        format="multipart",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["file"]
    assert not Attachment.objects.exists()
    missing = client_for(owner).post(
        reverse("api:application-attachments", args=[application.pk]), {}, format="multipart"
    )
    assert missing.status_code == 400 and "file" in missing.json()


def test_it_refuses_to_start_an_application_with_field_errors(staff, owner, reviewer, company):
    open_call(staff)
    other = factories.company("Someone Else")
    client = client_for(owner)
    foreign = client.post(
        reverse("api:application-list"), {"call": "spring-cohort", "company": other.pk}
    )
    unknown = client.post(
        reverse("api:application-list"), {"call": "spring-cohort", "company": 999999}
    )
    assert foreign.status_code == unknown.status_code == 400
    assert foreign.json() == unknown.json()
    assert list(foreign.json()) == ["company"]
    no_call = client.post(reverse("api:application-list"), {"call": "no-such-call"})
    assert no_call.status_code == 400 and list(no_call.json()) == ["call"]
    assert (
        client.post(reverse("api:application-list"), {"call": "spring-cohort"}).status_code == 201
    )
    again = client.post(reverse("api:application-list"), {"call": "spring-cohort"})
    assert again.status_code == 400 and again.json()["code"] == "already_applied"
    # Center staff do not apply.
    staff_try = client_for(reviewer).post(
        reverse("api:application-list"), {"call": "spring-cohort"}
    )
    assert staff_try.status_code == 403


def test_it_refuses_to_apply_to_a_draft_call(staff, owner):
    services.call_create(actor=staff, **call_fields())
    response = client_for(owner).post(reverse("api:application-list"), {"call": "spring-cohort"})
    assert response.status_code == 400 and list(response.json()) == ["call"]


def test_it_refuses_a_submission_with_a_required_answer_missing(staff, owner):
    call = open_call(staff)
    application = services.application_start(
        call=call, company=owner_company_row(owner), actor=owner
    )
    response = client_for(owner).post(reverse("api:application-submit", args=[application.pk]), {})
    assert response.status_code == 400
    question = call.questions.get()
    assert f"answer_{question.pk}" in response.json()
    application.refresh_from_db()
    assert application.status == Application.Status.DRAFT


def test_it_refuses_answers_not_named_by_question_id(staff, owner):
    call = open_call(staff)
    application = services.application_start(
        call=call, company=owner_company_row(owner), actor=owner
    )
    url = reverse("api:application-detail", args=[application.pk])
    client = client_for(owner)
    named = client.patch(url, {"answers": {"What do you build?": "Boards"}}, format="json")
    assert named.status_code == 400 and list(named.json()) == ["answers"]
    other_call = client.patch(url, {"answers": {"999999": "Boards"}}, format="json")
    assert other_call.status_code == 400 and other_call.json()["code"] == "question"


def test_it_refuses_changes_after_the_deadline(staff, owner):
    call = open_call(staff)
    application = submitted(call, owner_company_row(owner), owner)
    url = reverse("api:application-detail", args=[application.pk])
    with time_machine.travel(dt.datetime(2026, 4, 1, tzinfo=dt.UTC), tick=False):
        late = client_for(owner).patch(url, {"summary": "Later"}, format="json")
    assert late.status_code == 400 and late.json()["code"] == "deadline_passed"


def test_it_withdraws_an_application_and_keeps_it_on_record(staff, owner):
    call = open_call(staff)
    application = submitted(call, owner_company_row(owner), owner)
    client = client_for(owner)
    response = client.post(reverse("api:application-withdraw", args=[application.pk]))
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    again = client.post(reverse("api:application-withdraw", args=[application.pk]))
    assert again.status_code == 400 and again.json()["code"] == "closed"
    assert ids(client.get(reverse("api:application-list"))) == [application.pk]


def test_it_accepts_an_application_the_company_is_admitted_and_its_engagement_starts(staff, owner):
    call = open_call(staff)
    company = owner_company_row(owner)
    Company.objects.filter(pk=company.pk).update(status=Company.Status.APPLIED)
    application = submitted(call, company, owner)
    url = reverse("api:application-decide", args=[application.pk])
    assert client_for(owner).post(url, {"accept": True}, format="json").status_code == 403
    response = client_for(staff).post(url, {"accept": True}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "accepted"
    company.refresh_from_db()
    assert company.status == Company.Status.ADMITTED
    engagement = Engagement.objects.get(company=company)
    assert response.json()["engagement"] == engagement.pk


def test_it_needs_feedback_to_reject_and_shows_it_to_the_applicant(staff, owner):
    call = open_call(staff)
    application = submitted(call, owner_company_row(owner), owner)
    url = reverse("api:application-decide", args=[application.pk])
    client = client_for(staff)
    missing = client.post(url, {"accept": False}, format="json")
    assert missing.status_code == 400 and list(missing.json()) == ["feedback"]
    shape = client.post(url, {"accept": "perhaps"}, format="json")
    assert shape.status_code == 400 and list(shape.json()) == ["accept"]
    rejected = client.post(url, {"accept": False, "feedback": "Pilots first."}, format="json")
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    seen = client_for(owner).get(reverse("api:application-detail", args=[application.pk]))
    assert seen.json()["feedback"] == "Pilots first."


# Scope ----------------------------------------------------------------------------------------


def test_a_member_of_another_company_gets_404_for_the_application_by_every_url(
    staff, owner, outsider, reviewer
):
    call = open_call(staff, panel=[reviewer])
    application = submitted(call, owner_company_row(owner), owner)
    attachment = services.attachment_add(application=application, actor=owner, upload=pdf_upload())
    [review] = services.reviewers_assign(call=call, actor=staff)
    services.review_submit(review=review, actor=reviewer, scores=scores_for(call, 4))
    report = kpi_report(owner_company_row(owner))
    client = client_for(outsider)
    pk = application.pk
    refused = [
        client.get(reverse("api:application-detail", args=[pk])),
        client.patch(reverse("api:application-detail", args=[pk]), {}, format="json"),
        client.post(reverse("api:application-submit", args=[pk]), {}),
        client.post(reverse("api:application-withdraw", args=[pk]), {}),
        client.post(reverse("api:application-decide", args=[pk]), {"accept": True}),
        client.post(
            reverse("api:application-attachments", args=[pk]),
            {"file": pdf_upload()},
            format="multipart",
        ),
        client.get(reverse("api:review-detail", args=[review.pk])),
        client.post(reverse("api:review-submit", args=[review.pk]), {"scores": {}}),
        client.get(reverse("api:kpireport-detail", args=[report.pk])),
        # The page behind the download URL is scoped the same way.
        client_page(outsider).get(reverse("programs:attachment_download", args=[attachment.pk])),
    ]
    assert [r.status_code for r in refused] == [404] * len(refused)
    assert ids(client.get(reverse("api:application-list"))) == []
    assert ids(client.get(reverse("api:review-list"))) == []
    assert ids(client.get(reverse("api:kpireport-list"))) == []
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED
    assert Attachment.objects.count() == 1


def test_an_applicant_never_sees_the_reviews_or_scores_of_their_own_application(
    staff, owner, member, reviewer
):
    call = open_call(staff, panel=[reviewer])
    application = submitted(call, owner_company_row(owner), owner)
    [review] = services.reviewers_assign(call=call, actor=staff)
    services.review_submit(
        review=review, actor=reviewer, scores=scores_for(call, 5), comments="Strong team"
    )
    for person in (owner, member):
        client = client_for(person)
        assert ids(client.get(reverse("api:review-list"))) == []
        assert ids(client.get(reverse("api:review-list"), {"application": application.pk})) == []
        assert client.get(reverse("api:review-detail", args=[review.pk])).status_code == 404
        detail = client.get(reverse("api:application-detail", args=[application.pk])).json()
        assert "reviews" not in detail and "scores" not in detail
        assert "Strong team" not in str(detail)
        ranking = client.get(reverse("api:call-ranking", args=["spring-cohort"]))
        assert ranking.status_code == 403


def test_a_reviewer_sees_only_the_applications_assigned_to_them(staff, owner, outsider, panelist):
    call = open_call(staff, panel=[panelist])
    mine = submitted(call, owner_company_row(owner), owner)
    services.reviewers_assign(call=call, actor=staff)
    other_call = open_call(staff, slug="autumn-cohort")
    not_mine = submitted(other_call, Company.objects.get(legal_name="Other Co"), outsider)
    client = client_for(panelist)
    assert ids(client.get(reverse("api:application-list"))) == [mine.pk]
    detail = client.get(reverse("api:application-detail", args=[mine.pk]))
    assert detail.status_code == 200 and detail.json()["answers"][0]["text"] == "Inspection boards"
    assert client.get(reverse("api:application-detail", args=[not_mine.pk])).status_code == 404
    # Reading is not editing: the applicant's writes stay the applicant's.
    write = client.patch(
        reverse("api:application-detail", args=[mine.pk]), {"summary": "x"}, format="json"
    )
    assert write.status_code == 403


# Reviews ----------------------------------------------------------------------------------------


def test_it_assigns_reviewers_never_one_with_a_declared_conflict(staff, owner, reviewer, panelist):
    conflicted = factories.user("conflicted")
    call = open_call(staff, panel=[reviewer, panelist, conflicted], reviews_per_application=2)
    company = owner_company_row(owner)
    application = submitted(call, company, owner)
    declared = client_for(conflicted).post(
        reverse("api:conflict-list"), {"company": company.pk, "reason": "My former employer"}
    )
    assert declared.status_code == 201, declared.json()
    response = client_for(staff).post(reverse("api:call-assign", args=["spring-cohort"]))
    assert response.status_code == 200, response.json()
    assigned = {row["reviewer"] for row in response.json()}
    assert assigned == {"reviewer", "panelist"}
    assert {row["application"] for row in response.json()} == {application.pk}
    assert not Review.objects.filter(reviewer=conflicted).exists()
    again = client_for(staff).post(reverse("api:call-assign", args=["spring-cohort"]))
    assert again.status_code == 200 and again.json() == []


def test_it_refuses_to_assign_when_the_panel_is_too_small(staff, owner):
    call = open_call(staff)
    submitted(call, owner_company_row(owner), owner)
    response = client_for(staff).post(reverse("api:call-assign", args=["spring-cohort"]))
    assert response.status_code == 400 and response.json()["code"] == "panel_too_small"


def test_a_reviewer_scores_their_review_and_reads_the_answers(staff, owner, panelist):
    call = open_call(staff, panel=[panelist])
    submitted(call, owner_company_row(owner), owner)
    [review] = services.reviewers_assign(call=call, actor=staff)
    client = client_for(panelist)
    assert ids(client.get(reverse("api:review-list"))) == [review.pk]
    body = client.get(reverse("api:review-detail", args=[review.pk])).json()
    assert body["application"]["answers"][0]["text"] == "Inspection boards"
    assert [c["name"] for c in body["criteria"]] == ["Team", "Market"]
    assert body["scores"] == [] and body["submitted_at"] is None
    team, market = call.criteria.all()
    url = reverse("api:review-submit", args=[review.pk])
    response = client.post(
        url, {"scores": {str(team.pk): 5, str(market.pk): 2}, "comments": "Good"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert {s["criterion"]: s["value"] for s in response.json()["scores"]} == {
        team.pk: 5,
        market.pk: 2,
    }
    assert response.json()["comments"] == "Good" and response.json()["submitted_at"]
    filtered = client.get(reverse("api:review-list"), {"submitted": "false"})
    assert ids(filtered) == []


def test_it_refuses_scores_outside_one_to_five_with_the_field(staff, owner, panelist):
    call = open_call(staff, panel=[panelist])
    submitted(call, owner_company_row(owner), owner)
    [review] = services.reviewers_assign(call=call, actor=staff)
    team, market = call.criteria.all()
    url = reverse("api:review-submit", args=[review.pk])
    client = client_for(panelist)
    six = client.post(url, {"scores": {str(team.pk): 6, str(market.pk): 2}}, format="json")
    assert six.status_code == 400 and list(six.json()) == ["scores"]
    partial = client.post(url, {"scores": {str(team.pk): 3}}, format="json")
    assert partial.status_code == 400 and f"score_{market.pk}" in partial.json()
    assert client.post(url, {}, format="json").json() == {"scores": ["This field is required."]}
    review.refresh_from_db()
    assert review.submitted_at is None and not review.scores.exists()


def test_only_the_assigned_reviewer_scores(staff, owner, reviewer, panelist):
    call = open_call(staff, panel=[panelist])
    submitted(call, owner_company_row(owner), owner)
    [review] = services.reviewers_assign(call=call, actor=staff)
    body = {"scores": scores_for_json(call, 3)}
    url = reverse("api:review-submit", args=[review.pk])
    # Staff read every review but score only their own; anyone else finds no review.
    assert client_for(reviewer).post(url, body, format="json").status_code == 403
    assert client_for(owner).post(url, body, format="json").status_code == 404
    assert client_for(factories.user("stranger")).post(url, body, format="json").status_code == 404


def test_staff_rank_the_applications_by_weighted_score(staff, owner, outsider, reviewer):
    call = open_call(staff, panel=[reviewer])
    first = submitted(call, owner_company_row(owner), owner)
    second = submitted(call, Company.objects.get(legal_name="Other Co"), outsider)
    reviews = {r.application_id: r for r in services.reviewers_assign(call=call, actor=staff)}
    team, market = call.criteria.all()
    services.review_submit(
        review=reviews[first.pk], actor=reviewer, scores={team.pk: 5, market.pk: 2}
    )
    response = client_for(staff).get(reverse("api:call-ranking", args=["spring-cohort"]))
    assert response.status_code == 200
    rows = response.json()
    assert [(r["rank"], r["application"]) for r in rows] == [(1, first.pk), (2, second.pk)]
    assert rows[0]["weighted_score"] == "4.00"  # (2×5 + 1×2) / 3
    assert rows[0]["spread"] == "0.00" and rows[0]["missing"] == 0
    assert rows[1]["weighted_score"] is None and rows[1]["missing"] == 1
    assert rows[0]["company_name"] == "Own Co"


# Conflicts --------------------------------------------------------------------------------------


def test_it_lists_only_the_caller_s_own_conflicts(staff, owner, reviewer, panelist):
    call = open_call(staff, panel=[panelist, reviewer])
    company = owner_company_row(owner)
    submitted(call, company, owner)
    mine = services.conflict_declare(reviewer=panelist, company=company, reason="Advisor")
    theirs = services.conflict_declare(reviewer=reviewer, company=company, reason="Friend")
    client = client_for(panelist)
    assert ids(client.get(reverse("api:conflict-list"))) == [mine.pk]
    assert client.get(reverse("api:conflict-detail", args=[theirs.pk])).status_code == 404
    assert ids(client_for(staff).get(reverse("api:conflict-list"))) == sorted([mine.pk, theirs.pk])


def test_it_refuses_a_conflict_with_field_errors_and_to_non_reviewers(staff, owner, panelist):
    call = open_call(staff, panel=[panelist])
    company = owner_company_row(owner)
    submitted(call, company, owner)
    outside = factories.company("Not Applying")
    client = client_for(panelist)
    blank = client.post(reverse("api:conflict-list"), {"company": company.pk, "reason": ""})
    assert blank.status_code == 400 and list(blank.json()) == ["reason"]
    foreign = client.post(reverse("api:conflict-list"), {"company": outside.pk, "reason": "x"})
    unknown = client.post(reverse("api:conflict-list"), {"company": 999999, "reason": "x"})
    assert foreign.status_code == unknown.status_code == 400
    assert foreign.json() == unknown.json()
    refused = client_for(owner).post(
        reverse("api:conflict-list"), {"company": company.pk, "reason": "x"}
    )
    assert refused.status_code == 403
    assert not ConflictOfInterest.objects.exists()


# KPI reports ------------------------------------------------------------------------------------

KPI_BODY = {
    "year": 2025,
    "half": 2,
    "revenue": "1200000.00",
    "employees": 12,
    "patents_filed": 2,
    "patents_granted": 1,
    "copyrights_filed": 3,
    "copyrights_granted": 2,
    "high_tech_enterprise": True,
    "products_launched": 1,
    "funding": [{"round": "a", "amount": "5000000.00", "investors": "Hubei Fund"}],
}


def test_a_company_files_a_kpi_report_and_files_it_again_to_replace_it(owner, company):
    client = client_for(owner)
    created = client.post(reverse("api:kpireport-list"), KPI_BODY, format="json")
    assert created.status_code == 201, created.json()
    report = created.json()
    assert report["company"] == company.pk and report["revenue"] == "1200000.00"
    assert report["funding"] == [{"round": "a", "amount": "5000000.00", "investors": "Hubei Fund"}]
    assert report["submitted_by"] == "owner"
    replaced = client.post(
        reverse("api:kpireport-list"), {**KPI_BODY, "employees": 14, "funding": []}, format="json"
    )
    assert replaced.status_code == 200, replaced.json()
    assert replaced.json()["id"] == report["id"] and replaced.json()["employees"] == 14
    assert replaced.json()["funding"] == []
    assert KpiReport.objects.count() == 1


def test_it_refuses_a_kpi_report_with_the_fields_at_fault(owner, company):
    client = client_for(owner)
    shape = client.post(
        reverse("api:kpireport-list"),
        {**KPI_BODY, "half": 3, "employees": -1, "revenue": "lots"},
        format="json",
    )
    assert shape.status_code == 400
    assert {"half", "employees", "revenue"} <= set(shape.json())
    future = client.post(reverse("api:kpireport-list"), {**KPI_BODY, "year": 2027}, format="json")
    assert future.status_code == 400 and "year" in future.json()
    bad_round = client.post(
        reverse("api:kpireport-list"),
        {**KPI_BODY, "funding": [{"round": "a", "amount": "0"}]},
        format="json",
    )
    assert bad_round.status_code == 400 and "funding" in bad_round.json()
    assert not KpiReport.objects.exists()


def test_it_files_kpi_reports_only_for_the_caller_s_companies(owner, other_company, coordinator):
    client = client_for(owner)
    foreign = client.post(
        reverse("api:kpireport-list"), {**KPI_BODY, "company": other_company.pk}, format="json"
    )
    unknown = client.post(
        reverse("api:kpireport-list"), {**KPI_BODY, "company": 999999}, format="json"
    )
    assert foreign.status_code == unknown.status_code == 400
    assert foreign.json() == unknown.json()
    assert list(foreign.json()) == ["company"]
    refused = client_for(coordinator).post(reverse("api:kpireport-list"), KPI_BODY, format="json")
    assert refused.status_code == 403
    assert not KpiReport.objects.exists()


def test_staff_file_for_a_company_they_name(staff, company):
    client = client_for(staff)
    unnamed = client.post(reverse("api:kpireport-list"), KPI_BODY, format="json")
    assert unnamed.status_code == 400 and list(unnamed.json()) == ["company"]
    named = client.post(
        reverse("api:kpireport-list"), {**KPI_BODY, "company": company.pk}, format="json"
    )
    assert named.status_code == 201 and named.json()["submitted_by"] == "staff"


def test_it_filters_kpi_reports_and_refuses_another_company_s_id_like_an_unknown_one(
    owner, company, other_company, staff
):
    first = kpi_report(company, year=2025, half=1)
    second = kpi_report(company, year=2025, half=2)
    older = kpi_report(company, year=2024, half=2)
    theirs = kpi_report(other_company, year=2025, half=2)
    client = client_for(owner)
    url = reverse("api:kpireport-list")
    assert ids(client.get(url)) == sorted([first.pk, second.pk, older.pk])
    assert ids(client.get(url, {"year": 2025, "half": 2})) == [second.pk]
    assert ids(client.get(url, {"company": company.pk})) == sorted([first.pk, second.pk, older.pk])
    foreign = client.get(url, {"company": other_company.pk})
    unknown = client.get(url, {"company": 999999})
    assert foreign.status_code == unknown.status_code == 400
    assert foreign.json() == unknown.json()
    assert client.get(reverse("api:kpireport-detail", args=[theirs.pk])).status_code == 404
    assert ids(client_for(staff).get(url, {"company": other_company.pk})) == [theirs.pk]


def test_it_refuses_another_company_s_id_in_the_application_filter(staff, owner, outsider):
    call = open_call(staff)
    mine = submitted(call, owner_company_row(owner), owner)
    other = Company.objects.get(legal_name="Other Co")
    submitted(call, other, outsider)
    client = client_for(owner)
    url = reverse("api:application-list")
    assert ids(client.get(url, {"call": "spring-cohort", "status": "submitted"})) == [mine.pk]
    foreign = client.get(url, {"company": other.pk})
    unknown = client.get(url, {"company": 999999})
    assert foreign.status_code == unknown.status_code == 400
    assert foreign.json() == unknown.json()


# The incubator criteria -------------------------------------------------------------------------


def test_staff_read_the_center_s_standing_on_each_criterion(staff, company):
    kpi_report(company, patents_filed=1)
    response = client_for(staff).get(reverse("api:incubator-criteria-list"))
    assert response.status_code == 200
    rows = {row["key"]: row for row in response.json()}
    assert {"incubated_firms", "ip_filed_share", "mentors_per_10_firms"} <= set(rows)
    firms = rows["incubated_firms"]
    assert firms["threshold"] == "50.00" and firms["met"] is False
    assert company.pk in firms["company_ids"]
    assert "国科发区〔2018〕300号" in firms["source"]["quotation"]
    assert firms["source"]["original"]


def test_only_staff_read_the_incubator_criteria(owner, coordinator):
    for person in (owner, coordinator):
        response = client_for(person).get(reverse("api:incubator-criteria-list"))
        assert response.status_code == 403


# Lists ------------------------------------------------------------------------------------------


def test_it_lists_in_a_fixed_number_of_queries(staff, reviewer, django_assert_max_num_queries):
    call = open_call(staff, panel=[reviewer])
    for n in range(4):
        company = factories.company(f"Applicant {n}")
        person = factories.member(company.organisation, "company_owner", f"applicant{n}")
        application = submitted(call, company, person)
        services.attachment_add(application=application, actor=person, upload=pdf_upload())
        kpi_report(company)
    services.reviewers_assign(call=call, actor=staff)
    client = client_for(staff)
    for name in (
        "api:call-list",
        "api:application-list",
        "api:review-list",
        "api:kpireport-list",
        "api:conflict-list",
    ):
        with django_assert_max_num_queries(12):
            assert client.get(reverse(name)).status_code == 200, name
