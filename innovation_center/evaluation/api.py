"""Models, data sets, evaluation jobs (submit, estimate, cancel, progress) and results.

Company owners and members upload and submit for their companies, with the same services as
the portal; staff read everything; another company's rows are not there (404).
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from innovation_center.accounts.access import is_member_of
from innovation_center.accounts.api_access import IDEMPOTENCY_HEADER, ScopedViewSetMixin
from innovation_center.core.api import serializer_for
from innovation_center.evaluation import selectors, services
from innovation_center.evaluation.filters import (
    DatasetFilter,
    EvaluationJobFilter,
    JobResultFilter,
    ModelArtifactFilter,
)
from innovation_center.evaluation.models import Dataset, EvaluationJob, JobResult, ModelArtifact
from innovation_center.evaluation.serializers import (
    DatasetSerializer,
    EstimateSerializer,
    JobProgressSerializer,
    JobResultSerializer,
    JobSerializer,
    JobSubmitSerializer,
    ModelArtifactSerializer,
    UploadSerializer,
)

TRUE_VALUES = {"1", "true", "yes", "on"}


def company_member(user, obj=None) -> bool:
    return selectors.member_companies(user=user).exists()


def member_of_row(user, row) -> bool:
    return is_member_of(user, row.company)


class UploadViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    write_rules = {"create": company_member}

    def get_parsers(self):
        # Uploads are multipart; DRF decides the action after choosing parsers, so by method.
        if getattr(self, "request", None) is not None and self.request.method == "POST":
            return [MultiPartParser(), FormParser()]
        return super().get_parsers()


UPLOAD_EXAMPLE = OpenApiExample(
    "Upload", value={"name": "digits-mlp", "file": "(binary)"}, request_only=True
)


@extend_schema(tags=["evaluation"])
class ModelArtifactViewSet(UploadViewSet):
    """Uploaded models (.npz layers or ONNX MLP), validated by the kernel, never unpickled."""

    model = ModelArtifact
    filterset_class = ModelArtifactFilter
    ordering_fields = ["created_at", "name", "parameter_count"]
    ordering = ["-created_at", "-id"]
    get_serializer_class = serializer_for({"create": UploadSerializer}, ModelArtifactSerializer)

    def related_queryset(self):
        return ModelArtifact.objects.select_related("uploaded_by")

    @extend_schema(
        request={"multipart/form-data": UploadSerializer},
        responses={201: ModelArtifactSerializer},
        examples=[UPLOAD_EXAMPLE],
    )
    def create(self, request):
        """Upload a model file (multipart: `name`, `file`, optional `company`)."""
        data = self.validated_input(UploadSerializer)
        artifact = services.model_upload(
            company=data["company"], actor=request.user, name=data["name"], upload=data["file"]
        )
        return self.write_response(artifact, status_code=status.HTTP_201_CREATED)


@extend_schema(tags=["evaluation"])
class DatasetViewSet(UploadViewSet):
    """Built-in benchmark sets (everyone) and your company's uploaded .npz/CSV sets."""

    model = Dataset
    filterset_class = DatasetFilter
    ordering_fields = ["name", "kind", "n_samples", "created_at"]
    ordering = ["kind", "name", "id"]
    get_serializer_class = serializer_for({"create": UploadSerializer}, DatasetSerializer)

    @extend_schema(
        request={"multipart/form-data": UploadSerializer},
        responses={201: DatasetSerializer},
        examples=[UPLOAD_EXAMPLE],
    )
    def create(self, request):
        """Upload a data set (.npz with X and y, or CSV with the label last)."""
        data = self.validated_input(UploadSerializer)
        dataset = services.dataset_upload(
            company=data["company"], actor=request.user, name=data["name"], upload=data["file"]
        )
        return self.write_response(dataset, status_code=status.HTTP_201_CREATED)


SUBMIT_EXAMPLE = OpenApiExample(
    "Submit",
    value={"model": 5, "dataset": 1, "allocation": 3, "devices": 2, "batch_size": 256},
    request_only=True,
)


def _job_fields(data: dict) -> dict:
    """The service's arguments; the job runs for the company of the chosen allocation."""
    allocation = data["allocation"]
    return {
        "company": allocation.company,
        "model": data["model"],
        "dataset": data["dataset"],
        "allocation": allocation,
        "devices": data["devices"],
        "batch_size": data["batch_size"],
    }


