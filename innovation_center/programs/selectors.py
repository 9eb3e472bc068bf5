"""Reads of the programs: open calls, each call's ranking, a person's applications and reviews."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Prefetch, Q, QuerySet

from innovation_center.accounts.access import scoped_queryset, viewer_for
from innovation_center.core import clock
from innovation_center.ecosystem.models import Company
from innovation_center.programs.models import (
    Application,
    Call,
    ConflictOfInterest,
    Review,
    Score,
)

HUNDREDTHS = Decimal("0.01")
EARLIEST = dt.datetime.min.replace(tzinfo=dt.UTC)
# Applications that take part in the ranking: drafts and withdrawn ones do not.
RANKED_STATUSES = (
    Application.Status.SUBMITTED,
    Application.Status.ACCEPTED,
    Application.Status.REJECTED,
)


def open_calls() -> QuerySet[Call]:
    """Published calls that take applications now, the nearest deadline first."""
    now = clock.now()
    return Call.objects.filter(
        is_published=True, opens_on__lte=clock.today(at=now), closes_at__gt=now
    ).order_by("closes_at", "pk")


def call_list(*, user) -> QuerySet[Call]:
    """The calls a person sees: every call for the center's staff, published ones for others
    (anonymous visitors included: a published call is public)."""
    if user is not None and user.is_authenticated:
        calls = scoped_queryset(user, Call)
    else:
        calls = Call.objects.filter(is_published=True)
    return calls.annotate(
        submitted=Count(
            "applications", filter=Q(applications__status__in=RANKED_STATUSES), distinct=True
        )
    ).order_by("-closes_at", "-pk")


def public_call(*, user, slug: str) -> Call | None:
    """The call behind a public page: published, or any for the center's staff."""
    calls = (
        scoped_queryset(user, Call)
        if user is not None and user.is_authenticated
        else Call.objects.filter(is_published=True)
    )
    return calls.filter(slug=slug).first()


@dataclass
class RankedApplication:
    application: Application
    weighted_score: Decimal | None
    spread: Decimal | None
    missing: int
    submitted_reviews: int
    assigned_reviews: int
    rank: int = 0


def review_weighted_score(review: Review, weights: dict[int, Decimal]) -> Decimal | None:
    """sum(weight × score) / sum(weight) over the criteria the review scored (unrounded)."""
    scored = [
        (weights[s.criterion_id], s.value) for s in review.scores.all() if s.criterion_id in weights
    ]
    total_weight = sum((w for w, _value in scored), Decimal(0))
    if not scored or not total_weight:
        return None
    return sum((w * value for w, value in scored), Decimal(0)) / total_weight


def _rounded(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(HUNDREDTHS, rounding=ROUND_HALF_UP)


def ranked_applications(call: Call) -> list[RankedApplication]:
    """The call's submitted and decided applications, best first, in four queries.

    weighted_score: the mean over submitted reviews of each reviewer's weighted score (to two
    decimals); spread: the highest minus the lowest reviewer's weighted score; missing:
    assigned reviews not submitted yet. Ranks are unique: a tie goes to the application
    submitted first, then to the lower id; applications without a score come last.
    """
    weights = {c.pk: c.weight for c in call.criteria.all()}
    applications = (
        call.applications.filter(status__in=RANKED_STATUSES)
        .select_related("company")
        .prefetch_related(
            Prefetch(
                "reviews",
                queryset=Review.objects.order_by("reviewer_id").prefetch_related(
                    Prefetch(
                        "scores", queryset=Score.objects.only("review_id", "criterion_id", "value")
                    )
                ),
            )
        )
    )
    rows = []
    for application in applications:
        reviews = list(application.reviews.all())
        done = [r for r in reviews if r.submitted_at is not None]
        figures = [f for f in (review_weighted_score(r, weights) for r in done) if f is not None]
        mean = sum(figures, Decimal(0)) / len(figures) if figures else None
        rows.append(
            RankedApplication(
                application=application,
                weighted_score=mean,
                spread=(max(figures) - min(figures)) if figures else None,
                missing=len(reviews) - len(done),
                submitted_reviews=len(done),
                assigned_reviews=len(reviews),
            )
        )
    rows.sort(
        key=lambda row: (
            row.weighted_score is None,
            -(row.weighted_score or 0),
            row.application.submitted_at is None,
            row.application.submitted_at or EARLIEST,
            row.application.pk,
        )
    )
    for rank, row in enumerate(rows, start=1):
        row.rank = rank
        row.weighted_score = _rounded(row.weighted_score)
        row.spread = _rounded(row.spread)
    return rows


def panel_load(call: Call) -> list[tuple]:
    """Each panel member with their assigned and submitted reviews on this call."""
    counts = {
        row["reviewer_id"]: row
        for row in Review.objects.filter(application__call=call)
        .values("reviewer_id")
        .annotate(assigned=Count("pk"), submitted=Count("pk", filter=Q(submitted_at__isnull=False)))
    }
    return [
        (
            member,
            counts.get(member.pk, {}).get("assigned", 0),
            counts.get(member.pk, {}).get("submitted", 0),
        )
        for member in call.panel.order_by("username")
    ]


def member_companies(*, user) -> QuerySet[Company]:
    """The companies the person owns or is a member of (those they may apply for)."""
    viewer = viewer_for(user)
    return Company.objects.filter(organisation_id__in=viewer.company_org_ids).order_by("legal_name")


def my_applications(*, user) -> QuerySet[Application]:
    """The applications of the person's own companies (not those they review)."""
    viewer = viewer_for(user)
    return (
        scoped_queryset(user, Application)
        .filter(company__organisation_id__in=viewer.company_org_ids)
        .select_related("call", "company")
        .order_by("-created_at", "-pk")
    )


def my_reviews(*, user) -> QuerySet[Review]:
    return (
        scoped_queryset(user, Review)
        .filter(reviewer=user)
        .select_related("application__call", "application__company")
        .order_by("submitted_at", "application__call__closes_at", "pk")
    )


def conflict_candidates(*, user) -> QuerySet[Company]:
    """Companies a panel member may declare a conflict with: those applying to calls on whose
    panel they sit, less the ones already declared."""
    declared = ConflictOfInterest.objects.filter(reviewer=user).values("company_id")
    return (
        Company.objects.filter(
            applications__call__panel=user,
            applications__status__in=[Application.Status.DRAFT, Application.Status.SUBMITTED],
        )
        .exclude(pk__in=declared)
        .distinct()
        .order_by("legal_name")
    )


def my_conflicts(*, user) -> QuerySet[ConflictOfInterest]:
    return scoped_queryset(user, ConflictOfInterest).filter(reviewer=user).select_related("company")


def company_applications(*, user, company) -> QuerySet[Application]:
    """A company's applications to calls, newest call first, as its page shows them."""
    return (
        scoped_queryset(user, Application)
        .filter(company=company)
        .select_related("call")
        .order_by("-call__closes_at", "-id")[:50]
    )
