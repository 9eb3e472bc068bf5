"""Reviewing: balanced assignments that respect conflicts, scoring, and the call's ranking."""

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
import time_machine

from innovation_center.accounts.models import (
    AuditEvent,
    Membership,
    Notification,
    NotificationKind,
)
from innovation_center.core.errors import ApplicationError
from innovation_center.programs import selectors, services
from innovation_center.programs.models import Application, Review, Score
from tests.programs.call_factories import FROZEN, applicant, judge, make_call, submitted

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(FROZEN, tick=False):
        yield


@pytest.fixture
def judges(db):
    return [judge(f"judge{n}") for n in range(1, 5)]


def submitted_in_order(call, count: int) -> list[Application]:
    """`count` applicants, each submitting a minute after the one before."""
    applications = []
    for n in range(count):
        company, owner = applicant(f"Applicant {n + 1}")
        with time_machine.travel(FROZEN + dt.timedelta(minutes=n + 1), tick=False):
            applications.append(submitted(call, company, owner))
    return applications


def reviewers_of(application) -> list[str]:
    return sorted(r.reviewer.username for r in application.reviews.select_related("reviewer"))


# Assigning ---------------------------------------------------------------------------------


def test_it_balances_the_panel_deterministically(staff, judges):
    call = make_call(staff=staff, panel=judges)
    applications = submitted_in_order(call, 6)
    created = services.reviewers_assign(call=call, actor=staff)
    assert len(created) == 12
    load = Counter(r.reviewer.username for r in Review.objects.select_related("reviewer"))
    assert load == {"judge1": 3, "judge2": 3, "judge3": 3, "judge4": 3}
    # Least-loaded first, ties to the lower id, in the order of submission.
    assert [reviewers_of(a) for a in applications] == [
        ["judge1", "judge2"],
        ["judge3", "judge4"],
    ] * 3


def test_each_reviewer_hears_once_how_many_applications_are_theirs(staff, judges):
    call = make_call(staff=staff, panel=judges)
    submitted_in_order(call, 6)
    services.reviewers_assign(call=call, actor=staff)
    notes = Notification.objects.filter(kind=NotificationKind.REVIEW_ASSIGNED)
    assert Counter(notes.values_list("user__username", flat=True)) == {
        "judge1": 1,
        "judge2": 1,
        "judge3": 1,
        "judge4": 1,
    }
    note = notes.get(user__username="judge1")
    assert note.subject == "Applications to review: Spring cohort 2026"
    assert note.body.startswith("3 applications to Spring cohort 2026 are assigned to you.")
    assert note.url == "/programs/reviews/"
    # A second run that assigns nobody new says nothing.
    services.reviewers_assign(call=call, actor=staff)
    assert notes.count() == 4


def test_assigning_again_only_tops_up(staff, judges):
    call = make_call(staff=staff, panel=judges)
    submitted_in_order(call, 2)
    services.reviewers_assign(call=call, actor=staff)
    assert services.reviewers_assign(call=call, actor=staff) == []
    assert Review.objects.count() == 4
    services.call_update(actor=staff, call=call, reviews_per_application=3)
    assert len(services.reviewers_assign(call=call, actor=staff)) == 2
    assert Counter(Review.objects.values_list("application", flat=True)).most_common()[0][1] == 3


def test_it_leaves_drafts_and_withdrawn_applications_unassigned(staff, judges, company, owner):
    call = make_call(staff=staff, panel=judges)
    services.application_start(call=call, company=company, actor=owner)
    (withdrawn,) = submitted_in_order(call, 1)
    services.application_withdraw(
        application=withdrawn, actor=withdrawn.company.organisation.memberships.first().user
    )
    assert services.reviewers_assign(call=call, actor=staff) == []


