"""E-mail to the people of an organisation, sent after the transaction commits."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction

from innovation_center.accounts.models import Membership


def organisation_recipients(*, organisation, roles: set[str] | None = None) -> list[str]:
    memberships = Membership.objects.filter(organisation=organisation).select_related("user")
    if roles:
        memberships = memberships.filter(role__in=roles)
    return sorted({m.user.email for m in memberships if m.user.email and m.user.is_active})


def notify_organisation(*, organisation, subject: str, body: str, roles: set[str] | None = None):
    """Queue one e-mail per member; nothing is sent if the surrounding transaction rolls back."""
    recipients = organisation_recipients(organisation=organisation, roles=roles)
    extra = getattr(getattr(organisation, "company", None), "contact_email", "")
    if extra and extra not in recipients:
        recipients.append(extra)
    if not recipients:
        return
    messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, [to]) for to in recipients]
    transaction.on_commit(lambda: send_mass_mail(messages, fail_silently=True))
