"""Benchmark suites, the submissions to them, and the center's verification re-runs.

A suite runs companies' models on a held-out data set, on the center's own allocation (the
companies' hours are not charged). A verification re-runs a stored job on a center
allocation and marks its result verified when the figures agree (evaluation.provenance).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from innovation_center.core.models import TimeStampedModel
from innovation_center.core.scoping import Scope


class Suite(TimeStampedModel):
    class Metric(models.TextChoices):
        ACCURACY = "accuracy", _("Accuracy (higher is better)")
        LOSS = "mean_loss", _("Mean loss (lower is better)")

    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    description = models.TextField(_("description"))
    dataset = models.ForeignKey(
        "evaluation.Dataset",
        on_delete=models.PROTECT,
        related_name="suites",
        verbose_name=_("held-out data set"),
        limit_choices_to={"kind": "heldout"},
    )
    training_dataset = models.ForeignKey(
        "evaluation.Dataset",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("public training set"),
        help_text=_("A set companies may train on; never the held-out one."),
    )
    metric = models.CharField(
        _("ranking metric"), max_length=20, choices=Metric.choices, default=Metric.ACCURACY
    )
    accelerator_type = models.ForeignKey(
        "compute.AcceleratorType",
        on_delete=models.PROTECT,
        related_name="suites",
        verbose_name=_("device class"),
    )
    allocation = models.ForeignKey(
        "compute.Allocation",
        on_delete=models.PROTECT,
        related_name="suites",
        verbose_name=_("center allocation"),
        help_text=_("The center's allocation the suite's runs are charged to."),
    )
    devices = models.PositiveSmallIntegerField(_("devices per run"), default=1)
    batch_size = models.PositiveIntegerField(_("batch size"), default=256)
    weekly_limit = models.PositiveSmallIntegerField(
        _("submissions per company per 7 days"), default=3
    )
    is_open = models.BooleanField(_("open for submissions"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    # Every signed-in user reads suites: they hold the rules, never the held-out rows.
    scope = Scope(catalogue=True)

    class Meta:
        verbose_name = _("benchmark suite")
        verbose_name_plural = _("benchmark suites")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(devices__gte=1), name="suite_devices_positive"),
            models.CheckConstraint(condition=Q(batch_size__gte=1), name="suite_batch_positive"),
            models.CheckConstraint(condition=Q(weekly_limit__gte=1), name="suite_limit_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def higher_is_better(self) -> bool:
        return self.metric == self.Metric.ACCURACY

    def score_of(self, result) -> float:
        """A result's figure in this suite's metric."""
        return result.accuracy if self.higher_is_better else result.mean_loss


class Submission(models.Model):
    """A company's model entered in a suite: one evaluation job on the suite's allocation."""

    suite = models.ForeignKey(
        Suite, on_delete=models.PROTECT, related_name="submissions", verbose_name=_("suite")
    )
    company = models.ForeignKey(
        "ecosystem.Company",
        on_delete=models.CASCADE,
        related_name="suite_submissions",
        verbose_name=_("company"),
    )
    model = models.ForeignKey(
        "evaluation.ModelArtifact",
        on_delete=models.PROTECT,
        related_name="suite_submissions",
        verbose_name=_("model"),
    )
    job = models.OneToOneField(
        "evaluation.EvaluationJob",
        on_delete=models.PROTECT,
        related_name="suite_submission",
        verbose_name=_("job"),
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    created_at = models.DateTimeField(_("submitted at"), db_index=True)

    scope = Scope(company="company__organisation")

    class Meta:
        verbose_name = _("suite submission")
        verbose_name_plural = _("suite submissions")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["suite", "company", "created_at"])]

    def __str__(self) -> str:
        return f"{self.suite} · {self.model}"


class Verification(models.Model):
    """The center re-ran a stored job on its own allocation to check the figures."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Running")
        AGREED = "agreed", _("Verified: the figures agree")
        DISAGREED = "disagreed", _("Not verified: the figures differ")
        FAILED = "failed", _("Not verified: the re-run did not finish")

    original = models.ForeignKey(
        "evaluation.EvaluationJob",
        on_delete=models.CASCADE,
        related_name="verifications",
        verbose_name=_("job checked"),
    )
    job = models.OneToOneField(
        "evaluation.EvaluationJob",
        on_delete=models.PROTECT,
        related_name="verification_of",
        verbose_name=_("re-run"),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=Outcome.choices, default=Outcome.PENDING
    )
    accuracy_difference = models.FloatField(_("accuracy difference"), null=True, blank=True)
    loss_relative_difference = models.FloatField(
        _("loss relative difference"), null=True, blank=True
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("requested at"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    scope = Scope(company="original__company__organisation")

    class Meta:
        verbose_name = _("verification")
        verbose_name_plural = _("verifications")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["original"],
                condition=Q(outcome="pending"),
                name="verification_one_pending_per_job",
            )
        ]

    def __str__(self) -> str:
        return f"{self.original} · {self.get_outcome_display()}"
