"""Companies, engagements and solutions: read in scope, written by center staff."""

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action

from innovation_center.accounts.access import is_center_staff
from innovation_center.accounts.api_access import ScopedViewSetMixin
from innovation_center.core.api import serializer_for
from innovation_center.ecosystem import selectors, services
from innovation_center.ecosystem.filters import CompanyFilter, EngagementFilter, SolutionFilter
from innovation_center.ecosystem.models import Company, Engagement, Solution, StageMove
from innovation_center.ecosystem.serializers import (
    CompanyExitSerializer,
    CompanySerializer,
    CompanyWriteSerializer,
    EngagementAdvanceSerializer,
    EngagementCreateSerializer,
    EngagementSerializer,
    EngagementWriteSerializer,
    SolutionPublishSerializer,
    SolutionSerializer,
    SolutionWriteSerializer,
)


def staff(user, obj=None) -> bool:
    return is_center_staff(user)


STAFF_WRITES = {
    name: staff
    for name in (
        "create",
        "update",
        "partial_update",
        "admit",
        "incubate",
        "graduate",
        "exit",
        "advance",
        "publish",
    )
}

COMPANY_EXAMPLE = OpenApiExample(
    "A new applicant",
    value={
        "legal_name": "武汉视觉智能科技有限公司",
        "uscc": "91420100MA4K1234X5",
        "industry": "smart_inspection",
        "city": "武汉",
        "size": "small",
        "description": "Defect detection for steel coils",
        "website": "https://example.com",
        "contact_email": "ai@example.com",
        "applied_on": "2026-03-01",
    },
    request_only=True,
)


class WriteMixin(ScopedViewSetMixin):
    """create/update read the input serializer and call the service, then show the row."""


