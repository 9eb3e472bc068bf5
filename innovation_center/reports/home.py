"""The landing page's figures: a little of every app, each counted within the user's scope."""

from django.db.models import Count, Sum

from innovation_center.accounts.access import scoped_queryset, viewer_for
from innovation_center.compute.models import Allocation, Site
from innovation_center.ecosystem.models import Company, Solution
from innovation_center.evaluation.models import EvaluationJob
from innovation_center.talent.models import Course, CrowdTask, University


def home_summary(*, user) -> dict:
    """The figures on the landing page, each counted within the user's scope."""
    viewer = viewer_for(user)
    courses = scoped_queryset(user, Course).aggregate(
        count=Count("id"), students=Sum("students_enrolled")
    )
    # Separately: joining teachers would multiply the students' sum.
    courses["teachers"] = scoped_queryset(user, Course).aggregate(
        n=Count("teachers", distinct=True)
    )["n"]
    return {
        "viewer": viewer,
        "companies": scoped_queryset(user, Company).partners().count(),
        "solutions": scoped_queryset(user, Solution).count(),
        "universities": scoped_queryset(user, University).count(),
        "courses": courses["count"],
        "teachers": courses["teachers"] or 0,
        "students": courses["students"] or 0,
        "crowd_tasks": dict(
            scoped_queryset(user, CrowdTask)
            .values_list("kind")
            .annotate(n=Count("id"))
            .values_list("kind", "n")
        ),
        "sites": scoped_queryset(user, Site).annotate(devices=Count("accelerators")),
        "allocations": scoped_queryset(user, Allocation)
        .filter(status=Allocation.Status.ACTIVE)
        .count(),
        "jobs_running": scoped_queryset(user, EvaluationJob)
        .filter(status__in=[EvaluationJob.Status.SCHEDULED, EvaluationJob.Status.RUNNING])
        .count(),
    }
