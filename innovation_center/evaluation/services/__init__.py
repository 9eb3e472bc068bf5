"""Evaluation services: uploads, submission, and the worker's steps of a job.

A job's life: queued (hours reserved, a workload queued) → scheduled (the scheduler bound its
workload's devices) → running (one shard per device, each a task) → succeeded | failed |
cancelled. The database row is the truth; Celery messages only nudge. Every step is a
conditional update, so a retried or duplicated task changes nothing twice, and finishing
settles the ledger once. The job and its workload move together, workload row locked first.
"""

from innovation_center.evaluation.services.submission import (
    MAX_BATCH_SIZE,
    MAX_PRIORITY,
    RESERVE_MARGIN,
    Estimate,
    job_cancel,
    job_estimate,
    job_rerun,
    job_submit,
    jobs_mark_requeued,
    jobs_mark_scheduled,
    jobs_of_workloads,
    result_mark_verified,
)
from innovation_center.evaluation.services.sweeps import jobs_end_unrunnable, jobs_stale
from innovation_center.evaluation.services.uploads import (
    dataset_upload,
    media_orphans_sweep,
    model_upload,
)
from innovation_center.evaluation.services.worker import (
    job_finish,
    job_start,
    shard_execute,
    worker_name,
)

__all__ = [
    "MAX_BATCH_SIZE",
    "MAX_PRIORITY",
    "RESERVE_MARGIN",
    "Estimate",
    "dataset_upload",
    "job_cancel",
    "job_estimate",
    "job_finish",
    "job_rerun",
    "job_start",
    "job_submit",
    "jobs_mark_requeued",
    "jobs_mark_scheduled",
    "jobs_of_workloads",
    "jobs_end_unrunnable",
    "jobs_stale",
    "media_orphans_sweep",
    "model_upload",
    "shard_execute",
    "result_mark_verified",
    "worker_name",
]
