from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from innovation_center.accounts.access import scoped_queryset
from innovation_center.compute.models import (
    Accelerator,
    AcceleratorType,
    Allocation,
    AllocationRequest,
    LedgerEntry,
    Site,
)
from innovation_center.compute.pages import owned_companies
from innovation_center.compute.selectors import allocation_balance
from innovation_center.compute.services import DEVICE_CAP_MAX
from innovation_center.core.numbers import PlainDecimalSerializerField, PlainIntegerSerializerField
from innovation_center.ecosystem.models import Company

# Shape only, as on the pages: hours above zero, the cap's range and the period's bounds are
# the services' rules, refused with the same message whichever way the figures came.
HOURS = {"max_digits": 12, "decimal_places": 2}
DEVICE_CAP_HELP = lazy(
    lambda: gettext("From 1 to %(most)s devices at once.") % {"most": DEVICE_CAP_MAX}, str
)()
HOURS_OUT = {"max_digits": 16, "decimal_places": 6, "read_only": True}


class SiteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Site
        fields = ["id", "code", "name", "city", "is_home", "commissioned_on"]
        read_only_fields = fields


class AcceleratorTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = AcceleratorType
        fields = [
            "id",
            "name",
            "vendor",
            "preset",
            "peak_tflops",
            "memory_gib",
            "memory_bandwidth_gbps",
            "interconnect_gbps",
            "launch_overhead_us",
            "board_power_w",
            "power_source",
        ]
        read_only_fields = fields


class AcceleratorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Accelerator
        fields = [
            "id",
            "name",
            "site",
            "accelerator_type",
            "health",
            "health_changed_at",
            "health_note",
        ]
        read_only_fields = fields


class AcceleratorHealthSerializer(serializers.Serializer):
    health = serializers.ChoiceField(choices=Accelerator.Health.choices)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class AllocationRequestSerializer(serializers.ModelSerializer):
    company_name = serializers.CharField(source="company.legal_name", read_only=True)

    class Meta:
        model = AllocationRequest
        fields = [
            "id",
            "company",
            "company_name",
            "kind",
            "allocation",
            "accelerator_type",
            "site",
            "hours",
            "device_cap",
            "starts_on",
            "ends_on",
            "purpose",
            "expected_outcome",
            "status",
            "reviewed_at",
            "decision_reason",
            "granted_hours",
            "created_at",
        ]
        read_only_fields = fields


class AllocationRequestCreateSerializer(serializers.Serializer):
    company = serializers.PrimaryKeyRelatedField(
        queryset=Company.objects.none(),
        required=False,
        help_text=_("A company you own; may be left out if you own one."),
    )
    kind = serializers.ChoiceField(
        choices=AllocationRequest.Kind.choices, default=AllocationRequest.Kind.NEW
    )
    allocation = serializers.PrimaryKeyRelatedField(
        queryset=Allocation.objects.none(),
        required=False,
        allow_null=True,
        help_text=_("The allocation a renewal or enlargement changes."),
    )
    accelerator_type = serializers.PrimaryKeyRelatedField(
        queryset=AcceleratorType.objects.all(), required=False, allow_null=True
    )
    site = serializers.PrimaryKeyRelatedField(
        queryset=Site.objects.all(), required=False, allow_null=True
    )
    hours = PlainDecimalSerializerField(**HOURS)
    device_cap = PlainIntegerSerializerField(help_text=DEVICE_CAP_HELP)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    purpose = serializers.CharField(max_length=4000)
    expected_outcome = serializers.CharField(max_length=4000, required=False, allow_blank=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["company"].queryset = owned_companies(request.user)
            self.fields["allocation"].queryset = scoped_queryset(request.user, Allocation)

    def validate(self, attrs):
        if not attrs.get("company"):
            owned = list(self.fields["company"].queryset[:2])
            if len(owned) != 1:
                raise serializers.ValidationError(
                    {"company": [_("Choose which of your companies asks.")]}
                )
            attrs["company"] = owned[0]
        return attrs


class AllocationRequestApproveSerializer(serializers.Serializer):
    hours = PlainDecimalSerializerField(
        **HOURS, required=False, help_text=_("Hours to grant; the asked hours when left out.")
    )
    device_cap = PlainIntegerSerializerField(required=False, help_text=DEVICE_CAP_HELP)
    starts_on = serializers.DateField(required=False)
    ends_on = serializers.DateField(required=False)
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    overcommit_reason = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text=_(
            "Needed only to grant more than the pool's limit (its free hours within the "
            "over-subscription factor); kept in the history."
        ),
    )


class AllocationRequestRejectSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=2000, allow_blank=True, help_text=_("Why; the company reads it.")
    )


class BalanceSerializer(serializers.Serializer):
    available = serializers.DecimalField(**HOURS_OUT)
    reserved = serializers.DecimalField(**HOURS_OUT)
    spent = serializers.DecimalField(**HOURS_OUT)


