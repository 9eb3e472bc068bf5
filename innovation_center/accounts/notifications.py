"""E-mail to the people of an organisation, in both languages, sent after the commit."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils import translation

from innovation_center.accounts.models import Membership

# We keep no per-user language, so every message goes out in each of the product's languages.
SEPARATOR = "\n\n— — —\n\n"


def organisation_recipients(*, organisation, roles: set[str] | None = None) -> list[str]:
    memberships = Membership.objects.filter(organisation=organisation).select_related("user")
    if roles:
        memberships = memberships.filter(role__in=roles)
    return sorted({m.user.email for m in memberships if m.user.email and m.user.is_active})


def in_every_language(compose: Callable[[], tuple[str, str]]) -> tuple[str, str]:
    """(subject, body) composed once per language of the product, joined."""
    parts = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            parts.append(compose())
    subject = " / ".join(dict.fromkeys(subject for subject, _body in parts))
    body = SEPARATOR.join(dict.fromkeys(body for _subject, body in parts))
    return subject, body


def notify_organisation(
    *, organisation, compose: Callable[[], tuple[str, str]], roles: set[str] | None = None
) -> None:
    """Queue one e-mail per member; nothing is sent if the surrounding transaction rolls back.

    `compose` returns (subject, body) in the active language; it is called for each language.
    """
    recipients = organisation_recipients(organisation=organisation, roles=roles)
    extra = getattr(getattr(organisation, "company", None), "contact_email", "")
    if extra and extra not in recipients:
        recipients.append(extra)
    if not recipients:
        return
    subject, body = in_every_language(compose)
    messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, [to]) for to in recipients]
    transaction.on_commit(lambda: send_mass_mail(messages, fail_silently=True))
