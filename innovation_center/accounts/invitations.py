"""Invitations: create, resend, revoke, look up by token and accept (accounts.people)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from innovation_center.accounts.models import (
    Invitation,
    Membership,
    NotificationKind,
    Organisation,
    Profile,
)
from innovation_center.accounts.names import display_name
from innovation_center.accounts.notifications import composed, notify_users, send_emails
from innovation_center.accounts.roles import _check_role, _lock_organisation
from innovation_center.accounts.services import audit_record
from innovation_center.core import clock
from innovation_center.core.errors import ApplicationError

INVITATION_SALT = "innovation_center.accounts.invitation"


def invitation_lifetime() -> dt.timedelta:
    return dt.timedelta(days=settings.INVITATION_DAYS)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _normal_email(email: str) -> str:
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise ApplicationError(
            _("“%(email)s” is not an e-mail address; write it as name@example.com.")
            % {"email": email},
            field_errors={"email": [_("Enter a valid e-mail address.")]},
        ) from None
    local, _at, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


# Invitations -------------------------------------------------------------------------------


def invitation_token(key: str) -> str:
    """What the link carries: the random key, signed with the time it was issued."""
    return signing.TimestampSigner(salt=INVITATION_SALT).sign(key)


def invitation_url(token: str) -> str:
    return reverse("accounts:invitation_accept", args=[token])


def _send_invitation(invitation: Invitation, key: str) -> None:
    url = invitation_url(invitation_token(key))
    organisation = invitation.organisation
    inviter = display_name(invitation.invited_by) or _("The Innovation Center")
    expires = clock.local(invitation.expires_at).strftime("%Y-%m-%d %H:%M")

    def compose() -> tuple[str, str]:
        names = {
            "organisation": organisation.name,
            "inviter": inviter,
            "role": Membership.Role(invitation.role).label,
            "expires": expires,
        }
        return (
            _("You are invited to join %(organisation)s") % names,
            _(
                "%(inviter)s invites you to join %(organisation)s on the Innovation Center as "
                "%(role)s. Open the link below to accept; it works once, until %(expires)s."
            )
            % names,
        )

    account = _account_for_email(invitation.email)
    if account is not None:
        notify_users(users=[account], kind=NotificationKind.INVITATION, compose=compose, url=url)
    else:
        subject, body = composed(compose, invitation.language or settings.LANGUAGE_CODE, url)
        send_emails([(subject, body, invitation.email)])
    Invitation.objects.filter(pk=invitation.pk).update(
        sent_at=clock.now(), times_sent=invitation.times_sent + 1
    )


def _account_for_email(email: str):
    return (
        get_user_model()
        .objects.filter(email__iexact=email, is_active=True)
        .order_by("-last_login", "pk")
        .first()
    )


@transaction.atomic
def invitation_create(
    *, actor, organisation: Organisation, email: str, role: str, language: str = ""
) -> Invitation:
    """Invite `email` into `organisation` as `role` and send the link."""
    organisation = _lock_organisation(organisation)
    email = _normal_email(email)
    _check_role(organisation, role)
    if Membership.objects.filter(organisation=organisation, user__email__iexact=email).exists():
        raise ApplicationError(
            _("%(email)s is already a member of %(organisation)s.")
            % {"email": email, "organisation": organisation.name},
            field_errors={"email": [_("Already a member.")]},
        )
    now = clock.now()
    open_ones = Invitation.objects.filter(
        organisation=organisation,
        email__iexact=email,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
    )
    if open_ones.filter(expires_at__gt=now).exists():
        raise ApplicationError(
            _("%(email)s already has an invitation waiting; resend it from the people page.")
            % {"email": email},
            field_errors={"email": [_("Already invited.")]},
        )
    open_ones.update(revoked_at=now)  # expired links are closed before a new one opens
    key = secrets.token_urlsafe(32)
    if language not in dict(settings.LANGUAGES):
        language = ""
    invitation = Invitation.objects.create(
        organisation=organisation,
        email=email,
        role=role,
        language=language,
        key_hash=_hash(key),
        invited_by=actor,
        expires_at=now + invitation_lifetime(),
    )
    audit_record(
        actor=actor,
        instance=invitation,
        action="invite",
        after={"email": email, "role": role},
        organisation=organisation,
    )
    _send_invitation(invitation, key)
    invitation.refresh_from_db()
    return invitation


@transaction.atomic
def invitation_resend(*, actor, invitation: Invitation) -> Invitation:
    """A new link (the old one stops working) with a new expiry, sent again."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at or invitation.revoked_at:
        raise ApplicationError(
            _("This invitation was already accepted or revoked; send a new one instead."),
            code="invitation_closed",
        )
    key = secrets.token_urlsafe(32)
    invitation.key_hash = _hash(key)
    invitation.expires_at = clock.now() + invitation_lifetime()
    invitation.save(update_fields=["key_hash", "expires_at"])
    audit_record(
        actor=actor,
        instance=invitation,
        action="invitation_resend",
        organisation=invitation.organisation,
    )
    _send_invitation(invitation, key)
    invitation.refresh_from_db()
    return invitation


@transaction.atomic
def invitation_revoke(*, actor, invitation: Invitation) -> Invitation:
    revoked = Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=clock.now())
    if not revoked:
        raise ApplicationError(
            _("This invitation was already accepted or revoked."), code="invitation_closed"
        )
    audit_record(
        actor=actor,
        instance=invitation,
        action="invitation_revoke",
        organisation=invitation.organisation,
    )
    invitation.refresh_from_db()
    return invitation


