"""The people side: invitations, members and their roles, deactivation, sessions, profiles.

Every change here is one transaction with its audit row; a change to an organisation's
members locks the organisation's row first, so two owners demoting each other at the same
moment cannot leave a company without an owner.
"""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from innovation_center.accounts.invitations import (  # noqa: F401 (re-exported)
    INVITATION_SALT,
    accept_needs_password,
    invitation_accept,
    invitation_create,
    invitation_for_token,
    invitation_lifetime,
    invitation_resend,
    invitation_revoke,
    invitation_token,
    invitation_url,
    invitations_accept_for_email,
    unique_username,
)
from innovation_center.accounts.models import (
    ApiToken,
    LoginSession,
    Membership,
    NotificationKind,
    Organisation,
    Profile,
)
from innovation_center.accounts.names import display_name
from innovation_center.accounts.notifications import notify_users
from innovation_center.accounts.roles import (  # noqa: F401 (re-exported)
    _check_role,
    _lock_organisation,
    allowed_roles,
)
from innovation_center.accounts.services import audit_record
from innovation_center.core import clock
from innovation_center.core.errors import ApplicationError

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
