"""Thin tasks: take ids, call a service, dispatch what follows."""

from celery import shared_task

from innovation_center.compute import allocations, services


@shared_task(acks_late=True)
def allocations_sweep() -> dict[str, int]:
    counts = services.allocations_advance()
    counts.update(allocations.allocations_watch())
    return counts


@shared_task(acks_late=True)
def utilization_rollups_close() -> int:
    """Store the utilization of every closed month not stored yet (a month closes at the
    center's midnight; a reader that comes first writes it too)."""
    from innovation_center.compute.rollups import rollups_close

    return len(rollups_close())
