"""Thin tasks for evaluation jobs; the services make every step safe to repeat.

Every job that has not finished is the responsibility of exactly one periodic path, so none
can be stuck: a queued job of the scheduling round (`schedule_jobs`, every 30 s), or of
`jobs_sweep` when it can never run (its allocation ended, or its cancel raced a requeue); a
scheduled or running job of `jobs_sweep` once its worker has gone quiet.
"""

from celery import chord, shared_task
from django.conf import settings
from django.db import DatabaseError

from innovation_center.compute.scheduler import schedule_round
from innovation_center.core.dispatch import dispatch
from innovation_center.evaluation import services

# A database that is briefly unavailable (a lost connection, a locked SQLite file) retries
# the step instead of dropping it; each step is safe to repeat.
LONG = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (DatabaseError,),
    "retry_backoff": 1,
    "retry_backoff_max": 10,
    "max_retries": 5,
}


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
    outcome = services.shard_execute(
        job_id=job_id,
        index=index,
        worker=services.worker_name(self.request.hostname or ""),
        heartbeat=not self.request.is_eager,
    )
    if outcome == "busy" and not self.request.is_eager:
        # Another worker holds the shard. A redelivery after that worker was killed takes it
        # over as soon as its beat is stale; a duplicate of a live run ends when it is done.
        raise self.retry(countdown=settings.SHARD_STALE_SECONDS / 2, max_retries=1000)
    return outcome


@shared_task(**LONG)
def job_finish(job_id: int) -> str | None:
    return services.job_finish(job_id=job_id)


@shared_task(acks_late=True)
def jobs_sweep() -> list[int]:
    """End the queued jobs that can never run, and dispatch again the scheduled or running
    ones whose worker went quiet: the row is the truth, not the queue."""
    services.jobs_end_unrunnable()
    stale = services.jobs_stale()
    for job_id in stale:
        dispatch(job_run, job_id)
    return stale


@shared_task(acks_late=True, autoretry_for=(DatabaseError,), retry_backoff=1, max_retries=3)
def schedule_jobs() -> list[int]:
    """One scheduling round; each job it placed is dispatched to the evaluation workers."""
    placed = [placement.workload_id for placement in schedule_round()]
    job_ids = services.jobs_of_workloads(workload_ids=placed) if placed else []
    for job_id in job_ids:
        dispatch(job_run, job_id)
    return job_ids


@shared_task
def media_orphans_sweep() -> int:
    """Remove uploaded files that no model or data set points to (an upload that failed after
    its file was written); young files are left alone, an upload may be in flight."""
    return len(services.media_orphans_sweep())
