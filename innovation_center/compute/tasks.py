"""Thin tasks: take ids, call a service, dispatch what follows."""

from celery import shared_task

from innovation_center.compute import services
from innovation_center.compute.scheduler import schedule_round


@shared_task(acks_late=True)
def allocations_sweep() -> dict[str, int]:
    return services.allocations_advance()


@shared_task(acks_late=True)
def schedule_jobs() -> list[int]:
    """One scheduling round; each placed job is dispatched to the evaluation workers."""
    from innovation_center.evaluation.tasks import job_run

    placements = schedule_round()
    for placement in placements:
        job_run.delay(placement.job_id)
    return [p.job_id for p in placements]
