"""Reads of the talent pages; every list starts from `scoped_queryset`."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, F, IntegerField, QuerySet, Sum
from django.db.models.functions import Coalesce, ExtractYear
from django.utils.translation import gettext_lazy as _

from innovation_center.accounts.access import get_scoped_or_404, scoped_queryset, viewer_for
from innovation_center.accounts.models import Membership
from innovation_center.core.exports import Column
from innovation_center.talent.models import Course, CrowdTask, Internship, Program, University


def coordinator_universities(*, user) -> QuerySet[University]:
    """The universities the user coordinates (where they may log rows)."""
    viewer = viewer_for(user)
    org_ids = [
        org_id for org_id, role in viewer.roles.items() if role == Membership.Role.COORDINATOR
    ]
    return University.objects.filter(organisation_id__in=org_ids).order_by("name")


def university_choices(*, user) -> QuerySet[University]:
    return scoped_queryset(user, University).only("id", "name").order_by("name")


def program_choices(*, kind: str | None = None) -> QuerySet[Program]:
    qs = Program.objects.only("id", "name", "year", "kind")
    return qs.filter(kind=kind) if kind else qs


def _as_int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


COURSE_EXPORT = [
    Column(_("University"), "university.name"),
    Column(_("Program"), "program"),
    Column(_("Title"), "title"),
    Column(_("Year"), "year"),
    Column(_("Term"), "get_term_display"),
    # The teachers come from `course_list`'s prefetch.
    Column(_("Teachers"), lambda c: "; ".join(t.name for t in c.teachers.all())),
    Column(_("Students enrolled"), "students_enrolled"),
    Column(_("Teaching hours"), "hours"),
]
CROWDTASK_EXPORT = [
    Column(_("University"), "university.name"),
    Column(_("Program"), "program"),
    Column(_("Kind"), "get_kind_display"),
    Column(_("Title"), "title"),
    Column(_("Team"), "team"),
    Column(_("Status"), "get_status_display"),
    Column(_("Delivered artifact link"), "artifact_url"),
    Column(_("Delivered on"), "delivered_on"),
]
INTERNSHIP_EXPORT = [
    Column(_("University"), "university.name"),
    Column(_("Program"), "program"),
    Column(_("Host"), lambda i: i.host_company.legal_name if i.host_company else i.host_name),
    Column(_("Students"), "student_count"),
    Column(_("Starts on"), "starts_on"),
    Column(_("Ends on"), "ends_on"),
]


def course_list(
    *,
    user,
    search: str = "",
    year=None,
    term: str = "",
    program=None,
    university=None,
) -> QuerySet[Course]:
    qs = (
        scoped_queryset(user, Course)
        .select_related("university", "program", "logged_by")
        .prefetch_related("teachers")
    )
    if search.strip():
        qs = qs.filter(title__icontains=search.strip())
    if _as_int(year):
        qs = qs.filter(year=_as_int(year))
    if term:
        qs = qs.filter(term=term)
    if _as_int(program):
        qs = qs.filter(program_id=_as_int(program))
    if _as_int(university):
        qs = qs.filter(university_id=_as_int(university))
    return qs.order_by("-year", "university__name", "title", "id")


def course_get(*, user, pk: int) -> Course:
    return get_scoped_or_404(
        user,
        Course,
        Course.objects.select_related("university", "program", "logged_by").prefetch_related(
            "teachers"
        ),
        pk=pk,
    )


def course_years(*, user) -> list[int]:
    return list(
        scoped_queryset(user, Course).order_by("-year").values_list("year", flat=True).distinct()
    )


def crowdtask_list(
    *,
    user,
    search: str = "",
    kind: str = "",
    status: str = "",
    program=None,
    university=None,
) -> QuerySet[CrowdTask]:
    qs = scoped_queryset(user, CrowdTask).select_related("university", "program")
    if search.strip():
        qs = qs.filter(title__icontains=search.strip())
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    if _as_int(program):
        qs = qs.filter(program_id=_as_int(program))
    if _as_int(university):
        qs = qs.filter(university_id=_as_int(university))
    return qs.order_by("university__name", "kind", "title", "id")


def crowdtask_get(*, user, pk: int) -> CrowdTask:
    return get_scoped_or_404(
        user, CrowdTask, CrowdTask.objects.select_related("university", "program"), pk=pk
    )


def internship_list(*, user, year=None, program=None, university=None) -> QuerySet[Internship]:
    qs = scoped_queryset(user, Internship).select_related("university", "program", "host_company")
    if _as_int(year):
        qs = qs.filter(starts_on__year=_as_int(year))
    if _as_int(program):
        qs = qs.filter(program_id=_as_int(program))
    if _as_int(university):
        qs = qs.filter(university_id=_as_int(university))
    return qs.order_by("-starts_on", "id")


def internship_get(*, user, pk: int) -> Internship:
    return get_scoped_or_404(
        user,
        Internship,
        Internship.objects.select_related("university", "program", "host_company"),
        pk=pk,
    )


TOTAL_KEYS = (
    "courses",
    "teachers",
    "students",
    "hours",
    "operators",
    "models",
    "applications",
    "internships",
    "interns",
)


def _empty_totals() -> dict:
    return dict.fromkeys(TOTAL_KEYS, 0)


def talent_totals(*, user, year=None, program=None) -> dict:
    """Courses, teachers, students, crowd tasks by kind and internships, per university,
    per program and per year, in a fixed number of grouped queries.

    A crowd task counts in its program's year (or the year it was logged, without a program);
    an internship in the year it starts.
    """
    year, program = _as_int(year), _as_int(program)
    courses = scoped_queryset(user, Course).annotate(period=F("year"))
    tasks = scoped_queryset(user, CrowdTask).annotate(
        period=Coalesce("program__year", ExtractYear("created_at"), output_field=IntegerField())
    )
    internships = scoped_queryset(user, Internship).annotate(period=ExtractYear("starts_on"))
    if year:
        courses = courses.filter(period=year)
        tasks = tasks.filter(period=year)
        internships = internships.filter(period=year)
    if program:
        courses = courses.filter(program_id=program)
        tasks = tasks.filter(program_id=program)
        internships = internships.filter(program_id=program)

    tables: dict[str, dict] = {"university": {}, "program": {}, "period": {}}
    groups = {"university": "university_id", "program": "program_id", "period": "period"}
    kind_key = {
        CrowdTask.Kind.OPERATOR: "operators",
        CrowdTask.Kind.MODEL: "models",
        CrowdTask.Kind.APPLICATION: "applications",
    }
    for table, key in groups.items():
        rows = defaultdict(_empty_totals)
        for row in (
            courses.order_by()
            .values(key)
            .annotate(n=Count("id"), s=Sum("students_enrolled"), h=Sum("hours"))
        ):
            totals = rows[row[key]]
            totals.update(courses=row["n"], students=row["s"], hours=row["h"])
        # Distinct people: a teacher of several courses counts once (a separate query, so
        # the join does not multiply the sums above).
        for row in courses.order_by().values(key).annotate(t=Count("teachers", distinct=True)):
            rows[row[key]]["teachers"] = row["t"]
        for row in tasks.order_by().values(key, "kind").annotate(n=Count("id")):
            rows[row[key]][kind_key[row["kind"]]] += row["n"]
        for row in (
            internships.order_by().values(key).annotate(n=Count("id"), s=Sum("student_count"))
        ):
            rows[row[key]].update(internships=row["n"], interns=row["s"] or 0)
        tables[table] = rows

    universities = {u.pk: u for u in scoped_queryset(user, University).only("id", "name")}
    programs = {p.pk: p for p in Program.objects.only("id", "name", "year", "kind")}
    grand = _empty_totals()
    for totals in tables["university"].values():
        for name in TOTAL_KEYS:
            grand[name] += totals[name] or 0
    by_university = [
        (university, tables["university"].get(pk, _empty_totals()))
        for pk, university in sorted(universities.items(), key=lambda item: item[1].name)
    ]
    by_program = sorted(
        ((programs.get(pk), totals) for pk, totals in tables["program"].items()),
        key=lambda item: (-(item[0].year if item[0] else 0), item[0].name if item[0] else ""),
    )
    by_year = sorted(tables["period"].items(), key=lambda item: -(item[0] or 0))
    return {
        "by_university": by_university,
        "by_program": by_program,
        "by_year": by_year,
        "grand": grand,
    }


def talent_years(*, user) -> list[int]:
    years = set(course_years(user=user))
    years |= set(Program.objects.values_list("year", flat=True))
    return sorted(years, reverse=True)
