"""The one Celery app: queues, and every periodic schedule in one place."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "innovation_center.settings")

app = Celery("innovation_center")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Named queues: long evaluation work never waits behind (or blocks) the quick bookkeeping.
app.conf.task_default_queue = "default"
app.conf.task_routes = {
    "innovation_center.evaluation.tasks.shard_run": {"queue": "evaluation"},
    "innovation_center.evaluation.tasks.job_run": {"queue": "evaluation"},
}

# Each periodic task expires before its next run so a stopped beat never floods the queue.
app.conf.beat_schedule = {
    "allocations-sweep": {
        "task": "innovation_center.compute.tasks.allocations_sweep",
        "schedule": crontab(minute="*/15"),
        "options": {"expires": 14 * 60},
    },
    # The safety net behind the scheduling done on every submit and finish.
    "schedule-jobs": {
        "task": "innovation_center.evaluation.tasks.schedule_jobs",
        "schedule": 30.0,
        "options": {"expires": 25},
    },
    "login-sessions-prune": {
        "task": "innovation_center.accounts.tasks.login_sessions_prune",
        "schedule": crontab(hour="4", minute="17"),
        "options": {"expires": 3600},
    },
    "jobs-sweep": {
        "task": "innovation_center.evaluation.tasks.jobs_sweep",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
}


@app.on_after_configure.connect
def ensure_filesystem_queue(sender: Celery, **kwargs: object) -> None:
    # The filesystem transport needs its folders before the first message.
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            os.makedirs(options[key], exist_ok=True)
    backend = sender.conf.result_backend or ""
    if backend.startswith("file://"):
        os.makedirs(backend[len("file://") :], exist_ok=True)