def test_it_never_assigns_a_declared_conflict_or_a_member_of_the_company(staff, judges):
    first, second, third = judges[:3]
    call = make_call(staff=staff, panel=[first, second, third])
    conflicted, own = submitted_in_order(call, 2)
    services.conflict_declare(reviewer=first, company=conflicted.company, reason="I advise them")
    # A panel member who also belongs to the second applicant.
    Membership.objects.create(
        user=second, organisation=own.company.organisation, role=Membership.Role.COMPANY_MEMBER
    )
    services.reviewers_assign(call=call, actor=staff)
    assert reviewers_of(conflicted) == ["judge2", "judge3"]
    assert reviewers_of(own) == ["judge1", "judge3"]


def test_a_panel_too_small_after_conflicts_assigns_nobody(staff, judges):
    call = make_call(staff=staff, panel=judges[:2])
    blocked, _fine = submitted_in_order(call, 2)
    services.conflict_declare(reviewer=judges[0], company=blocked.company, reason="Former employer")
    with pytest.raises(ApplicationError) as refused:
        services.reviewers_assign(call=call, actor=staff)
    assert refused.value.code == "panel_too_small"
    assert "Applicant 1" in refused.value.message and "Applicant 2" not in refused.value.message
    assert not Review.objects.exists()


def test_declaring_a_conflict_withdraws_an_unscored_assignment(staff, judges):
    call = make_call(staff=staff, panel=judges[:3])
    (application,) = submitted_in_order(call, 1)
    services.reviewers_assign(call=call, actor=staff)
    assert reviewers_of(application) == ["judge1", "judge2"]
    services.conflict_declare(reviewer=judges[0], company=application.company, reason="Cousin")
    assert reviewers_of(application) == ["judge2"]
    services.reviewers_assign(call=call, actor=staff)
    assert reviewers_of(application) == ["judge2", "judge3"]


def test_a_conflict_needs_a_reason(judges, company):
    with pytest.raises(ApplicationError) as refused:
        services.conflict_declare(reviewer=judges[0], company=company, reason="  ")
    assert "reason" in refused.value.field_errors


# Scoring -----------------------------------------------------------------------------------


@pytest.fixture
def review(staff, judges):
    call = make_call(staff=staff, panel=judges[:2])
    submitted_in_order(call, 1)
    services.reviewers_assign(call=call, actor=staff)
    return Review.objects.select_related("application__call").order_by("reviewer_id").first()


def scores_for(review, *values):
    return dict(
        zip(review.application.call.criteria.values_list("pk", flat=True), values, strict=True)
    )


def test_the_assigned_reviewer_scores_every_criterion(review, judges):
    services.review_submit(
        review=review, actor=judges[0], scores=scores_for(review, 4, 5), comments=" Strong "
    )
    review.refresh_from_db()
    assert review.submitted_at == FROZEN and review.comments == "Strong"
    assert sorted(Score.objects.values_list("value", flat=True)) == [4, 5]
    # Until the decision the reviewer may change their scores; the latest count.
    services.review_submit(review=review, actor=judges[0], scores=scores_for(review, 1, 2))
    assert sorted(Score.objects.values_list("value", flat=True)) == [1, 2]
    # Scores are kept out of the company's history: its people never read them.
    assert not AuditEvent.objects.filter(action="score").exclude(organisation=None).exists()


@pytest.mark.parametrize("values", [(0, 5), (6, 5), (None, 5), ("x", 5)])
def test_every_score_is_from_one_to_five(review, judges, values):
    team, market = review.application.call.criteria.values_list("pk", flat=True)
    with pytest.raises(ApplicationError) as refused:
        services.review_submit(
            review=review, actor=judges[0], scores={team: values[0], market: values[1]}
        )
    assert list(refused.value.field_errors) == [f"score_{team}"]
    assert not Score.objects.exists()


def test_a_review_without_every_criterion_is_refused(review, judges):
    team, _market = review.application.call.criteria.values_list("pk", flat=True)
    with pytest.raises(ApplicationError):
        services.review_submit(review=review, actor=judges[0], scores={team: 3})
    assert Review.objects.get(pk=review.pk).submitted_at is None


def test_only_the_assigned_reviewer_scores(review, judges, staff):
    for person in (judges[1], staff):
        with pytest.raises(ApplicationError, match="Only the reviewer assigned"):
            services.review_submit(review=review, actor=person, scores=scores_for(review, 3, 3))


