"""Calls and their judging: questions and rubric, applications, attachments, reviews."""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from innovation_center.core.models import TimeStampedModel
from innovation_center.core.scoping import Scope


def attachment_path(instance: models.Model, filename: str) -> str:
    # Random names under a private directory: a file is only ever served through a scoped view.
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"private/applications/{uuid.uuid4().hex}.{suffix}"


class BilingualText(models.Model):
    """Texts staff type as data in both languages; `in_language` picks the active one."""

    class Meta:
        abstract = True

    def in_language(self, field: str) -> str:
        english = getattr(self, field)
        chinese = getattr(self, f"{field}_zh", "")
        language = (get_language() or "en").lower()
        return (chinese or english) if language.startswith("zh") else (english or chinese)


class Call(TimeStampedModel, BilingualText):
    """An open call: for an incubation cohort, or for compute grants from a pool of hours."""

    class Kind(models.TextChoices):
        INCUBATION = "incubation", _("Incubation cohort")
        COMPUTE_GRANT = "compute_grant", _("Compute grant")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    slug = models.SlugField(_("short name"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=200)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200, blank=True)
    text = models.TextField(_("call text"))
    text_zh = models.TextField(_("call text (Chinese)"), blank=True)
    eligibility = models.TextField(_("eligibility"), blank=True)
    eligibility_zh = models.TextField(_("eligibility (Chinese)"), blank=True)
    opens_on = models.DateField(_("opens on"))
    closes_at = models.DateTimeField(_("deadline"))
    is_published = models.BooleanField(_("published"), default=False, db_default=False)
    # Compute-grant calls: the pool the grants come from, and the grants' period.
    hours_pool = models.DecimalField(
        _("pool of accelerator-hours"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    accelerator_type = models.ForeignKey(
        "compute.AcceleratorType",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accelerator type"),
    )
    site = models.ForeignKey(
        "compute.Site",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("site"),
    )
    grant_starts_on = models.DateField(_("grants start on"), null=True, blank=True)
    grant_ends_on = models.DateField(_("grants end on"), null=True, blank=True)
    reviews_per_application = models.PositiveSmallIntegerField(
        _("reviews per application"), default=2, validators=[MinValueValidator(1)]
    )
    panel = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="review_panels", blank=True, verbose_name=_("panel")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    # Published calls are public; drafts are the center's.
    scope = Scope(shared=Q(is_published=True))

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["-closes_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["incubation", "compute_grant"]), name="call_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind="incubation") | Q(hours_pool__gt=0),
                name="call_grant_has_pool",
                violation_error_message=_("A compute-grant call needs a pool of hours."),
            ),
            models.CheckConstraint(
                condition=Q(grant_ends_on__isnull=True)
                | Q(grant_starts_on__isnull=True)
                | Q(grant_ends_on__gt=models.F("grant_starts_on")),
                name="call_grant_period_order",
                violation_error_message=_("The grants must end after they start."),
            ),
        ]

    def __str__(self) -> str:
        return self.in_language("title")


