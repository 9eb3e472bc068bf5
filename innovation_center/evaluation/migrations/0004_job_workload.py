# Each job gets the workload the scheduler will place from now on, built from the job's own
# figures; its leases and ledger rows move to the workload. Nothing is lost: the reverse
# puts the links back on the jobs.

import django.db.models.deletion
from django.db import migrations, models

FINAL = {"succeeded", "failed", "cancelled"}


def jobs_to_workloads(apps, schema_editor):
    EvaluationJob = apps.get_model("evaluation", "EvaluationJob")
    Workload = apps.get_model("compute", "Workload")
    Lease = apps.get_model("compute", "Lease")
    LedgerEntry = apps.get_model("compute", "LedgerEntry")
    jobs = EvaluationJob.objects.select_related("model", "dataset").order_by("pk")
    for job in jobs.iterator(chunk_size=500):
        workload = Workload.objects.create(
            allocation_id=job.allocation_id,
            label=f"#{job.pk} {job.model.name} · {job.dataset.name}"[:200],
            devices_requested=job.devices_requested,
            priority=job.priority,
            estimate_hours=job.estimate_hours,
            status="finished" if job.status in FINAL else job.status,
            created_at=job.created_at,
            scheduled_at=job.scheduled_at,
            finished_at=job.finished_at,
        )
        EvaluationJob.objects.filter(pk=job.pk).update(workload=workload)
        Lease.objects.filter(job_id=job.pk).update(workload=workload)
        LedgerEntry.objects.filter(job_id=job.pk).update(workload=workload)


def workloads_to_jobs(apps, schema_editor):
    EvaluationJob = apps.get_model("evaluation", "EvaluationJob")
    Lease = apps.get_model("compute", "Lease")
    LedgerEntry = apps.get_model("compute", "LedgerEntry")
    Workload = apps.get_model("compute", "Workload")
    for job_id, workload_id in EvaluationJob.objects.exclude(workload=None).values_list(
        "pk", "workload_id"
    ):
        Lease.objects.filter(workload_id=workload_id).update(job_id=job_id)
        LedgerEntry.objects.filter(workload_id=workload_id).update(job_id=job_id)
    EvaluationJob.objects.update(workload=None)
    Lease.objects.update(workload=None)
    LedgerEntry.objects.update(workload=None)
    Workload.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("compute", "0004_workload"),
        ("evaluation", "0003_builtin_datasets"),
    ]

    operations = [
        migrations.AddField(
            model_name="evaluationjob",
            name="workload",
            field=models.OneToOneField(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="evaluation_job", to="compute.workload", verbose_name="workload"),
        ),
        migrations.RunPython(jobs_to_workloads, workloads_to_jobs),
    ]
