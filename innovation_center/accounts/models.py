import hashlib
import secrets

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from innovation_center.core.scoping import Scope


class Organisation(models.Model):
    """The center itself, a partner company or a university: what people are members of."""

    class Kind(models.TextChoices):
        CENTER = "center", _("Computing center")
        COMPANY = "company", _("Company")
        UNIVERSITY = "university", _("University")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    scope = Scope(company="pk", university="pk")

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "name"], name="organisation_unique_name"),
            models.CheckConstraint(
                condition=Q(kind__in=["center", "company", "university"]),
                name="organisation_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's role in one organisation; the role must fit the organisation's kind."""

    class Role(models.TextChoices):
        CENTER_ADMIN = "center_admin", _("Center administrator")
        CENTER_REVIEWER = "center_reviewer", _("Compute reviewer")
        CENTER_OPERATOR = "center_operator", _("Center operator")
        COMPANY_OWNER = "company_owner", _("Company owner")
        COMPANY_MEMBER = "company_member", _("Company member")
        COORDINATOR = "coordinator", _("University coordinator")

    ROLES_BY_KIND = {
        Organisation.Kind.CENTER: {Role.CENTER_ADMIN, Role.CENTER_REVIEWER, Role.CENTER_OPERATOR},
        Organisation.Kind.COMPANY: {Role.COMPANY_OWNER, Role.COMPANY_MEMBER},
        Organisation.Kind.UNIVERSITY: {Role.COORDINATOR},
    }

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("organisation"),
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    scope = Scope(company="organisation", university="organisation", user="user")

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation"], name="membership_one_role_per_organisation"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.organisation} · {self.get_role_display()}"

    def clean(self) -> None:
        if self.organisation_id and self.role:
            allowed = self.ROLES_BY_KIND[self.organisation.kind]
            if self.role not in allowed:
                raise ValidationError(
                    {
                        "role": _(
                            "A %(kind)s membership cannot have the role “%(role)s”; "
                            "choose one of: %(allowed)s."
                        )
                        % {
                            "kind": self.organisation.get_kind_display(),
                            "role": self.get_role_display(),
                            "allowed": ", ".join(str(self.Role(r).label) for r in sorted(allowed)),
                        }
                    }
                )


class ApiToken(models.Model):
    """A personal API token; only its SHA-256 is stored, the key is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    scope = Scope(user="user")

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def new_key(cls) -> str:
        return secrets.token_urlsafe(32)


class AuditEvent(models.Model):
    """Who changed what and when, with the fields before and after."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    action = models.CharField(_("action"), max_length=50)
    content_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, verbose_name=_("object type")
    )
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=200)
    # The organisation the object belongs to, so members can read their own history.
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
    )
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    scope = Scope(company="organisation", university="organisation")

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"


class NotificationKind(models.TextChoices):
    """What a message is about; a person can turn off the e-mail of each kind (in-app stays)."""

    INVITATION = "invitation", _("Invitations")
    PEOPLE = "people", _("Changes to my memberships")
    REQUEST_DECISION = "request_decision", _("Decisions on compute requests")
    ALLOCATION_EXPIRY = "allocation_expiry", _("Allocations about to end")
    ALLOCATION_CHANGE = "allocation_change", _("Changes the center makes to my allocations")
    JOB_FINISHED = "job_finished", _("Evaluation jobs that finished")
    JOB_FAILED = "job_failed", _("Evaluation jobs that failed")
    APPLICATION_DECISION = "application_decision", _("Decisions on applications to calls")
    REVIEW_ASSIGNED = "review_assigned", _("Applications assigned to me for review")
    KPI_REMINDER = "kpi_reminder", _("Reminders to report my company's KPIs")


class Profile(models.Model):
    """What a person chooses for themselves: language and which e-mails they get."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="profile",
        verbose_name=_("user"),
    )
    language = models.CharField(
        _("preferred language"), max_length=10, choices=settings.LANGUAGES, blank=True
    )
    # Kinds (NotificationKind values) whose e-mail the person turned off.
    email_muted = models.JSONField(_("e-mails turned off"), default=list, blank=True)

    scope = Scope(user="user")

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self) -> str:
        return str(self.user)

    def wants_email(self, kind: str) -> bool:
        return kind not in set(self.email_muted or [])


class Invitation(models.Model):
    """An e-mailed, single-use link that makes its holder a member of an organisation.

    The link carries a random key signed with a timestamp; only the key's SHA-256 is stored.
    Resending issues a new key (the old link stops working) and a new expiry.
    """

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="invitations",
        verbose_name=_("organisation"),
    )
    email = models.EmailField(_("e-mail"))
    role = models.CharField(_("role"), max_length=30, choices=Membership.Role.choices)
    language = models.CharField(
        _("language of the e-mail"), max_length=10, choices=settings.LANGUAGES, blank=True
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invited by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("last sent at"), null=True, blank=True)
    times_sent = models.PositiveSmallIntegerField(_("times sent"), default=0)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accepted by"),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    # Only the people who manage an organisation's people see its invitations.
    scope = Scope(
        company="organisation",
        university="organisation",
        roles=frozenset({Membership.Role.COMPANY_OWNER, Membership.Role.COORDINATOR}),
    )

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["email"])]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "email"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_email",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.organisation}"

    def is_open(self, now) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > now

    def state(self, now) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        return "pending" if self.expires_at > now else "expired"


class Notification(models.Model):
    """One message to one person, shown in the product (its e-mail may be turned off)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=NotificationKind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    # Where the message leads (a path inside the product), empty when nowhere.
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    scope = Scope(user="user")

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.subject


class LoginSession(models.Model):
    """A session a person signed in with, so their sessions can be ended at once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="login_sessions",
        verbose_name=_("user"),
    )
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    scope = Scope(user="user")

    class Meta:
        verbose_name = _("login session")
        verbose_name_plural = _("login sessions")

    def __str__(self) -> str:
        return f"{self.user} · {self.created_at:%Y-%m-%d %H:%M}"


class IdempotencyKey(models.Model):
    """A client's `Idempotency-Key` on a create call, with the answer it got: a retry of the
    same request (a lost response, a dropped connection) gets that answer again instead of
    creating a second job or request. Kept for IDEMPOTENCY_KEY_HOURS."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("user"),
    )
    key = models.CharField(_("key"), max_length=200)
    # SHA-256 of the method, the path and the body: the same key on another request is refused.
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status"), default=0)
    body = models.JSONField(_("response"), encoder=DjangoJSONEncoder, default=dict)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    scope = Scope(user="user")

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique")
        ]

    def __str__(self) -> str:
        return self.key
