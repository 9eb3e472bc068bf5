"""Thin tasks for evaluation jobs; the services make every step safe to repeat."""

from celery import chord, shared_task

from innovation_center.compute.scheduler import schedule_round
from innovation_center.evaluation import services

LONG = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(**LONG)
def job_run(job_id: int) -> None:
    """Claim the job and fan its shards out to the workers, with one final step after them."""
    pending = services.job_start(job_id=job_id)
    if pending is None:
        return
    if not pending:
        services.job_finish(job_id=job_id)
        return
    chord(shard_run.si(job_id, index) for index in pending)(job_finish.si(job_id))


@shared_task(bind=True, **LONG)
def shard_run(self, job_id: int, index: int) -> str:
    return services.shard_execute(job_id=job_id, index=index, worker=self.request.hostname or "")


@shared_task(**LONG)
def job_finish(job_id: int) -> str | None:
    return services.job_finish(job_id=job_id)


@shared_task(acks_late=True)
def jobs_sweep() -> list[int]:
    """Dispatch again the jobs whose worker went quiet: the row is the truth, not the queue."""
    stale = services.jobs_stale()
    for job_id in stale:
        job_run.delay(job_id)
    return stale


@shared_task(acks_late=True)
def schedule_jobs() -> list[int]:
    """One scheduling round; each job it placed is dispatched to the evaluation workers."""
    placed = [placement.workload_id for placement in schedule_round()]
    job_ids = services.jobs_of_workloads(workload_ids=placed) if placed else []
    for job_id in job_ids:
        job_run.delay(job_id)
    return job_ids
