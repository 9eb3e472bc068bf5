# The Celery app is imported here so that shared_task uses it in every process.
from innovation_center.celery import app as celery_app

__all__ = ("celery_app",)
