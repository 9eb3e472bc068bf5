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


def beat_schedule(*, demo_demand: bool = False) -> dict[str, dict]:
    """Every periodic task, in one place; the demo's background demand only when asked for
    (settings.DEMO_DEMAND: on in `make run`, off in the tests and in production)."""
    # Each periodic task expires before its next run so a stopped beat never floods the queue.
    schedule = {
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
        # Closed months' utilization, stored once (readers write a missing month themselves).
        "utilization-rollups-close": {
            "task": "innovation_center.compute.tasks.utilization_rollups_close",
            "schedule": crontab(minute="7"),
            "options": {"expires": 3000},
        },
        "idempotency-keys-prune": {
            "task": "innovation_center.accounts.tasks.idempotency_keys_prune",
            "schedule": crontab(hour="4", minute="27"),
            "options": {"expires": 3600},
        },
        "media-orphans-sweep": {
            "task": "innovation_center.evaluation.tasks.media_orphans_sweep",
            "schedule": crontab(hour="4", minute="37"),
            "options": {"expires": 3600},
        },
        "login-sessions-prune": {
            "task": "innovation_center.accounts.tasks.login_sessions_prune",
            "schedule": crontab(hour="4", minute="17"),
            "options": {"expires": 3600},
        },
        # Owners whose last half-year's KPI report is missing: reminded once per half.
        "kpi-reminders-send": {
            "task": "innovation_center.programs.tasks.kpi_reminders_send",
            "schedule": crontab(hour="9", minute="7"),
            "options": {"expires": 3600},
        },
        # Cheap (two indexed queries): a job whose worker died is picked up within seconds.
        "jobs-sweep": {
            "task": "innovation_center.evaluation.tasks.jobs_sweep",
            "schedule": 10.0,
            "options": {"expires": 9},
        },
    }
    if demo_demand:
        schedule["demo-demand"] = {
            "task": "innovation_center.demo.tasks.demand_submit",
            "schedule": 20.0,
            "options": {"expires": 15},
        }
    return schedule


app.conf.beat_schedule = beat_schedule()


@app.on_after_configure.connect
def demo_demand_schedule(sender: Celery, **kwargs: object) -> None:
    # Django's settings are read once Celery configures itself, not when this module is
    # imported (the settings module's own import passes through here).
    from django.conf import settings

    sender.conf.beat_schedule = beat_schedule(demo_demand=settings.DEMO_DEMAND)


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
