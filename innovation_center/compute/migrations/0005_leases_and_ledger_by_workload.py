# After evaluation.0004 moved every link to the workloads: compute no longer points at jobs.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("compute", "0004_workload"),
        ("evaluation", "0004_job_workload"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="ledgerentry", name="ledgerentry_once_per_job_and_kind"),
        migrations.RemoveField(model_name="lease", name="job"),
        migrations.RemoveField(model_name="ledgerentry", name="job"),
        migrations.AddConstraint(
            model_name="ledgerentry",
            constraint=models.UniqueConstraint(condition=models.Q(("workload__isnull", False)), fields=("workload", "kind"), name="ledgerentry_once_per_workload_and_kind"),
        ),
    ]
