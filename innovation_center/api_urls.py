"""The REST API under /api/v1/: one router over every app's viewsets, the schema and docs."""

from csp.decorators import csp_update
from django.urls import path, re_path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.routers import DefaultRouter

from innovation_center.accounts.api import (
    InvitationViewSet,
    MembershipViewSet,
    NotificationViewSet,
    TokenIssueView,
    TokenViewSet,
)
from innovation_center.benchmarks.api import (
    LeaderboardView,
    SubmissionViewSet,
    SuiteViewSet,
    VerificationViewSet,
)
from innovation_center.compute.api import (
    AcceleratorTypeViewSet,
    AcceleratorViewSet,
    AllocationRequestViewSet,
    AllocationViewSet,
    CapacityView,
    LedgerEntryViewSet,
    SiteViewSet,
    UtilizationView,
)
from innovation_center.core.api import not_found
from innovation_center.ecosystem.api import CompanyViewSet, EngagementViewSet, SolutionViewSet
from innovation_center.evaluation.api import (
    DatasetViewSet,
    JobResultViewSet,
    JobViewSet,
    ModelArtifactViewSet,
)
from innovation_center.programs.api import (
    ApplicationViewSet,
    CallViewSet,
    ConflictViewSet,
    IncubatorCriteriaViewSet,
    KpiReportViewSet,
    ReviewViewSet,
)
from innovation_center.talent.api import (
    CourseViewSet,
    CrowdTaskViewSet,
    InternshipViewSet,
    ProgramViewSet,
    UniversityViewSet,
)

app_name = "api"

router = DefaultRouter()
router.include_root_view = False
router.register("auth/tokens", TokenViewSet, basename="token")
router.register("members", MembershipViewSet, basename="member")
router.register("invitations", InvitationViewSet, basename="invitation")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("companies", CompanyViewSet, basename="company")
router.register("engagements", EngagementViewSet, basename="engagement")
router.register("solutions", SolutionViewSet, basename="solution")
router.register("universities", UniversityViewSet, basename="university")
router.register("programs", ProgramViewSet, basename="program")
router.register("courses", CourseViewSet, basename="course")
router.register("crowd-tasks", CrowdTaskViewSet, basename="crowdtask")
router.register("internships", InternshipViewSet, basename="internship")
router.register("sites", SiteViewSet, basename="site")
router.register("accelerator-types", AcceleratorTypeViewSet, basename="acceleratortype")
router.register("accelerators", AcceleratorViewSet, basename="accelerator")
router.register("allocation-requests", AllocationRequestViewSet, basename="allocationrequest")
router.register("allocations", AllocationViewSet, basename="allocation")
router.register("ledger-entries", LedgerEntryViewSet, basename="ledgerentry")
router.register("models", ModelArtifactViewSet, basename="model")
router.register("datasets", DatasetViewSet, basename="dataset")
router.register("jobs", JobViewSet, basename="job")
router.register("results", JobResultViewSet, basename="result")
router.register("suites", SuiteViewSet, basename="suite")
router.register("suite-submissions", SubmissionViewSet, basename="suitesubmission")
router.register("verifications", VerificationViewSet, basename="verification")
router.register("calls", CallViewSet, basename="call")
router.register("applications", ApplicationViewSet, basename="application")
router.register("reviews", ReviewViewSet, basename="review")
router.register("conflicts", ConflictViewSet, basename="conflict")
router.register("kpi-reports", KpiReportViewSet, basename="kpireport")
router.register("incubator-criteria", IncubatorCriteriaViewSet, basename="incubator-criteria")

REDOC_CSP = {"style-src": ["'unsafe-inline'"], "worker-src": ["'self'", "blob:"]}

urlpatterns = [
    path("auth/token/", TokenIssueView.as_view(), name="token-issue"),
    path("utilization/", UtilizationView.as_view(), name="utilization"),
    path("leaderboard/", LeaderboardView.as_view(), name="leaderboard"),
    path("capacity/", CapacityView.as_view(), name="capacity"),
    *router.urls,
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI's init script is a file of its own (the split view), so the page keeps the
    # Content-Security-Policy; ReDoc injects its styles and starts a worker from a blob: URL,
    # which its page alone may do (templates/drf_spectacular/ hold both pages' styles).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path(
        "redoc/",
        csp_update(REDOC_CSP)(SpectacularRedocView.as_view(url_name="api:schema")),
        name="redoc",
    ),
    # Last: any other URL under /api/v1/ is a JSON 404 (no name: not an endpoint).
    re_path(r"", not_found),
]
