import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from innovation_center.compute.models import Workload
from innovation_center.core.models import TimeStampedModel
from innovation_center.core.scoping import Scope


def upload_path(instance: models.Model, filename: str) -> str:
    # Random names: a file URL reveals nothing and cannot be guessed across companies.
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"uploads/{instance._meta.model_name}/{uuid.uuid4().hex}.{suffix}"


class ModelArtifact(TimeStampedModel):
    """An uploaded classifier (.npz layers or ONNX MLP), validated on upload, never unpickled."""

    class Format(models.TextChoices):
        NPZ = "npz", _("NumPy layers (.npz)")
        ONNX = "onnx", _("ONNX")

    company = models.ForeignKey(
        "ecosystem.Company",
        on_delete=models.CASCADE,
        related_name="models",
        verbose_name=_("company"),
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    name = models.CharField(_("name"), max_length=200)
    file = models.FileField(_("file"), upload_to=upload_path)
    format = models.CharField(_("format"), max_length=10, choices=Format.choices)
    size_bytes = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    input_dim = models.PositiveIntegerField(_("input size"))
    classes = models.JSONField(_("class labels"), default=list)
    layer_summary = models.CharField(_("layers"), max_length=500)
    parameter_count = models.PositiveBigIntegerField(_("parameters"))
    flops_per_sample = models.PositiveBigIntegerField(_("FLOPs per sample"))

    scope = Scope(company="company__organisation")

    class Meta:
        verbose_name = _("model")
        verbose_name_plural = _("models")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="model_unique_name"),
            models.CheckConstraint(condition=Q(input_dim__gte=1), name="model_has_inputs"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def n_classes(self) -> int:
        return len(self.classes)


class Dataset(TimeStampedModel):
    """A data set to evaluate on: a built-in benchmark set or a company's upload."""

    class Kind(models.TextChoices):
        BUILTIN = "builtin", _("Built-in")
        UPLOADED = "uploaded", _("Uploaded")
        # A benchmark suite's test set: only its shape and classes are public, its rows never
        # leave the server, and it runs only on the center's own allocations.
        HELD_OUT = "heldout", _("Held out")

    company = models.ForeignKey(
        "ecosystem.Company",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="datasets",
        verbose_name=_("company"),
        help_text=_("Empty for built-in data sets, which every company may use."),
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    builtin_name = models.CharField(_("built-in set"), max_length=40, blank=True)
    file = models.FileField(_("file"), upload_to=upload_path, blank=True)
    n_samples = models.PositiveIntegerField(_("samples"))
    n_features = models.PositiveIntegerField(_("features"))
    classes = models.JSONField(_("labels"), default=list)
    description = models.TextField(_("description"), blank=True)
    # SHA-256 of the stored file (uploads); built-in sets are hashed from their arrays.
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)

    # Held-out sets are the center's: no company reads them, even by id.
    scope = Scope(
        company="company__organisation", shared=Q(company__isnull=True) & ~Q(kind="heldout")
    )

    class Meta:
        verbose_name = _("data set")
        verbose_name_plural = _("data sets")
        ordering = ["kind", "name"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind__in=["builtin", "heldout"])
                    & Q(company__isnull=True)
                    & (~Q(builtin_name="") | ~Q(file=""))
                )
                | (Q(kind="uploaded") & Q(company__isnull=False)),
                name="dataset_builtin_or_owned",
            ),
            models.UniqueConstraint(
                fields=["builtin_name"],
                condition=Q(kind__in=["builtin", "heldout"]) & ~Q(builtin_name=""),
                name="dataset_builtin_unique",
            ),
            models.UniqueConstraint(
                fields=["company", "name"],
                condition=Q(company__isnull=False),
                name="dataset_unique_name_per_company",
            ),
            models.CheckConstraint(
                condition=Q(n_samples__gte=1) & Q(n_features__gte=1), name="dataset_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_held_out(self) -> bool:
        return self.kind == self.Kind.HELD_OUT


class EvaluationJob(TimeStampedModel):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SCHEDULED = "scheduled", _("Scheduled")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)

    company = models.ForeignKey(
        "ecosystem.Company",
        on_delete=models.CASCADE,
        related_name="jobs",
        verbose_name=_("company"),
    )
    allocation = models.ForeignKey(
        "compute.Allocation",
        on_delete=models.PROTECT,
        related_name="jobs",
        verbose_name=_("allocation"),
    )
    # What the scheduler places: devices, priority, estimate and the scheduling state. The
    # job's own status goes further (succeeded, failed, cancelled) and moves in step with it.
    workload = models.OneToOneField(
        "compute.Workload",
        on_delete=models.PROTECT,
        related_name="evaluation_job",
        verbose_name=_("workload"),
    )
    model = models.ForeignKey(
        ModelArtifact, on_delete=models.PROTECT, related_name="jobs", verbose_name=_("model")
    )
    dataset = models.ForeignKey(
        Dataset, on_delete=models.PROTECT, related_name="jobs", verbose_name=_("data set")
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    devices_requested = models.PositiveIntegerField(_("devices"))
    batch_size = models.PositiveIntegerField(_("batch size"))
    priority = models.SmallIntegerField(
        _("priority"), default=0, help_text=_("Higher runs first within your company.")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    estimate_hours = models.DecimalField(
        _("estimated accelerator-hours"), max_digits=16, decimal_places=6
    )
    shards_total = models.PositiveIntegerField(_("shards"), default=0)
    shards_done = models.PositiveIntegerField(_("shards done"), default=0)
    cancel_requested = models.BooleanField(_("cancel requested"), default=False)
    error_code = models.CharField(_("error code"), max_length=60, blank=True)
    error_message = models.TextField(_("error"), blank=True)
    scheduled_at = models.DateTimeField(_("scheduled at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Last sign of life from a worker; the sweeper re-dispatches jobs whose worker went quiet.
    heartbeat_at = models.DateTimeField(_("last progress at"), null=True, blank=True)
    # "Run again" and the center's verification re-run a stored job with the same inputs.
    rerun_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reruns",
        verbose_name=_("re-run of"),
    )

    scope = Scope(company="company__organisation")

    class Meta:
        verbose_name = _("evaluation job")
        verbose_name_plural = _("evaluation jobs")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(devices_requested__gte=1), name="job_devices_positive"
            ),
            models.CheckConstraint(condition=Q(batch_size__gte=1), name="job_batch_positive"),
            models.CheckConstraint(
                condition=Q(shards_done__lte=F("shards_total")), name="job_progress_bounded"
            ),
            models.CheckConstraint(
                condition=Q(estimate_hours__gte=0), name="job_estimate_non_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-priority", "created_at"]),
            # The default orderings of the job lists: everyone's, and one company's.
            models.Index(fields=["-created_at", "-id"], name="job_newest"),
            models.Index(fields=["company", "-created_at"], name="job_company_newest"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.model} on {self.dataset}"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @staticmethod
    def workload_status(status: str) -> str:
        """The scheduling state of a job in `status` (its workload's)."""
        return Workload.Status.FINISHED if status in EvaluationJob.FINISHED else status

    @property
    def workload_label(self) -> str:
        """How the compute side shows this job (device and allocation pages, ledger memos)."""
        return f"#{self.pk} {self.model.name} · {self.dataset.name}"

    # The job's hours and devices are its workload's.
    @property
    def ledger_entries(self):
        return self.workload.ledger_entries

    @property
    def leases(self):
        return self.workload.leases


class JobShard(models.Model):
    """One data-parallel slice of a job, run by one task on one device; the unit of progress."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    job = models.ForeignKey(
        EvaluationJob, on_delete=models.CASCADE, related_name="shards", verbose_name=_("job")
    )
    index = models.PositiveIntegerField(_("shard"))
    row_start = models.PositiveIntegerField(_("first row"))
    row_stop = models.PositiveIntegerField(_("end row"))
    accelerator = models.ForeignKey(
        "compute.Accelerator",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accelerator"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    worker = models.CharField(_("worker"), max_length=200, blank=True)
    failed_devices = models.JSONField(_("failed devices"), default=list, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    # Beaten by the worker while the shard runs: a beat older than SHARD_STALE_SECONDS means
    # its worker is gone, and another takes the shard over.
    heartbeat_at = models.DateTimeField(_("last beat at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    result = models.JSONField(_("result"), null=True, blank=True)
    error_code = models.CharField(_("error code"), max_length=60, blank=True)
    error_message = models.TextField(_("error"), blank=True)

    scope = Scope(company="job__company__organisation")

    class Meta:
        verbose_name = _("job shard")
        verbose_name_plural = _("job shards")
        ordering = ["job", "index"]
        constraints = [
            models.UniqueConstraint(fields=["job", "index"], name="shard_unique_index"),
            models.CheckConstraint(
                condition=Q(row_stop__gt=F("row_start")), name="shard_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.job} · {self.index}"


class JobResult(models.Model):
    job = models.OneToOneField(
        EvaluationJob, on_delete=models.CASCADE, related_name="result", verbose_name=_("job")
    )
    accuracy = models.FloatField(_("accuracy"))
    mean_loss = models.FloatField(_("mean loss"))
    samples = models.PositiveIntegerField(_("samples"))
    correct = models.PositiveIntegerField(_("correct"))
    confusion_matrix = models.JSONField(_("confusion matrix"))
    samples_per_second = models.FloatField(_("samples/s"))
    device_seconds = models.DecimalField(
        _("simulated device-seconds"), max_digits=16, decimal_places=6
    )
    wall_seconds = models.FloatField(_("wall seconds"))
    hours_charged = models.DecimalField(_("hours charged"), max_digits=16, decimal_places=6)
    per_device = models.JSONField(_("per-device breakdown"), default=list)
    # Simulated board energy of every device's shard (joules; kWh and CO2 are derived).
    energy_joules = models.FloatField(_("energy (J)"), default=0)
    # What it takes to run it again and get the same figures (evaluation.provenance).
    provenance = models.JSONField(_("reproducibility record"), default=dict, blank=True)
    # Set when a re-run on a center allocation gave the same figures.
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    scope = Scope(company="job__company__organisation")

    class Meta:
        verbose_name = _("job result")
        verbose_name_plural = _("job results")
        # /api/v1/results/ lists newest first.
        indexes = [models.Index(fields=["-created_at", "-id"], name="result_newest")]
        constraints = [
            models.CheckConstraint(
                condition=Q(accuracy__gte=0) & Q(accuracy__lte=1), name="result_accuracy_range"
            ),
            models.CheckConstraint(
                condition=Q(correct__lte=F("samples")), name="result_correct_bounded"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.job}: {self.accuracy:.4f}"
