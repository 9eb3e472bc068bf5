from django.contrib import admin

from innovation_center.evaluation.models import Dataset, EvaluationJob, JobResult, ModelArtifact


@admin.register(ModelArtifact)
class ModelArtifactAdmin(admin.ModelAdmin):
    list_display = ["name", "company", "format", "input_dim", "layer_summary", "created_at"]
    list_filter = ["format"]
    search_fields = ["name", "company__legal_name", "sha256"]
    list_select_related = ["company"]
    readonly_fields = ["sha256", "size_bytes"]


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "company", "n_samples", "n_features"]
    list_filter = ["kind"]
    search_fields = ["name"]
    list_select_related = ["company"]


@admin.register(EvaluationJob)
class EvaluationJobAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "company",
        "model",
        "dataset",
        "status",
        "devices_requested",
        "shards_done",
        "shards_total",
        "created_at",
    ]
    list_filter = ["status"]
    search_fields = ["company__legal_name", "model__name"]
    list_select_related = ["company", "model", "dataset"]
    raw_id_fields = ["allocation", "model", "dataset"]


@admin.register(JobResult)
class JobResultAdmin(admin.ModelAdmin):
    list_display = ["job", "accuracy", "mean_loss", "samples", "device_seconds", "hours_charged"]
    list_select_related = ["job"]
