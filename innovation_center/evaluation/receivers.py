"""The evaluation side's answers to the scheduler's signals (connected in apps.ready).

Each runs inside the transaction that sent it, so a job's status moves with its workload's.
"""

from django.dispatch import receiver

from innovation_center.compute.models import Workload
from innovation_center.compute.signals import workload_requeued, workloads_placed
from innovation_center.evaluation import services


@receiver(workloads_placed, sender=Workload, dispatch_uid="evaluation.jobs_scheduled")
def jobs_scheduled(sender, *, placements, at, **kwargs) -> None:
    services.jobs_mark_scheduled(workload_ids=[p.workload_id for p in placements], at=at)


@receiver(workload_requeued, sender=Workload, dispatch_uid="evaluation.jobs_requeued")
def jobs_requeued(sender, *, workload_ids, at, **kwargs) -> None:
    services.jobs_mark_requeued(workload_ids=workload_ids)
