"""The figures of the staff dashboard and the monthly report, counted from the other apps.

Every figure is computed from rows (nothing is stored), and each comes with the filter of
the list behind it so the page can link to it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from innovation_center.compute import selectors as compute
from innovation_center.compute.models import Allocation
from innovation_center.core import clock
from innovation_center.ecosystem.models import (
    Company,
    Engagement,
    Industry,
    LifecycleStage,
    Solution,
    StageMove,
)
from innovation_center.evaluation.energy import energy
from innovation_center.evaluation.models import EvaluationJob, JobResult
from innovation_center.talent.models import Course, CrowdTask, Internship, University


@dataclass
class Tally:
    """One counted figure and the query string of the list behind it."""

    key: str
    label: str
    value: int
    query: str = ""


def _counts(choices, found: dict, param: str) -> list[Tally]:
    return [
        Tally(value, label, found.get(value, 0), f"{param}={value}") for value, label in choices
    ]


def companies_by_status() -> list[Tally]:
    found = dict(Company.objects.partners().values_list("status").annotate(n=Count("id")))
    return _counts(Company.Status.choices, found, "status")


def companies_by_stage() -> list[Tally]:
    # As the company list's stage filter: companies with an engagement at that stage.
    found = dict(
        Engagement.objects.values_list("stage").annotate(n=Count("company", distinct=True))
    )
    return _counts(LifecycleStage.choices, found, "stage")


def solutions_by_vertical() -> list[Tally]:
    found = dict(Solution.objects.values_list("vertical").annotate(n=Count("id")))
    return _counts(Industry.choices, found, "vertical")


def solutions_by_status() -> list[Tally]:
    found = dict(Solution.objects.values_list("status").annotate(n=Count("id")))
    return _counts(Solution.Status.choices, found, "status")


def talent_totals() -> dict:
    courses = Course.objects.aggregate(n=Count("id"), students=Sum("students_enrolled"))
    tasks = dict(CrowdTask.objects.values_list("kind").annotate(n=Count("id")))
    internships = Internship.objects.aggregate(n=Count("id"), students=Sum("student_count"))
    return {
        "courses": courses["n"],
        "teachers": Course.objects.aggregate(n=Count("teachers", distinct=True))["n"],
        "students": courses["students"] or 0,
        "crowd_tasks": _counts(CrowdTask.Kind.choices, tasks, "kind"),
        "internships": internships["n"],
        "interns": internships["students"] or 0,
    }


def courses_by_university() -> list[tuple[str, int, int, int]]:
    """(university, pk, courses, students), most students first."""
    rows = University.objects.annotate(
        n=Count("courses"), students=Sum("courses__students_enrolled")
    ).values_list("name", "pk", "n", "students")
    return sorted(((n, pk, c, s or 0) for n, pk, c, s in rows), key=lambda r: (-r[3], r[0]))


def jobs_by_status() -> dict[str, int]:
    return dict(EvaluationJob.objects.values_list("status").annotate(n=Count("id")))


def hours_by_company(results) -> list[tuple[str, int, float]]:
    """(company, pk, busy device-hours) over the given months of utilization, most first."""
    totals: dict[tuple[str, int], float] = defaultdict(float)
    for result in results:
        for row in result.by_company:
            totals[(row.label, row.key)] += row.busy_hours
    return sorted(((n, pk, h) for (n, pk), h in totals.items()), key=lambda r: (-r[2], r[0]))


# The monthly report ----------------------------------------------------------------------


@dataclass
class Section:
    """One table of the report: a title, column headers and rows (plain values)."""

    key: str
    title: str
    headers: list[str]
    rows: list[list]


def _overlap_fraction(start: dt.date, end: dt.date, lo: dt.date, hi: dt.date) -> float:
    days = (end - start).days
    overlap = (min(end, hi) - max(start, lo)).days
    return max(overlap, 0) / days if days > 0 else 0.0


def monthly_report(*, year: int, month: int, now: dt.datetime | None = None) -> dict:
    """Everything of one month: utilization, hours per company, jobs, companies and stage
    moves, solutions launched, courses and students logged.

    A month that has not ended is reported so far (`complete` False, figures up to `until`).
    """
    now = now or clock.now()
    start, end = clock.month_bounds(year, month)
    first, last = start.date(), end.date()
    utilization = compute.utilization_for_month(year=year, month=month, now=now)

    def pct(row):
        return None if row.utilization is None else round(row.utilization * 100, 2)

    util_rows = [
        [
            _("Total"),
            "",
            utilization.total.devices,
            round(utilization.total.busy_hours, 2),
            round(utilization.total.available_hours, 2),
            round(utilization.total.out_of_service_hours, 2),
            pct(utilization.total),
        ]
    ]
    for kind, rows in (
        (_("Site"), utilization.by_site),
        (_("Accelerator type"), utilization.by_type),
    ):
        for row in rows:
            util_rows.append(
                [
                    kind,
                    row.label,
                    row.devices,
                    round(row.busy_hours, 2),
                    round(row.available_hours, 2),
                    round(row.out_of_service_hours, 2),
                    pct(row),
                ]
            )

    used = {row.key: row.busy_hours for row in utilization.by_company}
    granted: dict[int, Decimal] = defaultdict(Decimal)
    names: dict[int, str] = {}
    for allocation in Allocation.objects.filter(
        starts_on__lt=last, ends_on__gt=first
    ).select_related("company"):
        share = _overlap_fraction(allocation.starts_on, allocation.ends_on, first, last)
        granted[allocation.company_id] += allocation.hours_granted * Decimal(str(round(share, 6)))
        names[allocation.company_id] = allocation.company.legal_name
    for row in utilization.by_company:
        names.setdefault(row.key, row.label)
    hours_rows = sorted(
        (
            [names[pk], round(float(granted.get(pk, 0)), 2), round(used.get(pk, 0.0), 2)]
            for pk in names
        ),
        key=lambda r: (-r[2], r[0]),
    )

    jobs = EvaluationJob.objects.filter(created_at__gte=start, created_at__lt=end)
    job_counts = dict(jobs.values_list("status").annotate(n=Count("id")))
    totals = JobResult.objects.filter(job__in=jobs).aggregate(
        h=Sum("hours_charged"), j=Sum("energy_joules")
    )
    charged, used = totals["h"], energy(totals["j"] or 0.0)
    waits = compute.queue_waits(year=year, month=month)
    job_rows = [
        [str(label), job_counts.get(value, 0)] for value, label in EvaluationJob.Status.choices
    ]
    job_rows += [
        [_("Accelerator-hours charged"), round(float(charged or 0), 6)],
        [_("Energy of the evaluations (kWh)"), round(used.kwh, 6)],
        [
            _("Estimated CO2 (kg, at %(factor)s kg/kWh)") % {"factor": used.grid_factor},
            round(used.co2_kg, 6),
        ],
        [_("Median queue wait (s)"), waits["median_seconds"]],
        [_("95th percentile queue wait (s)"), waits["p95_seconds"]],
    ]

    applied = Company.objects.partners().filter(applied_on__gte=first, applied_on__lt=last).count()
    admitted = (
        Company.objects.partners().filter(admitted_on__gte=first, admitted_on__lt=last).count()
    )
    moves = dict(
        StageMove.objects.filter(moved_at__gte=start, moved_at__lt=end)
        .values_list("to_stage")
        .annotate(n=Count("id"))
    )
    company_rows = [[_("Companies applied"), applied], [_("Companies admitted"), admitted]]
    company_rows += [
        [_("Moved to: %(stage)s") % {"stage": label}, moves.get(value, 0)]
        for value, label in LifecycleStage.choices
    ]

    launched = Solution.objects.filter(
        launched_on__gte=first, launched_on__lt=last
    ).prefetch_related("companies")
    solution_rows = [
        [
            s.name,
            s.get_vertical_display(),
            s.launched_on.isoformat(),
            "; ".join(c.legal_name for c in s.companies.all()),
        ]
        for s in launched.order_by("launched_on", "name")
    ]

    logged = Course.objects.filter(created_at__gte=start, created_at__lt=end)
    course_rows = [
        [name, n, students or 0]
        for name, n, students in logged.values_list("university__name")
        .annotate(n=Count("id"), s=Sum("students_enrolled"))
        .order_by("university__name")
        .values_list("university__name", "n", "s")
    ]

    sections = [
        Section(
            "utilization",
            _("Utilization"),
            [
                _("Group"),
                _("Name"),
                _("Devices"),
                _("Busy device-hours"),
                _("Available device-hours"),
                _("Out-of-service device-hours"),
                _("Utilization (%)"),
            ],
            util_rows,
        ),
        Section(
            "hours",
            _("Accelerator-hours per company"),
            [_("Company"), _("Hours granted (prorated)"), _("Device-hours used")],
            hours_rows,
        ),
        Section("jobs", _("Evaluation jobs submitted"), [_("Figure"), _("Value")], job_rows),
        Section(
            "companies",
            _("Companies and lifecycle stage moves"),
            [_("Figure"), _("Value")],
            company_rows,
        ),
        Section(
            "solutions",
            _("Solutions launched"),
            [_("Solution"), _("Industry vertical"), _("Launched on"), _("Companies")],
            solution_rows,
        ),
        Section(
            "courses",
            _("Courses logged"),
            [_("University"), _("Courses"), _("Students")],
            course_rows,
        ),
    ]
    return {
        "year": year,
        "month": month,
        "utilization": utilization,
        "sections": sections,
        "complete": utilization.complete,
        "until": utilization.until,
        "generated_at": now,
    }


def monthly_report_title(report: dict) -> str:
    """The report's title; a month still running says it is reported so far."""
    month = f"{report['year']}-{report['month']:02d}"
    if report["complete"]:
        return _("Innovation Center monthly report %(month)s") % {"month": month}
    return _("Innovation Center monthly report %(month)s, so far (up to %(until)s)") % {
        "month": month,
        "until": clock.local(report["until"]).strftime("%Y-%m-%d %H:%M"),
    }
