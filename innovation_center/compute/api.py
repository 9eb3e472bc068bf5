"""Compute: the network's sites and devices, allocation requests and their review,
allocations with their balances, the ledger, and utilization figures."""

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from innovation_center.accounts.access import (
    can_operate_devices,
    can_review_compute,
    is_company_owner,
    is_owner_of_any_company,
)
from innovation_center.accounts.api_access import (
    IDEMPOTENCY_HEADER,
    CenterStaffPermission,
    ScopedViewSetMixin,
)
from innovation_center.compute import allocations, capacity, selectors, services
from innovation_center.compute.filters import (
    AcceleratorFilter,
    AllocationFilter,
    AllocationRequestFilter,
    LedgerEntryFilter,
)
from innovation_center.compute.models import (
    Accelerator,
    AcceleratorType,
    Allocation,
    AllocationRequest,
    LedgerEntry,
    Site,
)
from innovation_center.compute.serializers import (
    AcceleratorHealthSerializer,
    AcceleratorSerializer,
    AcceleratorTypeSerializer,
    AllocationAdjustSerializer,
    AllocationReasonSerializer,
    AllocationRequestApproveSerializer,
    AllocationRequestCreateSerializer,
    AllocationRequestRejectSerializer,
    AllocationRequestSerializer,
    AllocationSerializer,
    CapacityQuerySerializer,
    CapacitySerializer,
    LedgerEntrySerializer,
    MonthQuerySerializer,
    SiteSerializer,
    UtilizationSerializer,
)
from innovation_center.core import clock
from innovation_center.core.api import serializer_for


@extend_schema(tags=["compute"])
class SiteViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """The nodes of the compute network."""

    model = Site
    serializer_class = SiteSerializer
    filterset_fields = ["city", "is_home"]
    ordering_fields = ["name", "code", "commissioned_on"]
    ordering = ["-is_home", "name"]


