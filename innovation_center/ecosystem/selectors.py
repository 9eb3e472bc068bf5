"""Reads of the ecosystem pages; every one starts from `scoped_queryset`."""

from __future__ import annotations

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Window
from django.db.models.functions import Coalesce, RowNumber
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from innovation_center.accounts.access import get_scoped_or_404, scoped_queryset, viewer_for
from innovation_center.accounts.models import Membership
from innovation_center.core import clock
from innovation_center.core.exports import Column
from innovation_center.core.uscc import ALPHABET, normalise
from innovation_center.ecosystem.models import (
    Company,
    Engagement,
    LifecycleStage,
    Milestone,
    Solution,
    StageMove,
)
from innovation_center.ecosystem.panels import company_panels

COMPANY_ORDERINGS = {
    "name": ("legal_name",),
    "-name": ("-legal_name",),
    "status": ("status", "legal_name"),
    "industry": ("industry", "legal_name"),
    "city": ("city", "legal_name"),
    "newest": ("-created_at", "-id"),
    "oldest": ("created_at", "id"),
}
COMPANY_LIST_FIELDS = ("id", "legal_name", "uscc", "industry", "city", "size", "status")


COMPANY_EXPORT = [
    Column(gettext_lazy("Legal name"), "legal_name"),
    Column(gettext_lazy("Unified social credit code"), "uscc"),
    Column(gettext_lazy("Industry"), "get_industry_display"),
    Column(gettext_lazy("City"), "city"),
    Column(gettext_lazy("Size"), "get_size_display"),
    Column(gettext_lazy("Status"), "get_status_display"),
    # `current_stage` is the annotation of `company_list`.
    Column(
        gettext_lazy("Lifecycle stage"),
        lambda c: LifecycleStage(c.current_stage).label if c.current_stage else "",
    ),
]


def _looks_like_uscc_prefix(text: str) -> bool:
    code = normalise(text)
    return len(code) >= 4 and all(char in ALPHABET for char in code)


def company_list(
    *,
    user,
    search: str = "",
    status: str = "",
    industry: str = "",
    city: str = "",
    stage: str = "",
    ordering: str = "name",
) -> QuerySet[Company]:
    """Companies the user may see, filtered, with the current stage of their latest engagement.

    One query for the page whatever its size: the stage is a correlated subquery on the
    indexed engagement company key, evaluated for the rows of the page only.
    """
    latest_stage = (
        Engagement.objects.filter(company=OuterRef("pk"))
        .order_by("-started_on", "-id")
        .values("stage")[:1]
    )
    qs = scoped_queryset(user, Company).partners().only(*COMPANY_LIST_FIELDS)
    search = search.strip()
    if search:
        condition = Q(legal_name__icontains=search)
        if _looks_like_uscc_prefix(search):
            # The unique index on uscc answers a prefix lookup.
            condition |= Q(uscc__startswith=normalise(search))
        qs = qs.filter(condition)
    if status:
        qs = qs.filter(status=status)
    if industry:
        qs = qs.filter(industry=industry)
    if city:
        qs = qs.filter(city=city)
    if stage:
        qs = qs.filter(Exists(Engagement.objects.filter(company=OuterRef("pk"), stage=stage)))
    qs = qs.annotate(current_stage=Subquery(latest_stage))
    return qs.order_by(*COMPANY_ORDERINGS.get(ordering, COMPANY_ORDERINGS["name"]))


def company_cities(*, user) -> list[str]:
    return list(
        scoped_queryset(user, Company).order_by("city").values_list("city", flat=True).distinct()
    )


def company_get(*, user, pk: int) -> Company:
    return get_scoped_or_404(user, Company, pk=pk)


def company_detail(*, user, company: Company) -> dict:
    """Everything on a company's page, each part scoped and fetched in a fixed number of queries;
    the panels of the apps above (allocations, jobs) come from `panels`."""
    panels = company_panels(user=user, company=company)
    engagements = (
        scoped_queryset(user, Engagement)
        .filter(company=company)
        .select_related("owner")
        .prefetch_related(Prefetch("moves", queryset=StageMove.objects.select_related("moved_by")))
        .order_by("-started_on", "-id")
    )
    return {
        "engagements": engagements,
        "solutions": scoped_queryset(user, Solution).filter(companies=company).order_by("name"),
        "members": Membership.objects.filter(organisation_id=company.organisation_id)
        .select_related("user")
        .order_by("role", "user__username"),
        "stages": LifecycleStage.choices,
        "panels": panels,
        **{panel.key: panel.rows for panel in panels},
    }


def engagement_get(*, user, pk: int) -> Engagement:
    return get_scoped_or_404(
        user, Engagement, Engagement.objects.select_related("company", "owner"), pk=pk
    )


def engagement_moves(*, engagement: Engagement) -> QuerySet[StageMove]:
    return engagement.moves.select_related("moved_by")


def engagement_milestones(*, user, engagement: Engagement) -> list[Milestone]:
    """The engagement's milestones, due first, each with `overdue` set (the center's today)."""
    today = clock.today()
    milestones = list(scoped_queryset(user, Milestone).filter(engagement=engagement))
    for milestone in milestones:
        milestone.overdue = milestone.done_on is None and milestone.due_on < today
    return milestones


def milestone_get(*, user, pk: int) -> Milestone:
    return get_scoped_or_404(
        user, Milestone, Milestone.objects.select_related("engagement__company"), pk=pk
    )


BOARD_CARDS_PER_COLUMN = 100