class Question(BilingualText):
    call = models.ForeignKey(
        Call, on_delete=models.CASCADE, related_name="questions", verbose_name=_("call")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    text = models.CharField(_("question"), max_length=500)
    text_zh = models.CharField(_("question (Chinese)"), max_length=500, blank=True)
    required = models.BooleanField(_("required"), default=True)
    max_length = models.PositiveIntegerField(_("longest answer (characters)"), default=4000)

    scope = Scope(shared=Q(call__is_published=True))

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["call", "order", "id"]

    def __str__(self) -> str:
        return self.in_language("text")


class Criterion(BilingualText):
    """One line of a call's scoring rubric: scored 1–5, weighted."""

    call = models.ForeignKey(
        Call, on_delete=models.CASCADE, related_name="criteria", verbose_name=_("call")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    name = models.CharField(_("criterion"), max_length=200)
    name_zh = models.CharField(_("criterion (Chinese)"), max_length=200, blank=True)
    description = models.TextField(_("what a 5 looks like"), blank=True)
    description_zh = models.TextField(_("what a 5 looks like (Chinese)"), blank=True)
    weight = models.DecimalField(
        _("weight"),
        max_digits=5,
        decimal_places=2,
        default=1,
        validators=[MinValueValidator(0.01)],
    )

    scope = Scope(shared=Q(call__is_published=True))

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["call", "order", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(weight__gt=0), name="criterion_weight_positive")
        ]

    def __str__(self) -> str:
        return self.in_language("name")


class Application(TimeStampedModel):
    """A company's application to a call; editable by the company until the deadline."""

    class Status(models.TextChoices):
        # In context: "Accepted" or "Submitted" elsewhere in the product mean other things.
        DRAFT = "draft", pgettext_lazy("application status", "Draft")
        SUBMITTED = "submitted", pgettext_lazy("application status", "Submitted")
        ACCEPTED = "accepted", pgettext_lazy("application status", "Accepted")
        REJECTED = "rejected", pgettext_lazy("application status", "Rejected")
        WITHDRAWN = "withdrawn", pgettext_lazy("application status", "Withdrawn")

    call = models.ForeignKey(
        Call, on_delete=models.PROTECT, related_name="applications", verbose_name=_("call")
    )
    company = models.ForeignKey(
        "ecosystem.Company",
        on_delete=models.CASCADE,
        related_name="applications",
        verbose_name=_("company"),
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    summary = models.TextField(_("summary"), blank=True)
    # Compute-grant calls: the hours and devices the company asks for.
    requested_hours = models.DecimalField(
        _("accelerator-hours asked for"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    requested_device_cap = models.PositiveIntegerField(_("devices at once"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    feedback = models.TextField(_("feedback to the applicant"), blank=True)
    # What the decision created: the first engagement, or the compute grant.
    engagement = models.ForeignKey(
        "ecosystem.Engagement",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("engagement"),
    )
    allocation = models.ForeignKey(
        "compute.Allocation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("allocation"),
    )

    # The applicant company's people, and the reviewers assigned to it.
    scope = Scope(company="company__organisation", user="reviews__reviewer", distinct=True)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["call", "company__legal_name"]
        constraints = [
            models.UniqueConstraint(fields=["call", "company"], name="application_one_per_call"),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "submitted", "accepted", "rejected", "withdrawn"]),
                name="application_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company} · {self.call}"


class Answer(models.Model):
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="answers", verbose_name=_("application")
    )
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="answers", verbose_name=_("question")
    )
    text = models.TextField(_("answer"), blank=True)

    scope = Scope(
        company="application__company__organisation",
        user="application__reviews__reviewer",
        distinct=True,
    )

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering = ["question__order", "question_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "question"], name="answer_one_per_question"
            )
        ]

    def __str__(self) -> str:
        return str(self.question)


class Attachment(TimeStampedModel):
    """A file attached to an application: type and size checked, stored privately."""

    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        related_name="attachments",
        verbose_name=_("application"),
    )
    file = models.FileField(_("file"), upload_to=attachment_path)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )

    scope = Scope(
        company="application__company__organisation",
        user="application__reviews__reviewer",
        distinct=True,
    )

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class ConflictOfInterest(TimeStampedModel):
    """A reviewer's declared conflict with a company: never assigned its applications."""

    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="declared_conflicts",
        verbose_name=_("reviewer"),
    )
    company = models.ForeignKey(
        "ecosystem.Company",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("company"),
    )
    reason = models.CharField(_("reason"), max_length=300)

    scope = Scope(user="reviewer")

    class Meta:
        verbose_name = _("conflict of interest")
        verbose_name_plural = _("conflicts of interest")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["reviewer", "company"], name="conflict_once")
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} ↔ {self.company}"


class Review(TimeStampedModel):
    """One reviewer's assignment to an application, and their scores once submitted."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="reviews", verbose_name=_("application")
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="application_reviews",
        verbose_name=_("reviewer"),
    )
    comments = models.TextField(_("comments"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    # A reviewer's scores are theirs and the center's; applicants never see them.
    scope = Scope(user="reviewer")

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["application", "reviewer_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "reviewer"], name="review_one_per_reviewer"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application} · {self.reviewer}"


class Score(models.Model):
    review = models.ForeignKey(
        Review, on_delete=models.CASCADE, related_name="scores", verbose_name=_("review")
    )
    criterion = models.ForeignKey(
        Criterion, on_delete=models.CASCADE, related_name="scores", verbose_name=_("criterion")
    )
    value = models.PositiveSmallIntegerField(
        _("score"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )

    scope = Scope(user="review__reviewer")

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        ordering = ["criterion__order", "criterion_id"]
        constraints = [
            models.UniqueConstraint(fields=["review", "criterion"], name="score_once"),
            models.CheckConstraint(
                condition=Q(value__gte=1, value__lte=5), name="score_one_to_five"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.criterion}: {self.value}"
