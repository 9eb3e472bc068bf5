"""The people side: invitations, members and their roles, deactivation, sessions, profiles.

Every change here is one transaction with its audit row; a change to an organisation's
members locks the organisation's row first, so two owners demoting each other at the same
moment cannot leave a company without an owner.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from innovation_center.accounts.models import (
    ApiToken,
    Invitation,
    LoginSession,
    Membership,
    NotificationKind,
    Organisation,
    Profile,
)
from innovation_center.accounts.names import display_name
from innovation_center.accounts.notifications import composed, notify_users, send_emails
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


def _lock_organisation(organisation: Organisation) -> Organisation:
    return Organisation.objects.select_for_update().get(pk=organisation.pk)


def allowed_roles(organisation: Organisation) -> list[str]:
    """The roles a person can hold in this organisation, in the order of the role list."""
    allowed = Membership.ROLES_BY_KIND[organisation.kind]
    return [value for value, _label in Membership.Role.choices if value in allowed]


def _check_role(organisation: Organisation, role: str) -> None:
    if role not in allowed_roles(organisation):
        raise ApplicationError(
            _(
                "A %(kind)s cannot have members with the role “%(role)s”; "
                "choose one of: %(allowed)s."
            )
            % {
                "kind": organisation.get_kind_display(),
                "role": role,
                "allowed": ", ".join(
                    str(Membership.Role(r).label) for r in allowed_roles(organisation)
                ),
            },
            field_errors={"role": [_("Choose one of the roles offered.")]},
        )


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


# Members -----------------------------------------------------------------------------------


def _owners(organisation: Organisation) -> int:
    return Membership.objects.filter(
        organisation=organisation, role=Membership.Role.COMPANY_OWNER
    ).count()


def _keeps_an_owner(membership: Membership, organisation: Organisation) -> None:
    if (
        organisation.kind == Organisation.Kind.COMPANY
        and membership.role == Membership.Role.COMPANY_OWNER
        and _owners(organisation) <= 1
    ):
        raise ApplicationError(
            _("%(name)s is the last owner of %(organisation)s; make another member an owner first.")
            % {"name": display_name(membership.user), "organisation": organisation.name},
            code="last_owner",
        )


def _tell_person(membership: Membership, compose) -> None:
    notify_users(
        users=[membership.user],
        kind=NotificationKind.PEOPLE,
        compose=compose,
        url=reverse("home"),
    )


@transaction.atomic
def membership_change_role(*, actor, membership: Membership, role: str) -> Membership:
    organisation = _lock_organisation(membership.organisation)
    membership = Membership.objects.select_related("user").get(pk=membership.pk)
    _check_role(organisation, role)
    if role == membership.role:
        return membership
    if role != Membership.Role.COMPANY_OWNER:
        _keeps_an_owner(membership, organisation)
    before = membership.role
    Membership.objects.filter(pk=membership.pk).update(role=role)
    membership.role = role
    audit_record(
        actor=actor,
        instance=membership,
        action="change_role",
        before={"role": before},
        after={"role": role},
        organisation=organisation,
    )
    _tell_person(
        membership,
        lambda: (
            _("Your role in %(organisation)s changed") % {"organisation": organisation.name},
            _("You are now %(role)s of %(organisation)s.")
            % {"role": Membership.Role(role).label, "organisation": organisation.name},
        ),
    )
    return membership


@transaction.atomic
def membership_remove(*, actor, membership: Membership) -> None:
    """Remove a member (or, when `actor` is the member, leave). Their sessions end and their
    API tokens are revoked at once: what they could reach through this membership is gone."""
    organisation = _lock_organisation(membership.organisation)
    membership = Membership.objects.select_related("user").get(pk=membership.pk)
    _keeps_an_owner(membership, organisation)
    person = membership.user
    leaving = actor is not None and actor.pk == person.pk
    audit_record(
        actor=actor,
        instance=membership,
        action="leave" if leaving else "remove_member",
        before={"user": person.get_username(), "role": membership.role},
        organisation=organisation,
    )
    membership.delete()
    sessions_end(user=person)
    api_tokens_revoke_all(user=person)
    if not leaving:
        _tell_person(
            membership,
            lambda: (
                _("You were removed from %(organisation)s") % {"organisation": organisation.name},
                _("You are no longer a member of %(organisation)s.")
                % {"organisation": organisation.name},
            ),
        )


# People ------------------------------------------------------------------------------------


def sessions_end(*, user) -> int:
    """End every session the person signed in with, on every device."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    records = list(LoginSession.objects.filter(user=user))
    for record in records:
        store(session_key=record.session_key).delete()
    LoginSession.objects.filter(pk__in=[r.pk for r in records]).delete()
    return len(records)


def login_sessions_prune() -> int:
    """Forget expired sessions and the records of sessions that no longer exist (daily)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    store.clear_expired()
    gone = [
        pk
        for pk, key in LoginSession.objects.values_list("pk", "session_key").iterator()
        if not store().exists(key)
    ]
    LoginSession.objects.filter(pk__in=gone).delete()
    return len(gone)


def api_tokens_revoke_all(*, user) -> int:
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=clock.now()
    )


@transaction.atomic
def person_deactivate(*, actor, user) -> None:
    """The person can no longer sign in; their sessions end and their tokens stop at once."""
    if actor is not None and actor.pk == user.pk:
        raise ApplicationError(_("You cannot deactivate your own account."), code="self")
    user_model = get_user_model()
    if not user_model.objects.filter(pk=user.pk, is_active=True).update(is_active=False):
        raise ApplicationError(_("This person is already deactivated."), code="inactive")
    sessions = sessions_end(user=user)
    tokens = api_tokens_revoke_all(user=user)
    audit_record(
        actor=actor,
        instance=user,
        action="deactivate",
        before={"is_active": True},
        after={"is_active": False, "sessions_ended": sessions, "tokens_revoked": tokens},
    )
    user.is_active = False


@transaction.atomic
def person_reactivate(*, actor, user) -> None:
    user_model = get_user_model()
    if not user_model.objects.filter(pk=user.pk, is_active=False).update(is_active=True):
        raise ApplicationError(_("This person is already active."), code="active")
    audit_record(
        actor=actor,
        instance=user,
        action="reactivate",
        before={"is_active": False},
        after={"is_active": True},
    )
    user.is_active = True


def notifications_mark_read(*, notifications) -> int:
    """Mark these notifications read; one already read keeps the time it was first read."""
    return notifications.filter(read_at__isnull=True).update(read_at=clock.now())


def profile_for(user) -> Profile:
    profile, _created = Profile.objects.get_or_create(user=user)
    return profile


@transaction.atomic
def profile_update(
    *, user, given_name: str, family_name: str, language: str, email_kinds: list[str]
) -> Profile:
    """Names, language and the kinds of e-mail the person wants (the others are muted)."""
    if language and language not in dict(settings.LANGUAGES):
        raise ApplicationError(
            _("Choose one of the languages offered."),
            field_errors={"language": [_("Choose one of the languages offered.")]},
        )
    user.first_name = (given_name or "").strip()[:150]
    user.last_name = (family_name or "").strip()[:150]
    user.save(update_fields=["first_name", "last_name"])
    profile = profile_for(user)
    wanted = set(email_kinds)
    profile.language = language or ""
    profile.email_muted = sorted(k for k in NotificationKind.values if k not in wanted)
    profile.save(update_fields=["language", "email_muted"])
    return profile