@extend_schema(tags=["compute"])
class AcceleratorTypeViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Simulated device classes and their figures."""

    model = AcceleratorType
    serializer_class = AcceleratorTypeSerializer
    filterset_fields = ["vendor"]
    ordering_fields = ["name", "peak_tflops", "memory_gib"]
    ordering = ["name"]


@extend_schema(tags=["compute"])
class AcceleratorViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Devices; center operators mark them healthy, draining or failed."""

    model = Accelerator
    filterset_class = AcceleratorFilter
    ordering_fields = ["name", "health", "health_changed_at"]
    ordering = ["site", "name"]
    write_rules = {"health": lambda user, obj=None: can_operate_devices(user)}
    get_serializer_class = serializer_for(
        {"health": AcceleratorHealthSerializer}, AcceleratorSerializer
    )

    @extend_schema(
        request=AcceleratorHealthSerializer,
        responses=AcceleratorSerializer,
        examples=[
            OpenApiExample(
                "Drain for maintenance",
                value={"health": "draining", "note": "Fan replacement"},
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def health(self, request, pk=None):
        """Set the device's health; a failed device's queued job returns to the queue."""
        device = self.get_object()
        data = self.validated_input(AcceleratorHealthSerializer)
        services.accelerator_set_health(
            accelerator=device, health=data["health"], actor=request.user, note=data["note"]
        )
        return self.write_response(device)


def _owner_of_request(user, item) -> bool:
    return is_company_owner(user, item.company)


def _reviewer(user, obj=None) -> bool:
    return can_review_compute(user)


REQUEST_EXAMPLE = OpenApiExample(
    "Ask for hours",
    value={
        "accelerator_type": 1,
        "site": None,
        "hours": "500.00",
        "device_cap": 4,
        "starts_on": "2026-04-01",
        "ends_on": "2026-09-30",
        "purpose": "Evaluate our detector on three benchmark sets",
        "expected_outcome": "A model ready for the product launch",
    },
    request_only=True,
)


@extend_schema(tags=["compute"])
class AllocationRequestViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Requests for accelerator-hours: company owners ask and withdraw, reviewers decide."""

    model = AllocationRequest
    filterset_class = AllocationRequestFilter
    ordering_fields = ["created_at", "starts_on", "hours", "status"]
    ordering = ["-created_at", "-id"]
    write_rules = {
        "create": is_owner_of_any_company,
        "withdraw": _owner_of_request,
        "approve": _reviewer,
        "reject": _reviewer,
    }
    get_serializer_class = serializer_for(
        {
            "create": AllocationRequestCreateSerializer,
            "approve": AllocationRequestApproveSerializer,
            "reject": AllocationRequestRejectSerializer,
        },
        AllocationRequestSerializer,
    )

    def related_queryset(self):
        return AllocationRequest.objects.select_related("company")

    @extend_schema(
        request=AllocationRequestCreateSerializer,
        responses={201: AllocationRequestSerializer},
        examples=[REQUEST_EXAMPLE],
        parameters=[IDEMPOTENCY_HEADER],
    )
    def create(self, request):
        data = self.validated_input(AllocationRequestCreateSerializer)
        return self.created_once(
            lambda: services.allocation_request_create(actor=request.user, **data)
        )

    @extend_schema(request=None, responses=AllocationRequestSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """Withdraw a pending request (its company's owners)."""
        item = services.allocation_request_withdraw(request=self.get_object(), actor=request.user)
        return self.write_response(item)

    @extend_schema(
        request=AllocationRequestApproveSerializer,
        responses=AllocationSerializer,
        examples=[
            OpenApiExample(
                "Grant fewer hours",
                value={"hours": "300.00", "reason": "The rest after the first results"},
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Grant the request, as asked or with changed figures; returns the allocation."""
        item = self.get_object()
        data = self.validated_input(AllocationRequestApproveSerializer)
        allocation = services.allocation_request_approve(request=item, actor=request.user, **data)
        body = AllocationSerializer(allocation, context=self.get_serializer_context()).data
        return Response(body)

    @extend_schema(
        request=AllocationRequestRejectSerializer,
        responses=AllocationRequestSerializer,
        examples=[
            OpenApiExample(
                "Reject",
                value={"reason": "No capacity of this type in the period"},
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Refuse the request with the reason the company will read."""
        item = self.get_object()
        data = self.validated_input(AllocationRequestRejectSerializer)
        item = services.allocation_request_reject(
            request=item, actor=request.user, reason=data["reason"]
        )
        return self.write_response(item)


@extend_schema(tags=["compute"])
class AllocationViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Granted allocations with their balance, summed from the ledger."""

    model = Allocation
    serializer_class = AllocationSerializer
    filterset_class = AllocationFilter
    ordering_fields = ["starts_on", "ends_on", "hours_granted", "status"]
    ordering = ["-starts_on", "id"]

    write_rules = {
        action: _reviewer for action in ("adjust", "suspend", "resume", "revoke", "lend")
    }

    def related_queryset(self):
        return Allocation.objects.select_related("company")

    def _act(self, service, serializer_class):
        allocation = self.get_object()  # scope and role first: a refused caller sees no 400
        data = {
            k: v for k, v in self.validated_input(serializer_class).items() if v not in (None, "")
        }
        data.setdefault("reason", "")
        service(allocation=allocation, actor=self.request.user, **data)
        allocation = self.get_queryset().get(pk=self.kwargs["pk"])
        allocation.balance = selectors.allocation_balance(allocation=allocation)
        return Response(
            AllocationSerializer(allocation, context=self.get_serializer_context()).data
        )

    @extend_schema(request=AllocationAdjustSerializer, responses=AllocationSerializer)
    @action(detail=True, methods=["post"])
    def adjust(self, request, pk=None):
        """Correct the hours (up or down, as a ledger row), the end or the cap; with a reason."""
        return self._act(allocations.allocation_adjust, AllocationAdjustSerializer)

    @extend_schema(request=AllocationReasonSerializer, responses=AllocationSerializer)
    @action(detail=True, methods=["post"])
    def suspend(self, request, pk=None):
        """No new job starts until resumed; running jobs finish and are charged."""
        return self._act(allocations.allocation_suspend, AllocationReasonSerializer)

    @extend_schema(request=AllocationReasonSerializer, responses=AllocationSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        """Undo a suspension."""
        return self._act(allocations.allocation_resume, AllocationReasonSerializer)

    @extend_schema(request=AllocationReasonSerializer, responses=AllocationSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        """End the allocation now; what is left available is written off with a ledger row."""
        return self._act(allocations.allocation_revoke, AllocationReasonSerializer)

    @extend_schema(request=AllocationReasonSerializer, responses=AllocationSerializer)
    @action(detail=True, methods=["post"])
    def lend(self, request, pk=None):
        """Lend an idle allocation's unused hours to the pool (after the notice's grace)."""
        return self._act(allocations.allocation_lend, AllocationReasonSerializer)

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None:
            balances = selectors.allocation_balances(allocation_ids=[a.pk for a in page])
            empty = selectors.Balance(selectors.ZERO, selectors.ZERO, selectors.ZERO)
            for allocation in page:
                allocation.balance = balances.get(allocation.pk, empty)
        return page


@extend_schema(tags=["compute"])
class LedgerEntryViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Every movement of accelerator-hours (read-only: balances are their sums)."""

    model = LedgerEntry
    serializer_class = LedgerEntrySerializer
    filterset_class = LedgerEntryFilter
    ordering_fields = ["created_at"]
    ordering = ["created_at", "id"]

    def related_queryset(self):
        return LedgerEntry.objects.select_related("actor")


def _row(row) -> dict:
    return {
        "key": row.key,
        "label": row.label,
        "devices": row.devices,
        "busy_hours": row.busy_hours,
        "available_hours": row.available_hours,
        "out_of_service_hours": row.out_of_service_hours,
        "utilization": row.utilization,
    }


class UtilizationView(APIView):
    """Utilization of one month (center staff, as on the overview page)."""

    permission_classes = [CenterStaffPermission]

    @extend_schema(
        tags=["compute"],
        operation_id="utilization_retrieve",
        parameters=[
            OpenApiParameter(
                "month", str, description="YYYY-MM; the last full month when left out."
            )
        ],
        responses=UtilizationSerializer,
    )
    def get(self, request):
        query = MonthQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        month = query.validated_data.get("month")
        if month:
            year, number = (int(part) for part in month.split("-"))
        else:
            year, number = clock.past_months(1)[0]
        figures = selectors.utilization_for_month(year=year, month=number)
        body = {
            "month": f"{year}-{number:02d}",
            "total": _row(figures.total),
            "by_site": [_row(r) for r in figures.by_site],
            "by_type": [_row(r) for r in figures.by_type],
            "by_company": [_row(r) for r in figures.by_company],
            "queue_waits": selectors.queue_waits(year=year, month=number),
            "unmet_demand": selectors.unmet_demand(year=year, month=number),
        }
        return Response(UtilizationSerializer(body).data)


class CapacityView(APIView):
    """The capacity calendar: per pool and week (or day), hours in service, committed, free.

    Every signed-in user may read it (it names no company); the same figures the review
    queue, the request form and the capacity page use.
    """

    @extend_schema(
        tags=["compute"],
        operation_id="capacity_retrieve",
        parameters=[CapacityQuerySerializer],
        responses=CapacitySerializer,
    )
    def get(self, request):
        query = CapacityQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        calendar = capacity.capacity_calendar(start=data.get("start"), end=data.get("end"))
        if data.get("granularity") == "day":
            columns = [(day, slice(i, i + 1)) for i, day in enumerate(calendar.days)]
        else:
            columns = calendar.weeks()
        pools = []
        for key in calendar.pools:
            i = calendar.row[key]
            periods = []
            for start, cols in columns:
                in_service = float(calendar.in_service[i, cols].sum())
                committed = float(calendar.committed[i, cols].sum())
                limit = in_service * calendar.factors[key]
                periods.append(
                    {
                        "start": start,
                        "in_service_hours": round(in_service, 3),
                        "committed_hours": round(committed, 3),
                        "limit_hours": round(limit, 3),
                        "free_hours": round(limit - committed, 3),
                        "over_committed": committed > limit + 1e-6,
                    }
                )
            pools.append(
                {
                    "accelerator_type": key[0],
                    "site": key[1],
                    "label": calendar.labels[key],
                    "devices": calendar.devices[key],
                    "oversubscription": calendar.factors[key],
                    "periods": periods,
                }
            )
        body = {
            "start": calendar.start,
            "end": calendar.end,
            "granularity": data.get("granularity", "week"),
            "pools": pools,
        }
        return Response(CapacitySerializer(body).data)