def engagement_board(*, user, industry: str = "", owner: str = "", search: str = "") -> list[dict]:
    """The board's columns, one per lifecycle stage in order, with their engagements.

    A column shows at most BOARD_CARDS_PER_COLUMN cards (and its full count): past that,
    the filters narrow the board down.
    """
    qs = (
        scoped_queryset(user, Engagement)
        .select_related("company", "owner")
        .only(
            "id",
            "title",
            "stage",
            "started_on",
            "target_on",
            "stage_changed_at",
            "company__id",
            "company__legal_name",
            "company__status",
            "owner__id",
            "owner__username",
            "owner__first_name",
            "owner__last_name",
        )
        .exclude(company__status__in=[Company.Status.EXITED])
        .order_by("company__legal_name", "started_on", "id")
    )
    if industry:
        qs = qs.filter(company__industry=industry)
    if owner == "me":
        qs = qs.filter(owner_id=viewer_for(user).user_id)
    if search.strip():
        qs = qs.filter(company__legal_name__icontains=search.strip())
    # The first N cards of each column in one query (a window per stage), and the full
    # counts in one grouped query: never the whole table into Python (scale issue).
    # Overdue milestones (due before today, not done) are counted in the same two queries.
    today = clock.today()
    overdue = Q(milestones__due_on__lt=today, milestones__done_on__isnull=True)
    overdue_of_card = (
        Milestone.objects.filter(engagement=OuterRef("pk"), due_on__lt=today, done_on__isnull=True)
        .order_by()
        .values("engagement")
        .annotate(n=Count("id"))
        .values("n")
    )
    counts, overdue_counts = {}, {}
    for stage, n, late in (
        qs.order_by()
        .values_list("stage")
        .annotate(n=Count("id", distinct=True), late=Count("milestones", filter=overdue))
    ):
        counts[stage], overdue_counts[stage] = n, late
    first_cards = qs.annotate(
        overdue_milestones=Coalesce(Subquery(overdue_of_card), 0),
        place=Window(
            RowNumber(),
            partition_by=[F("stage")],
            order_by=[F("company__legal_name").asc(), F("started_on").asc(), F("id").asc()],
        ),
    ).filter(place__lte=BOARD_CARDS_PER_COLUMN)
    by_stage: dict[str, list] = {value: [] for value in LifecycleStage.values}
    for engagement in first_cards:
        by_stage[engagement.stage].append(engagement)
    columns = []
    for value, label in LifecycleStage.choices:
        following = LifecycleStage.next_after(value)
        columns.append(
            {
                "stage": value,
                "label": label,
                "next": following,
                "next_label": following.label if following else "",
                "engagements": by_stage[value],
                "count": counts.get(value, 0),
                "overdue": overdue_counts.get(value, 0),
            }
        )
    return columns


SOLUTION_ORDERINGS = {
    "name": ("name",),
    "-name": ("-name",),
    "status": ("status", "name"),
    "vertical": ("vertical", "name"),
    "newest": ("-created_at", "-id"),
}


SOLUTION_EXPORT = [
    Column(gettext_lazy("Name"), "name"),
    Column(gettext_lazy("Industry vertical"), "get_vertical_display"),
    Column(gettext_lazy("Status"), "get_status_display"),
    Column(gettext_lazy("Launched on"), "launched_on"),
    Column(gettext_lazy("Published"), "is_published"),
    # The companies come from `solution_list`'s prefetch.
    Column(gettext_lazy("Companies"), lambda s: "; ".join(c.legal_name for c in s.companies.all())),
]


def solution_visible(*, user) -> QuerySet[Solution]:
    """Solutions of the user's scope plus every published showcase (the case collection)."""
    if viewer_for(user).user_id is None:
        return Solution.objects.none()
    if viewer_for(user).is_center_staff:
        return Solution.objects.all()
    in_scope = scoped_queryset(user, Solution).values("pk")
    return Solution.objects.filter(Q(pk__in=in_scope) | Q(is_published=True))


def solution_list(
    *,
    user,
    search: str = "",
    vertical: str = "",
    status: str = "",
    published: str = "",
    company: str = "",
    ordering: str = "name",
) -> QuerySet[Solution]:
    """The catalogue with the companies behind each solution (one prefetch query)."""
    visible_companies = scoped_queryset(user, Company).only("id", "legal_name")
    qs = solution_visible(user=user).prefetch_related(
        Prefetch("companies", queryset=Company.objects.only("id", "legal_name"))
    )
    search = search.strip()
    if search:
        qs = qs.filter(name__icontains=search)
    if vertical:
        qs = qs.filter(vertical=vertical)
    if status:
        qs = qs.filter(status=status)
    if published == "yes":
        qs = qs.filter(is_published=True)
    elif published == "no":
        qs = qs.filter(is_published=False)
    if company.isdigit():
        qs = qs.filter(companies__in=visible_companies.filter(pk=int(company)))
    return qs.order_by(*SOLUTION_ORDERINGS.get(ordering, SOLUTION_ORDERINGS["name"]))


def solution_get(*, user, pk: int) -> Solution:
    """One solution the user may see (their scope or a published showcase), else 404."""
    try:
        return solution_visible(user=user).prefetch_related("companies").get(pk=pk)
    except Solution.DoesNotExist:
        raise Http404(_("No solution matches the given query.")) from None


def solution_in_scope(*, user, solution: Solution) -> bool:
    return scoped_queryset(user, Solution).filter(pk=solution.pk).exists()


def company_choices() -> QuerySet[Company]:
    """Companies to pick from in staff forms (names only)."""
    return Company.objects.partners().only("id", "legal_name").order_by("legal_name")
