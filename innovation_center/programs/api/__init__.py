"""The programs under /api/v1/: calls, applications, reviews, conflicts of interest, KPI
reports and the incubator criteria (registered in innovation_center/api_urls.py).

Rows are the caller's scope (`scoped_queryset`): published calls for everyone, drafts for
staff; an application for its company's people and the reviewers assigned to it; a review and
its scores for its reviewer and the center, never for the applicant; KPI reports for the
company. Writes call the same services as the pages (programs.services, programs.kpi).
"""

from innovation_center.programs.api.calls import ApplicationViewSet, CallViewSet
from innovation_center.programs.api.kpi import IncubatorCriteriaViewSet, KpiReportViewSet
from innovation_center.programs.api.reviews import ConflictViewSet, ReviewViewSet

__all__ = [
    "ApplicationViewSet",
    "CallViewSet",
    "ConflictViewSet",
    "IncubatorCriteriaViewSet",
    "KpiReportViewSet",
    "ReviewViewSet",
]
