# Workloads: what the scheduler places, job-agnostic. Leases and ledger rows gain a link to
# them here; evaluation.0004 fills the links from the jobs, compute.0005 drops the old ones.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("compute", "0003_outages_and_granted_hours"),
    ]

    operations = [
        migrations.CreateModel(
            name="Workload",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("label", models.CharField(blank=True, max_length=200, verbose_name="label")),
                ("devices_requested", models.PositiveIntegerField(verbose_name="devices")),
                ("priority", models.SmallIntegerField(default=0, verbose_name="priority")),
                ("estimate_hours", models.DecimalField(decimal_places=6, max_digits=16, verbose_name="estimated accelerator-hours")),
                ("status", models.CharField(choices=[("queued", "Queued"), ("scheduled", "Scheduled"), ("running", "Running"), ("finished", "Finished")], db_index=True, default="queued", max_length=20, verbose_name="status")),
                ("created_at", models.DateTimeField(db_index=True, verbose_name="submitted at")),
                ("scheduled_at", models.DateTimeField(blank=True, null=True, verbose_name="scheduled at")),
                ("finished_at", models.DateTimeField(blank=True, null=True, verbose_name="finished at")),
                ("allocation", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="workloads", to="compute.allocation", verbose_name="allocation")),
            ],
            options={
                "verbose_name": "workload",
                "verbose_name_plural": "workloads",
                "ordering": ["-created_at"],
                "indexes": [models.Index(fields=["status", "-priority", "created_at"], name="compute_wor_status_342855_idx")],
                "constraints": [
                    models.CheckConstraint(condition=models.Q(("devices_requested__gte", 1)), name="workload_devices_positive"),
                    models.CheckConstraint(condition=models.Q(("estimate_hours__gte", 0)), name="workload_estimate_non_negative"),
                ],
            },
        ),
        migrations.AddField(
            model_name="lease",
            name="workload",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="leases", to="compute.workload", verbose_name="workload"),
        ),
        migrations.AddField(
            model_name="ledgerentry",
            name="workload",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="ledger_entries", to="compute.workload", verbose_name="workload"),
        ),
    ]