def test_no_scoring_after_the_decision(review, judges, staff):
    services.application_decide(
        application=review.application, actor=staff, accept=False, feedback="Not now"
    )
    with pytest.raises(ApplicationError, match="reviews are closed"):
        services.review_submit(review=review, actor=judges[0], scores=scores_for(review, 3, 3))


# Ranking -----------------------------------------------------------------------------------


def score(application, reviewer, team, market):
    review = Review.objects.get_or_create(application=application, reviewer=reviewer)[0]
    team_id, market_id = application.call.criteria.values_list("pk", flat=True)
    services.review_submit(review=review, actor=reviewer, scores={team_id: team, market_id: market})


def test_it_ranks_by_the_weighted_score_with_spread_and_missing_reviews(staff, judges):
    # Team weighs 1, market 3: a reviewer's score is (team + 3 × market) / 4.
    call = make_call(staff=staff, panel=judges[:2])
    a, b, c, d = submitted_in_order(call, 4)
    first, second = judges[:2]
    score(a, first, 4, 5)  # 4.75
    score(a, second, 2, 3)  # 2.75 -> mean 3.75, spread 2.00
    score(b, first, 5, 4)  # 4.25
    Review.objects.create(application=b, reviewer=second)  # assigned, not submitted
    score(c, first, 3, 4)  # 3.75
    score(c, second, 3, 4)  # 3.75 -> ties with a, submitted later
    Review.objects.create(application=d, reviewer=first)
    rows = selectors.ranked_applications(call)
    assert [(r.rank, r.application.pk, r.weighted_score, r.spread, r.missing) for r in rows] == [
        (1, b.pk, Decimal("4.25"), Decimal("0.00"), 1),
        (2, a.pk, Decimal("3.75"), Decimal("2.00"), 0),
        (3, c.pk, Decimal("3.75"), Decimal("0.00"), 0),
        (4, d.pk, None, None, 1),
    ]
    # The same moment of submission: the lower id goes first.
    Application.objects.filter(pk=c.pk).update(submitted_at=a.submitted_at)
    Application.objects.filter(pk=a.pk).update(submitted_at=a.submitted_at)
    ranks = {r.application.pk: r.rank for r in selectors.ranked_applications(call)}
    assert ranks[a.pk] == 2 and ranks[c.pk] == 3
    assert sorted(ranks.values()) == [1, 2, 3, 4]


def test_it_rounds_the_mean_to_hundredths(staff, judges):
    call = make_call(staff=staff, panel=judges[:3], criteria=[{"name": "Only", "weight": 1}])
    (application,) = submitted_in_order(call, 1)
    (criterion,) = call.criteria.all()
    for reviewer, value in zip(judges[:3], (5, 4, 4), strict=True):
        review = Review.objects.create(application=application, reviewer=reviewer)
        services.review_submit(review=review, actor=reviewer, scores={criterion.pk: value})
    (row,) = selectors.ranked_applications(call)
    assert row.weighted_score == Decimal("4.33") and row.spread == Decimal("1.00")


def test_the_ranking_leaves_out_drafts_and_withdrawn(staff, judges, company, owner):
    call = make_call(staff=staff, panel=judges[:2])
    services.application_start(call=call, company=company, actor=owner)
    kept, gone = submitted_in_order(call, 2)
    other_owner = gone.company.organisation.memberships.get().user
    services.application_withdraw(application=gone, actor=other_owner)
    assert [r.application.pk for r in selectors.ranked_applications(call)] == [kept.pk]


def test_the_ranking_takes_the_same_queries_for_more_applications(
    staff, judges, django_assert_max_num_queries
):
    call = make_call(staff=staff, panel=judges[:2])
    for application in submitted_in_order(call, 5):
        score(application, judges[0], 3, 4)
        score(application, judges[1], 5, 2)
    with django_assert_max_num_queries(4):
        rows = selectors.ranked_applications(call)
        assert [r.weighted_score for r in rows] == [Decimal("3.25")] * 5
