"""Thin tasks: take ids, call a service, dispatch what follows."""

from celery import shared_task

from innovation_center.compute import services


@shared_task(acks_late=True)
def allocations_sweep() -> dict[str, int]:
    return services.allocations_advance()
