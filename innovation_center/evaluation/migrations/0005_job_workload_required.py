import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("evaluation", "0004_job_workload"),
        ("compute", "0005_leases_and_ledger_by_workload"),
    ]

    operations = [
        migrations.AlterField(
            model_name="evaluationjob",
            name="workload",
            field=models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name="evaluation_job", to="compute.workload", verbose_name="workload"),
        ),
    ]