def invitation_for_token(token: str, *, lock: bool = False) -> Invitation:
    """The open invitation a link stands for, or an error that says why the link is dead."""
    try:
        key = signing.TimestampSigner(salt=INVITATION_SALT).unsign(
            token, max_age=invitation_lifetime()
        )
    except signing.SignatureExpired:
        raise ApplicationError(
            _("This invitation link has expired. Ask the person who invited you for a new one."),
            code="invitation_expired",
        ) from None
    except signing.BadSignature:
        raise ApplicationError(
            _("This invitation link is not valid. Check that you opened the whole link."),
            code="invitation_invalid",
        ) from None
    qs = Invitation.objects.select_related("organisation", "invited_by")
    if lock:
        qs = qs.select_for_update(of=("self",))
    invitation = qs.filter(key_hash=_hash(key)).first()
    if invitation is None:
        raise ApplicationError(
            _("This invitation link was replaced by a newer one; use the latest e-mail."),
            code="invitation_invalid",
        )
    if invitation.accepted_at:
        raise ApplicationError(
            _("This invitation was already used. Sign in to reach %(organisation)s.")
            % {"organisation": invitation.organisation.name},
            code="invitation_used",
        )
    if invitation.revoked_at:
        raise ApplicationError(
            _("This invitation was withdrawn. Ask the person who invited you for a new one."),
            code="invitation_revoked",
        )
    if invitation.expires_at <= clock.now():
        raise ApplicationError(
            _("This invitation link has expired. Ask the person who invited you for a new one."),
            code="invitation_expired",
        )
    return invitation


def unique_username(email: str) -> str:
    user_model = get_user_model()
    base = email[:140]
    candidate, n = base, 1
    while user_model.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _checked_password(password: str, user) -> str:
    if not password:
        raise ApplicationError(
            _("Choose a password for your new account."),
            field_errors={"password1": [_("This field is required.")]},
        )
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        raise ApplicationError(
            " ".join(error.messages), field_errors={"password1": list(error.messages)}
        ) from None
    return password


def accept_needs_password(invitation: Invitation, user=None) -> bool:
    """Whether accepting must ask for a password: only when the account has none yet."""
    if user is not None and user.is_authenticated:
        return False
    account = _account_for_email(invitation.email)
    return account is None or not account.has_usable_password()


@transaction.atomic
def invitation_accept(
    *,
    token: str,
    user=None,
    password: str = "",
    given_name: str = "",
    family_name: str = "",
    language: str = "",
) -> tuple:
    """Accept: the signed-in user, or the account with the invited e-mail, or a new account
    becomes a member. Returns (account, membership). Only an account without a password is
    asked for one."""
    invitation = invitation_for_token(token, lock=True)
    organisation = _lock_organisation(invitation.organisation)
    if user is not None and user.is_authenticated:
        account = user
    else:
        account = _account_for_email(invitation.email)
        if account is None:
            user_model = get_user_model()
            account = user_model(
                username=unique_username(invitation.email),
                email=invitation.email,
                first_name=(given_name or "").strip()[:150],
                last_name=(family_name or "").strip()[:150],
            )
            account.set_password(_checked_password(password, account))
            account.save()
        elif not account.has_usable_password():
            account.set_password(_checked_password(password, account))
            account.save(update_fields=["password"])
    if language in dict(settings.LANGUAGES):
        Profile.objects.update_or_create(user=account, defaults={"language": language})
    try:
        with transaction.atomic():
            membership, created = Membership.objects.get_or_create(
                user=account, organisation=organisation, defaults={"role": invitation.role}
            )
    except IntegrityError:
        membership, created = Membership.objects.get(user=account, organisation=organisation), False
    Invitation.objects.filter(pk=invitation.pk).update(accepted_at=clock.now(), accepted_by=account)
    audit_record(
        actor=account,
        instance=membership,
        action="invitation_accept",
        after={"email": invitation.email, "role": membership.role, "user": account.get_username()},
        organisation=organisation,
    )
    if created and invitation.invited_by_id:
        notify_users(
            users=[invitation.invited_by],
            kind=NotificationKind.PEOPLE,
            url=reverse("accounts:people", args=[organisation.pk]),
            compose=lambda: (
                _("%(name)s joined %(organisation)s")
                % {"name": display_name(account), "organisation": organisation.name},
                _("%(name)s accepted your invitation and is now %(role)s of %(organisation)s.")
                % {
                    "name": display_name(account),
                    "role": Membership.Role(membership.role).label,
                    "organisation": organisation.name,
                },
            ),
        )
    return account, membership


def invitations_accept_for_email(*, user) -> list[Membership]:
    """Single sign-on: a person whose verified e-mail has open invitations joins them all."""
    if not user.email:
        return []
    memberships = []
    pending = Invitation.objects.filter(
        email__iexact=user.email,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=clock.now(),
    ).values_list("pk", flat=True)
    for pk in list(pending):
        with transaction.atomic():
            invitation = Invitation.objects.select_for_update().get(pk=pk)
            if not invitation.is_open(clock.now()):
                continue
            organisation = _lock_organisation(invitation.organisation)
            membership, _created = Membership.objects.get_or_create(
                user=user, organisation=organisation, defaults={"role": invitation.role}
            )
            Invitation.objects.filter(pk=pk).update(accepted_at=clock.now(), accepted_by=user)
            audit_record(
                actor=user,
                instance=membership,
                action="invitation_accept",
                after={"email": invitation.email, "role": membership.role, "via": "sso"},
                organisation=organisation,
            )
            memberships.append(membership)
    return memberships
