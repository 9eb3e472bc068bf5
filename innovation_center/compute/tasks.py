"""Thin tasks: take ids, call a service, dispatch what follows."""

from celery import shared_task

from innovation_center.compute import allocations, services


@shared_task(acks_late=True)
def allocations_sweep() -> dict[str, int]:
    counts = services.allocations_advance()
    counts.update(allocations.allocations_watch())
    return counts
