"""The public showcase: the center in figures, published cases, listed companies, verified
results. Everything here is public by construction: published solutions only, company names
only of companies that agreed to be listed, leaderboard lines only of listed companies.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Count, Prefetch, Q, Sum

from innovation_center.benchmarks.models import Suite
from innovation_center.benchmarks.selectors import leaderboard
from innovation_center.compute.models import Accelerator
from innovation_center.compute.selectors import utilization_for_month
from innovation_center.core import clock
from innovation_center.ecosystem.models import Company, Industry, Solution
from innovation_center.talent.models import Course

CACHE_SECONDS = 300
# Statuses of a company the center has taken in (every one but "applied").
TAKEN_IN = [
    Company.Status.ADMITTED,
    Company.Status.INCUBATING,
    Company.Status.GRADUATED,
    Company.Status.EXITED,
]


@dataclass
class Case:
    name: str
    summary: str
    text: str
    launched_on: object
    companies: list[str]  # the listed ones only


@dataclass
class Vertical:
    key: str
    label: str
    cases: list[Case] = field(default_factory=list)


def _figures(now) -> dict:
    year, month = clock.add_months(clock.this_month(at=now), -1)
    last = utilization_for_month(year=year, month=month, now=now)
    companies = Company.objects.partners().aggregate(
        incubated=Count("id", filter=Q(status__in=TAKEN_IN)),
        incubating=Count("id", filter=Q(status=Company.Status.INCUBATING)),
        graduated=Count("id", filter=Q(status=Company.Status.GRADUATED)),
    )
    courses = Course.objects.aggregate(n=Count("id"), students=Sum("students_enrolled"))
    return {
        "devices": Accelerator.objects.count(),
        "utilization": last.total.utilization,
        "utilization_month": (year, month),
        "companies": companies,
        "solutions_launched": Solution.objects.filter(status=Solution.Status.LAUNCHED).count(),
        "courses": courses["n"],
        "students": courses["students"] or 0,
    }


def _verticals() -> list[Vertical]:
    listed = Prefetch(
        "companies",
        queryset=Company.objects.partners().filter(listed_publicly=True).order_by("legal_name"),
        to_attr="listed_companies",
    )
    by_key: dict[str, Vertical] = {}
    for solution in (
        Solution.objects.filter(is_published=True)
        .exclude(showcase_text="")
        .prefetch_related(listed)
        .order_by("vertical", "-launched_on", "name")
    ):
        vertical = by_key.setdefault(
            solution.vertical, Vertical(solution.vertical, Industry(solution.vertical).label)
        )
        vertical.cases.append(
            Case(
                solution.name,
                solution.summary,
                solution.showcase_text,
                solution.launched_on,
                [c.legal_name for c in solution.listed_companies],
            )
        )
    order = list(Industry.values)
    return sorted(by_key.values(), key=lambda v: order.index(v.key))


def _listed_companies() -> list[tuple[str, str, str]]:
    return [
        (name, Industry(industry).label, city)
        for name, industry, city in Company.objects.partners()
        .filter(listed_publicly=True, status__in=TAKEN_IN)
        .order_by("legal_name")
        .values_list("legal_name", "industry", "city")
    ]


def _verified_results(per_suite: int = 5) -> list[tuple[Suite, list]]:
    boards = []
    for suite in Suite.objects.filter(is_open=True).select_related("accelerator_type"):
        entries = [e for e in leaderboard(suite=suite, user=None) if e.verified and e.listed]
        if entries:
            boards.append((suite, entries[:per_suite]))
    return boards


def showcase(*, now=None) -> dict:
    """The showcase's content, computed at most every few minutes (it is the same for every
    visitor: nothing in it depends on who asks). Labels are translated when rendered."""
    now = now or clock.now()
    key = f"showcase:{clock.today(at=now).isoformat()}"
    content = cache.get(key)
    if content is None:
        content = {
            "figures": _figures(now),
            "verticals": _verticals(),
            "listed": _listed_companies(),
            "results": _verified_results(),
        }
        cache.set(key, content, CACHE_SECONDS)
    return content
