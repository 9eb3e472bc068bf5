from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from innovation_center.core.errors import ApplicationError
from innovation_center.evaluation.models import Dataset, EvaluationJob, JobResult, ModelArtifact
from innovation_center.evaluation.services import job_cancel


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
    actions = ["cancel"]

    # A job moves only through the services (its hours, devices and shards move with it);
    # the admin shows it and can cancel it.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Cancel (refunds what did not run)"), permissions=["view"])
    def cancel(self, request, queryset):
        for job in queryset:
            try:
                job_cancel(job=job, actor=request.user)
            except ApplicationError as error:
                self.message_user(request, f"#{job.pk}: {error.message}", level=messages.WARNING)
        self.message_user(request, gettext("Cancel requested for the selected jobs."))


@admin.register(JobResult)
class JobResultAdmin(admin.ModelAdmin):
    list_display = ["job", "accuracy", "mean_loss", "samples", "device_seconds", "hours_charged"]
    list_select_related = ["job"]
