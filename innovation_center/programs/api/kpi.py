"""Half-yearly KPI reports and the center's standing on the incubator criteria, under /api/v1/."""

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from innovation_center.accounts.access import is_center_staff, is_company_person
from innovation_center.accounts.api_access import RolePermission, ScopedViewSetMixin
from innovation_center.accounts.filters import ScopedFilterSet
from innovation_center.core.api import serializer_for
from innovation_center.programs import criteria, kpi
from innovation_center.programs.api.calls import staff
from innovation_center.programs.models import KpiReport
from innovation_center.programs.serializers.kpi import (
    KpiReportSaveSerializer,
    KpiReportSerializer,
    StandingSerializer,
)


def may_report(user, obj=None) -> bool:
    """Center staff, and the people of companies (for their own, programs.kpi checks)."""
    return is_center_staff(user) or is_company_person(user)


class KpiReportFilter(ScopedFilterSet):
    class Meta:
        model = KpiReport
        fields = ["company", "year", "half"]


KPI_EXAMPLE = OpenApiExample(
    "First half of 2026",
    value={
        "company": 12,
        "year": 2026,
        "half": 1,
        "revenue": "2500000.00",
        "employees": 18,
        "patents_filed": 2,
        "patents_granted": 1,
        "copyrights_filed": 3,
        "copyrights_granted": 3,
        "high_tech_enterprise": False,
        "products_launched": 1,
        "acquired_or_listed": False,
        "funding": [{"round": "a", "amount": "8000000.00", "investors": "Hubei Venture Fund"}],
    },
    request_only=True,
)


@extend_schema_view(
    create=extend_schema(
        request=KpiReportSaveSerializer,
        responses={200: KpiReportSerializer, 201: KpiReportSerializer},
        examples=[KPI_EXAMPLE],
    )
)
@extend_schema(tags=["programs"])
class KpiReportViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Half-yearly KPI reports of your companies (center staff: all). Filing a half that is
    already reported replaces it (200); a new half is a 201."""

    model = KpiReport
    filterset_class = KpiReportFilter
    ordering_fields = ["year", "half", "created_at"]
    ordering = ["company__legal_name", "-year", "-half", "id"]
    write_rules = {
        "create": lambda user, obj=None: is_center_staff(user) or is_company_person(user)
    }
    get_serializer_class = serializer_for({"create": KpiReportSaveSerializer}, KpiReportSerializer)

    def related_queryset(self):
        return KpiReport.objects.select_related("company", "submitted_by").prefetch_related(
            "funding"
        )

    def create(self, request):
        data = self.validated_input()
        data["funding"] = [dict(row) for row in data["funding"]]
        existed = KpiReport.objects.filter(
            company=data["company"], year=data["year"], half=data["half"]
        ).exists()
        report = kpi.kpi_report_save(actor=request.user, **data)
        code = status.HTTP_200_OK if existed else status.HTTP_201_CREATED
        return self.write_response(report, status_code=code)


@extend_schema(tags=["programs"])
class IncubatorCriteriaViewSet(viewsets.ViewSet):
    """The center's standing on each national incubator criterion (国科发区〔2018〕300号),
    computed from the recorded data, with the companies behind each figure (center staff)."""

    permission_classes = [RolePermission]
    read_actions = ()
    write_rules = {"list": staff}

    @extend_schema(responses=StandingSerializer(many=True))
    def list(self, request):
        return Response(StandingSerializer(criteria.criteria_standing(), many=True).data)
