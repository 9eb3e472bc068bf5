"""Messages to people: an in-app notification each, and an e-mail in their own language.

Every e-mail the product sends goes through here. Each recipient's message is composed in
the language of their profile (the product's default when they chose none); the e-mail is
skipped when they turned that kind off, the in-app notification never is. Nothing is sent
or stored if the surrounding transaction rolls back: notifications are rows of that
transaction, and the e-mails are handed to Celery after it commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.conf import settings
from django.utils import translation

from innovation_center.accounts.models import Membership, Notification, Profile
from innovation_center.core.dispatch import dispatch_on_commit

Compose = Callable[[], tuple[str, str]]


def absolute_url(path: str) -> str:
    """A link for an e-mail: the product's public address (SITE_URL) and the path."""
    if not path or "://" in path:
        return path
    return settings.SITE_URL.rstrip("/") + "/" + path.lstrip("/")


def language_of(user, profiles: dict | None = None, default: str = "") -> str:
    """The person's chosen language, else `default`, else the product's."""
    profile = (profiles or {}).get(user.pk) if profiles is not None else _profile(user)
    return (profile.language if profile else "") or default or settings.LANGUAGE_CODE


def _profile(user) -> Profile | None:
    try:
        return user.profile
    except Profile.DoesNotExist:
        return None


def composed(compose: Compose, language: str, url: str = "") -> tuple[str, str]:
    with translation.override(language):
        subject, body = compose()
        subject, body = str(subject), str(body)
    if url:
        body = f"{body}\n\n{absolute_url(url)}"
    return subject, body


def send_emails(messages: list[tuple[str, str, str]]) -> None:
    """Queue (subject, body, to) e-mails for the worker once the transaction commits."""
    if not messages:
        return
    # Imported here: the task module imports the people services, which import this one.
    from innovation_center.accounts.tasks import emails_send

    # The in-app notification is stored either way; a broker that is down loses only the
    # e-mail, never the request (core.dispatch).
    dispatch_on_commit(emails_send, [list(message) for message in messages])


def notify_users(
    *,
    users: Iterable,
    kind: str,
    compose: Compose,
    url: str = "",
    extra_emails: Iterable[str] = (),
) -> list[Notification]:
    """Notify each active user in the product, and by e-mail unless they turned `kind` off.

    `compose` returns (subject, body) in the active language; it is called once per language
    among the recipients. `extra_emails` are addresses without an account (a company's
    contact): they get the e-mail in the product's default language.
    """
    users = [u for u in {u.pk: u for u in users}.values() if u.is_active]
    profiles = {p.user_id: p for p in Profile.objects.filter(user__in=[u.pk for u in users])}
    by_language: dict[str, tuple[str, str]] = {}

    def message_in(language: str) -> tuple[str, str]:
        if language not in by_language:
            by_language[language] = composed(compose, language, url)
        return by_language[language]

    rows, emails = [], []
    for user in users:
        subject, body = message_in(language_of(user, profiles))
        rows.append(
            Notification(user=user, kind=kind, subject=subject[:200], body=body, url=url[:300])
        )
        profile = profiles.get(user.pk)
        if user.email and (profile is None or profile.wants_email(kind)):
            emails.append((subject, body, user.email))
    known = {u.email.lower() for u in users if u.email}
    for address in dict.fromkeys(a for a in extra_emails if a and a.lower() not in known):
        subject, body = message_in(settings.LANGUAGE_CODE)
        emails.append((subject, body, address))
    created = Notification.objects.bulk_create(rows)
    send_emails(emails)
    return created


def organisation_members(*, organisation, roles: set[str] | None = None) -> list:
    memberships = Membership.objects.filter(
        organisation=organisation, user__is_active=True
    ).select_related("user")
    if roles:
        memberships = memberships.filter(role__in=roles)
    return [m.user for m in memberships]


def notify_organisation(
    *,
    organisation,
    kind: str,
    compose: Compose,
    roles: set[str] | None = None,
    url: str = "",
) -> list[Notification]:
    """Notify the organisation's people (of `roles`, default all) and a company's contact."""
    contact = getattr(getattr(organisation, "company", None), "contact_email", "")
    return notify_users(
        users=organisation_members(organisation=organisation, roles=roles),
        kind=kind,
        compose=compose,
        url=url,
        extra_emails=[contact] if contact else [],
    )