@extend_schema_view(
    create=extend_schema(
        request=CompanyWriteSerializer,
        responses={201: CompanySerializer},
        examples=[COMPANY_EXAMPLE],
    ),
    update=extend_schema(request=CompanyWriteSerializer, responses=CompanySerializer),
    partial_update=extend_schema(request=CompanyWriteSerializer, responses=CompanySerializer),
)
@extend_schema(tags=["ecosystem"])
class CompanyViewSet(
    WriteMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Companies in your scope: staff all, company members their own."""

    model = Company
    write_rules = STAFF_WRITES
    filterset_class = CompanyFilter
    ordering_fields = ["legal_name", "status", "industry", "city", "created_at"]
    ordering = ["legal_name"]
    get_serializer_class = serializer_for(
        {
            "create": CompanyWriteSerializer,
            "update": CompanyWriteSerializer,
            "partial_update": CompanyWriteSerializer,
            "exit": CompanyExitSerializer,
        },
        CompanySerializer,
    )

    def create(self, request):
        company = services.company_create(actor=request.user, **self.validated_input())
        return self.write_response(company, status_code=status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        company = self.get_object()
        data = self.validated_input(instance=company, partial=partial)
        company = services.company_update(actor=request.user, company=company, data=data)
        return self.write_response(company)

    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    def _transition(self, service):
        company = service(company=self.get_object(), actor=self.request.user)
        return self.write_response(company)

    @extend_schema(request=None, responses=CompanySerializer)
    @action(detail=True, methods=["post"])
    def admit(self, request, pk=None):
        """Applied → admitted."""
        return self._transition(services.company_admit)

    @extend_schema(request=None, responses=CompanySerializer)
    @action(detail=True, methods=["post"])
    def incubate(self, request, pk=None):
        """Admitted → incubating."""
        return self._transition(services.company_incubate)

    @extend_schema(request=None, responses=CompanySerializer)
    @action(detail=True, methods=["post"])
    def graduate(self, request, pk=None):
        """Admitted or incubating → graduated."""
        return self._transition(services.company_graduate)

    @extend_schema(
        request=CompanyExitSerializer,
        responses=CompanySerializer,
        examples=[OpenApiExample("Exit", value={"reason": "Moved to Shenzhen"}, request_only=True)],
    )
    @action(detail=True, methods=["post"])
    def exit(self, request, pk=None):
        """Any open status → exited, with the reason."""
        company = self.get_object()
        reason = self.validated_input()["reason"]
        company = services.company_exit(company=company, actor=request.user, reason=reason)
        return self.write_response(company)


@extend_schema_view(
    create=extend_schema(
        request=EngagementCreateSerializer,
        responses={201: EngagementSerializer},
        examples=[
            OpenApiExample(
                "Start an engagement",
                value={
                    "company": 12,
                    "title": "Defect detection on the coil line",
                    "owner": None,
                    "started_on": "2026-03-01",
                    "target_on": "2026-09-30",
                    "notes": "",
                },
                request_only=True,
            )
        ],
    ),
    update=extend_schema(request=EngagementWriteSerializer, responses=EngagementSerializer),
    partial_update=extend_schema(request=EngagementWriteSerializer, responses=EngagementSerializer),
)
@extend_schema(tags=["ecosystem"])
class EngagementViewSet(
    WriteMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The center's engagements with companies through the six lifecycle stages."""

    model = Engagement
    write_rules = STAFF_WRITES
    filterset_class = EngagementFilter
    ordering_fields = ["started_on", "target_on", "stage", "stage_changed_at", "created_at"]
    ordering = ["company__legal_name", "started_on", "id"]
    get_serializer_class = serializer_for(
        {
            "create": EngagementCreateSerializer,
            "update": EngagementWriteSerializer,
            "partial_update": EngagementWriteSerializer,
            "advance": EngagementAdvanceSerializer,
        },
        EngagementSerializer,
    )

    def related_queryset(self):
        return Engagement.objects.select_related("company", "owner").prefetch_related(
            Prefetch(
                "moves", queryset=StageMove.objects.select_related("moved_by").order_by("moved_at")
            )
        )

    def create(self, request):
        engagement = services.engagement_create(actor=request.user, **self.validated_input())
        return self.write_response(engagement, status_code=status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        engagement = self.get_object()
        data = self.validated_input(instance=engagement, partial=partial)
        engagement = services.engagement_update(
            actor=request.user, engagement=engagement, data=data
        )
        return self.write_response(engagement)

    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    @extend_schema(
        request=EngagementAdvanceSerializer,
        responses=EngagementSerializer,
        examples=[
            OpenApiExample("Advance", value={"note": "Scenario signed off"}, request_only=True)
        ],
    )
    @action(detail=True, methods=["post"])
    def advance(self, request, pk=None):
        """Move the engagement to the next lifecycle stage (once, even if sent twice)."""
        engagement = self.get_object()
        note = self.validated_input()["note"]
        services.engagement_advance(engagement=engagement, actor=request.user, note=note)
        return self.write_response(engagement)


@extend_schema_view(
    create=extend_schema(
        request=SolutionWriteSerializer,
        responses={201: SolutionSerializer},
        examples=[
            OpenApiExample(
                "Register a solution",
                value={
                    "name": "Coil defect inspection",
                    "summary": "Vision inspection of cold-rolled steel",
                    "vertical": "smart_inspection",
                    "status": "incubating",
                    "launched_on": None,
                    "showcase_text": "",
                    "companies": [12],
                },
                request_only=True,
            )
        ],
    ),
    update=extend_schema(request=SolutionWriteSerializer, responses=SolutionSerializer),
    partial_update=extend_schema(request=SolutionWriteSerializer, responses=SolutionSerializer),
)
@extend_schema(tags=["ecosystem"])
class SolutionViewSet(
    WriteMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Solutions of your companies, plus every published showcase case."""

    model = Solution
    write_rules = STAFF_WRITES
    filterset_class = SolutionFilter
    ordering_fields = ["name", "status", "vertical", "launched_on", "created_at"]
    ordering = ["name"]
    get_serializer_class = serializer_for(
        {
            "create": SolutionWriteSerializer,
            "update": SolutionWriteSerializer,
            "partial_update": SolutionWriteSerializer,
            "publish": SolutionPublishSerializer,
        },
        SolutionSerializer,
    )

    def get_queryset(self):
        # The case collection: the caller's scope (scoped_queryset) plus published showcases,
        # the same rule as the solution pages.
        return selectors.solution_visible(user=self.request.user).prefetch_related("companies")

    def create(self, request):
        solution = services.solution_create(actor=request.user, **self.validated_input())
        return self.write_response(solution, status_code=status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        solution = self.get_object()
        data = self.validated_input(instance=solution, partial=partial)
        solution = services.solution_update(actor=request.user, solution=solution, data=data)
        return self.write_response(solution)

    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    @extend_schema(request=SolutionPublishSerializer, responses=SolutionSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """Publish a launched solution as a showcase case (or withdraw it)."""
        solution = self.get_object()
        published = self.validated_input()["published"]
        services.solution_publish(solution=solution, actor=request.user, published=published)
        return self.write_response(solution)
