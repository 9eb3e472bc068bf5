"""Thin tasks of the programs: each calls a service."""

from celery import shared_task

from innovation_center.programs import kpi


@shared_task(acks_late=True)
def kpi_reminders_send() -> int:
    """Daily: remind owners whose last half-year's KPI report is missing (once per half)."""
    return kpi.kpi_reminders_send()