@extend_schema(tags=["evaluation"])
class JobViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Evaluation jobs: submit (or only estimate), follow progress, cancel."""

    model = EvaluationJob
    filterset_class = EvaluationJobFilter
    ordering_fields = ["created_at", "finished_at", "priority", "status"]
    ordering = ["-created_at", "-id"]
    read_actions = ("list", "retrieve", "progress")
    write_rules = {
        "create": company_member,
        "estimate": company_member,
        "cancel": member_of_row,
        "rerun": member_of_row,
    }
    get_serializer_class = serializer_for(
        {
            "create": JobSubmitSerializer,
            "estimate": JobSubmitSerializer,
            "progress": JobProgressSerializer,
        },
        JobSerializer,
    )

    def related_queryset(self):
        return EvaluationJob.objects.select_related("submitted_by")

    @extend_schema(
        request=JobSubmitSerializer,
        parameters=[
            OpenApiParameter(
                "dry_run",
                OpenApiTypes.BOOL,
                description="Only check and estimate (200 with the estimate); submit nothing.",
            ),
            IDEMPOTENCY_HEADER,
        ],
        responses={201: JobSerializer, 200: EstimateSerializer},
        examples=[SUBMIT_EXAMPLE],
    )
    def create(self, request):
        """Submit a job: validated at once, its estimated hours reserved, then queued."""
        data = self.validated_input(JobSubmitSerializer)
        if str(request.query_params.get("dry_run", "")).lower() in TRUE_VALUES:
            return self._estimate_response(data)
        fields = _job_fields(data)
        return self.created_once(
            lambda: services.job_submit(actor=request.user, priority=data["priority"], **fields)
        )

    def _estimate_response(self, data):
        estimate = services.job_estimate(**_job_fields(data))
        return Response(EstimateSerializer(estimate).data)

    @extend_schema(
        request=JobSubmitSerializer, responses=EstimateSerializer, examples=[SUBMIT_EXAMPLE]
    )
    @action(detail=False, methods=["post"])
    def estimate(self, request):
        """What the job would cost and whether it can run, without submitting it."""
        return self._estimate_response(self.validated_input(JobSubmitSerializer))

    @extend_schema(request=None, responses=JobSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel: a queued job ends now, fully refunded; a running one at the next shard."""
        job = services.job_cancel(job=self.get_object(), actor=request.user)
        return self.write_response(job)

    @extend_schema(request=None, responses={201: JobSerializer})
    @action(detail=True, methods=["post"])
    def rerun(self, request, pk=None):
        """Run a succeeded job again on its allocation, same inputs; the new job's result
        records whether the figures came out the same (`rerun_of`)."""
        job = services.job_rerun(job=self.get_object(), actor=request.user)
        return self.write_response(job, status_code=status.HTTP_201_CREATED)

    @extend_schema(responses=JobProgressSerializer)
    @action(detail=True, methods=["get"])
    def progress(self, request, pk=None):
        """Status, shards done, devices in use, and queue position and start while queued."""
        job = self.get_object()
        queue = selectors.job_queue_info(job=job)
        leases = [] if job.is_finished else selectors.job_devices_in_use(job=job)
        body = {
            "id": job.pk,
            "status": job.status,
            "finished": job.is_finished,
            "shards_done": job.shards_done,
            "shards_total": job.shards_total,
            "percent": 100.0 * job.shards_done / job.shards_total if job.shards_total else 0.0,
            "devices_in_use": leases,
            "queue_position": queue.position if queue else None,
            "estimated_start": queue.starts_at if queue else None,
            "cancel_requested": job.cancel_requested,
            "error_code": job.error_code,
            "error_message": job.error_message,
            "has_result": job.status == EvaluationJob.Status.SUCCEEDED,
        }
        return Response(JobProgressSerializer(body).data)


@extend_schema(tags=["evaluation"])
class JobResultViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Results of succeeded jobs, addressed by the job's id."""

    model = JobResult
    serializer_class = JobResultSerializer
    filterset_class = JobResultFilter
    ordering_fields = ["created_at", "accuracy", "samples_per_second"]
    ordering = ["-created_at", "-id"]
    lookup_field = "job"
    lookup_url_kwarg = "job"

    def related_queryset(self):
        return JobResult.objects.select_related("job__model")