class AllocationSerializer(serializers.ModelSerializer):
    company_name = serializers.CharField(source="company.legal_name", read_only=True)
    balance = serializers.SerializerMethodField()

    class Meta:
        model = Allocation
        fields = [
            "id",
            "company",
            "company_name",
            "request",
            "accelerator_type",
            "site",
            "hours_granted",
            "device_cap",
            "starts_on",
            "ends_on",
            "status",
            "balance",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(BalanceSerializer)
    def get_balance(self, allocation: Allocation) -> dict:
        # Lists attach the balances of a page in one query; a single row sums its own.
        balance = getattr(allocation, "balance", None) or allocation_balance(allocation=allocation)
        return BalanceSerializer(balance).data


class LedgerEntrySerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = LedgerEntry
        fields = ["id", "allocation", "kind", "available", "reserved", "workload", "actor", "memo"]
        fields += ["created_at"]
        read_only_fields = fields


class UtilizationRowSerializer(serializers.Serializer):
    key = serializers.IntegerField(allow_null=True, help_text=_("Site, type or company id."))
    label = serializers.CharField()
    devices = serializers.IntegerField()
    busy_hours = serializers.FloatField()
    available_hours = serializers.FloatField()
    out_of_service_hours = serializers.FloatField()
    utilization = serializers.FloatField(
        allow_null=True, help_text=_("Busy ÷ available, 0–1; null without available time.")
    )


class QueueWaitsSerializer(serializers.Serializer):
    jobs = serializers.IntegerField()
    median_seconds = serializers.FloatField(allow_null=True)
    p95_seconds = serializers.FloatField(allow_null=True)
    waiting_now = serializers.IntegerField()


class UnmetDemandSerializer(serializers.Serializer):
    requested = serializers.DecimalField(max_digits=14, decimal_places=2)
    granted = serializers.DecimalField(max_digits=14, decimal_places=2)
    pending = serializers.DecimalField(max_digits=14, decimal_places=2)
    unmet = serializers.DecimalField(max_digits=14, decimal_places=2)


class UtilizationSerializer(serializers.Serializer):
    month = serializers.CharField(help_text=_("YYYY-MM"))
    total = UtilizationRowSerializer()
    by_site = UtilizationRowSerializer(many=True)
    by_type = UtilizationRowSerializer(many=True)
    by_company = UtilizationRowSerializer(many=True)
    queue_waits = QueueWaitsSerializer()
    unmet_demand = UnmetDemandSerializer()


class MonthQuerySerializer(serializers.Serializer):
    month = serializers.RegexField(
        r"^(20\d\d|2100)-(0[1-9]|1[0-2])$",
        required=False,
        help_text=_("YYYY-MM; the last full month when left out."),
        error_messages={"invalid": _("Give the month as YYYY-MM.")},
    )


class CapacityQuerySerializer(serializers.Serializer):
    start = serializers.DateField(required=False, help_text=_("First day; today when left out."))
    end = serializers.DateField(
        required=False, help_text=_("Day after the last; six months after the start by default.")
    )
    granularity = serializers.ChoiceField(
        choices=[("week", _("week")), ("day", _("day"))], default="week", required=False
    )

    def validate(self, data):
        start, end = data.get("start"), data.get("end")
        if start and end and end <= start:
            raise serializers.ValidationError({"end": _("Choose an end after the start.")})
        if start and end and (end - start).days > 731:
            raise serializers.ValidationError(
                {"end": _("Ask for at most two years at once (731 days).")}
            )
        return data


class CapacityPeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    in_service_hours = serializers.FloatField()
    committed_hours = serializers.FloatField()
    limit_hours = serializers.FloatField(
        help_text=_("In service × the pool's over-subscription factor.")
    )
    free_hours = serializers.FloatField(help_text=_("Limit − committed; negative: over-booked."))
    over_committed = serializers.BooleanField()


class CapacityPoolSerializer(serializers.Serializer):
    accelerator_type = serializers.IntegerField(allow_null=True)
    site = serializers.IntegerField(allow_null=True)
    label = serializers.CharField()
    devices = serializers.IntegerField()
    oversubscription = serializers.FloatField()
    periods = CapacityPeriodSerializer(many=True)


class CapacitySerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    granularity = serializers.CharField()
    pools = CapacityPoolSerializer(many=True)


class AllocationReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=2000,
        allow_blank=True,
        help_text=_("Why; it goes into the history and the e-mail to the company."),
    )


class AllocationAdjustSerializer(AllocationReasonSerializer):
    hours_delta = PlainDecimalSerializerField(
        max_digits=12,
        decimal_places=2,
        required=False,
        help_text=_("Hours to add (positive) or take away (negative, at most what is available)."),
    )
    ends_on = serializers.DateField(required=False)
    device_cap = PlainIntegerSerializerField(min_value=1, max_value=DEVICE_CAP_MAX, required=False)
