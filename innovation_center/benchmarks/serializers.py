"""What the API shows of suites: their rules and the held-out set's shape, never its rows."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from innovation_center.benchmarks.models import Submission, Suite, Verification
from innovation_center.evaluation.models import EvaluationJob, ModelArtifact


class SuiteSerializer(serializers.ModelSerializer):
    device_class = serializers.CharField(source="accelerator_type.name", read_only=True)
    samples = serializers.IntegerField(source="dataset.n_samples", read_only=True)
    features = serializers.IntegerField(source="dataset.n_features", read_only=True)
    classes = serializers.JSONField(source="dataset.classes", read_only=True)
    training_dataset = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = Suite
        fields = [
            "id",
            "slug",
            "name",
            "description",
            "metric",
            "device_class",
            "samples",
            "features",
            "classes",
            "training_dataset",
            "devices",
            "batch_size",
            "weekly_limit",
            "is_open",
        ]
        read_only_fields = fields


class SubmissionSerializer(serializers.ModelSerializer):
    suite = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    status = serializers.CharField(source="job.status", read_only=True)
    error_message = serializers.CharField(source="job.error_message", read_only=True)

    class Meta:
        model = Submission
        fields = ["id", "suite", "company", "model", "job", "status", "error_message", "created_at"]
        read_only_fields = fields


class SubmissionCreateSerializer(serializers.Serializer):
    suite = serializers.SlugRelatedField(slug_field="slug", queryset=Suite.objects.all())
    model = serializers.PrimaryKeyRelatedField(
        queryset=ModelArtifact.objects.none(), help_text=_("One of your company's models.")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from innovation_center.accounts.access import scoped_queryset

        request = self.context.get("request")
        if request is not None:
            self.fields["model"].queryset = scoped_queryset(request.user, ModelArtifact)


class LeaderboardEntrySerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    company = serializers.CharField(source="company_name")
    model = serializers.CharField(source="model_name")
    job = serializers.IntegerField(source="job_id")
    score = serializers.FloatField()
    accuracy = serializers.FloatField()
    mean_loss = serializers.FloatField()
    device_seconds = serializers.FloatField()
    energy_kwh = serializers.FloatField(source="energy.kwh")
    co2_kg = serializers.FloatField(source="energy.co2_kg")
    device_class = serializers.CharField()
    finished_at = serializers.DateTimeField()
    verified = serializers.BooleanField()


class VerificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Verification
        fields = [
            "id",
            "original",
            "job",
            "outcome",
            "accuracy_difference",
            "loss_relative_difference",
            "note",
            "created_at",
            "decided_at",
        ]
        read_only_fields = fields


class VerificationCreateSerializer(serializers.Serializer):
    job = serializers.PrimaryKeyRelatedField(
        queryset=EvaluationJob.objects.all(), help_text=_("The succeeded job to re-run.")
    )
