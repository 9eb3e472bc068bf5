"""Benchmarks' answers to the evaluation side's signals (connected in apps.ready)."""

from django.dispatch import receiver

from innovation_center.benchmarks import services
from innovation_center.evaluation.models import EvaluationJob
from innovation_center.evaluation.signals import job_finished


@receiver(job_finished, sender=EvaluationJob, dispatch_uid="benchmarks.verification_decide")
def verification_decide(sender, *, job, status, **kwargs) -> None:
    # In the transaction that ended the job: the verdict commits with the result.
    services.verification_decide(job=job, status=status)
