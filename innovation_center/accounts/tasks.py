import datetime as dt
import smtplib

from celery import shared_task
from django.conf import settings
from django.core.mail import get_connection, send_mass_mail

from innovation_center.accounts import people
from innovation_center.accounts.models import IdempotencyKey
from innovation_center.core import clock


# A mail server that is down for a while delays the e-mails; it loses none of them.
@shared_task(
    acks_late=True,
    autoretry_for=(OSError, smtplib.SMTPException),
    retry_backoff=30,
    max_retries=8,
)
def emails_send(messages: list[list]) -> int:
    """Send (subject, body, to) e-mails over one connection; returns how many went out."""
    datatuples = [
        (subject, body, settings.DEFAULT_FROM_EMAIL, [to]) for subject, body, to in messages
    ]
    return send_mass_mail(datatuples, fail_silently=False, connection=get_connection())


@shared_task
def login_sessions_prune() -> int:
    return people.login_sessions_prune()


@shared_task
def idempotency_keys_prune() -> int:
    """Forget the Idempotency-Key answers older than a day (a retry comes within minutes)."""
    cutoff = clock.now() - dt.timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
    return IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()[0]
