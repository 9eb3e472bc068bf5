from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from innovation_center.accounts.access import scoped_queryset
from innovation_center.compute.models import Allocation
from innovation_center.ecosystem.models import Company
from innovation_center.evaluation.models import Dataset, EvaluationJob, JobResult, ModelArtifact
from innovation_center.evaluation.selectors import member_companies
from innovation_center.evaluation.services import MAX_BATCH_SIZE

HOURS_OUT = {"max_digits": 16, "decimal_places": 6, "read_only": True}


class ModelArtifactSerializer(serializers.ModelSerializer):
    uploaded_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = ModelArtifact
        fields = [
            "id",
            "company",
            "name",
            "format",
            "size_bytes",
            "sha256",
            "input_dim",
            "classes",
            "layer_summary",
            "parameter_count",
            "flops_per_sample",
            "uploaded_by",
            "created_at",
        ]
        read_only_fields = fields


class DatasetSerializer(serializers.ModelSerializer):
    class Meta:
        model = Dataset
        fields = [
            "id",
            "company",
            "name",
            "kind",
            "builtin_name",
            "n_samples",
            "n_features",
            "classes",
            "description",
            "created_at",
        ]
        read_only_fields = fields


class MemberCompanyMixin(serializers.Serializer):
    """`company`: one the caller is an owner or member of; their first one when left out."""

    company = serializers.PrimaryKeyRelatedField(
        queryset=Company.objects.none(),
        required=False,
        help_text=_("Your company; may be left out when you belong to one."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["company"].queryset = member_companies(user=request.user)

    def validate(self, attrs):
        if not attrs.get("company"):
            companies = list(self.fields["company"].queryset[:2])
            if len(companies) != 1:
                raise serializers.ValidationError(
                    {"company": [_("Choose which of your companies this is for.")]}
                )
            attrs["company"] = companies[0]
        return attrs


class UploadSerializer(MemberCompanyMixin):
    name = serializers.CharField(max_length=200)
    file = serializers.FileField(allow_empty_file=True)


class JobSerializer(serializers.ModelSerializer):
    submitted_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    has_result = serializers.SerializerMethodField()

    class Meta:
        model = EvaluationJob
        fields = [
            "id",
            "company",
            "allocation",
            "model",
            "dataset",
            "submitted_by",
            "devices_requested",
            "batch_size",
            "priority",
            "status",
            "estimate_hours",
            "shards_total",
            "shards_done",
            "cancel_requested",
            "error_code",
            "error_message",
            "scheduled_at",
            "started_at",
            "finished_at",
            "created_at",
            "has_result",
            "rerun_of",
        ]
        read_only_fields = fields

    def get_has_result(self, job: EvaluationJob) -> bool:
        return job.status == EvaluationJob.Status.SUCCEEDED


class JobSubmitSerializer(serializers.Serializer):
    model = serializers.PrimaryKeyRelatedField(queryset=ModelArtifact.objects.none())
    dataset = serializers.PrimaryKeyRelatedField(queryset=Dataset.objects.none())
    allocation = serializers.PrimaryKeyRelatedField(
        queryset=Allocation.objects.none(),
        help_text=_("An active allocation of your company; the job runs for its company."),
    )
    devices = serializers.IntegerField(min_value=1, max_value=10000)
    batch_size = serializers.IntegerField(
        min_value=1,
        max_value=MAX_BATCH_SIZE,
        default=256,
        error_messages={
            "max_value": _(
                "The batch size must be at most {max_value} rows; 256 suits most models."
            )
        },
    )
    priority = serializers.IntegerField(
        min_value=-10,
        max_value=10,
        default=0,
        help_text=_("Higher runs first within your company."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            user = request.user
            self.fields["model"].queryset = scoped_queryset(user, ModelArtifact)
            self.fields["dataset"].queryset = scoped_queryset(user, Dataset)
            self.fields["allocation"].queryset = scoped_queryset(user, Allocation).filter(
                company__in=member_companies(user=user)
            )


class EstimateSerializer(serializers.Serializer):
    device_class = serializers.CharField()
    devices = serializers.IntegerField()
    batch_size = serializers.IntegerField()
    samples = serializers.IntegerField()
    device_seconds = serializers.FloatField(help_text=_("Simulated device-seconds, all devices."))
    hours = serializers.DecimalField(
        **HOURS_OUT, help_text=_("What the job should cost, in accelerator-hours.")
    )
    reserve_hours = serializers.DecimalField(
        **HOURS_OUT, help_text=_("What is held from the balance until the job ends.")
    )
    available_hours = serializers.DecimalField(
        **HOURS_OUT, help_text=_("The allocation's balance before this job.")
    )
    expected_seconds = serializers.FloatField(help_text=_("Wall time on the simulated devices."))


class DeviceInUseSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="accelerator.id")
    name = serializers.CharField(source="accelerator.name")
    site = serializers.CharField(source="accelerator.site.name")
    accelerator_type = serializers.CharField(source="accelerator.accelerator_type.name")
    since = serializers.DateTimeField(source="started_at")


class JobProgressSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=EvaluationJob.Status.choices)
    finished = serializers.BooleanField()
    shards_done = serializers.IntegerField()
    shards_total = serializers.IntegerField()
    percent = serializers.FloatField(help_text=_("Shards done ÷ shards, 0–100."))
    devices_in_use = DeviceInUseSerializer(many=True)
    queue_position = serializers.IntegerField(
        allow_null=True, help_text=_("1 is next; null once the job left the queue.")
    )
    estimated_start = serializers.DateTimeField(
        allow_null=True, help_text=_("When a queued job should start; null when unknown.")
    )
    cancel_requested = serializers.BooleanField()
    error_code = serializers.CharField(allow_blank=True)
    error_message = serializers.CharField(allow_blank=True)
    has_result = serializers.BooleanField()


class JobResultSerializer(serializers.ModelSerializer):
    classes = serializers.JSONField(source="job.model.classes", read_only=True)
    confusion_matrix = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField()),
        read_only=True,
        help_text=_("counts[true][predicted], in the order of `classes`."),
    )
    per_device = serializers.ListField(
        child=serializers.DictField(), read_only=True, help_text=_("Figures per device.")
    )

    class Meta:
        model = JobResult
        fields = [
            "job",
            "accuracy",
            "mean_loss",
            "samples",
            "correct",
            "classes",
            "confusion_matrix",
            "samples_per_second",
            "device_seconds",
            "wall_seconds",
            "hours_charged",
            "per_device",
            "energy_joules",
            "provenance",
            "verified_at",
            "created_at",
        ]
        read_only_fields = fields
