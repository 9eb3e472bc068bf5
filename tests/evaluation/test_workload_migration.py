"""The move of leases and ledger rows from jobs to workloads keeps every row and every hour."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Count, Sum

BEFORE = [("compute", "0003_outages_and_granted_hours"), ("evaluation", "0003_builtin_datasets")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


def totals(apps):
    ledger = apps.get_model("compute", "LedgerEntry").objects
    return {
        "leases": apps.get_model("compute", "Lease").objects.count(),
        "ledger": ledger.count(),
        "jobs": apps.get_model("evaluation", "EvaluationJob").objects.count(),
        "balances": {
            row["allocation_id"]: (
                Decimal(row["a"]).quantize(Decimal("0.000001")),
                Decimal(row["r"]).quantize(Decimal("0.000001")),
            )
            for row in ledger.values("allocation_id").annotate(
                a=Sum("available"), r=Sum("reserved")
            )
        },
    }


@pytest.mark.django_db(transaction=True)
def test_it_moves_every_job_link_to_a_workload_and_keeps_the_hours():
    old = migrate(BEFORE)
    Organisation = old.get_model("accounts", "Organisation")
    Company = old.get_model("ecosystem", "Company")
    Allocation = old.get_model("compute", "Allocation")
    Site = old.get_model("compute", "Site")
    Type = old.get_model("compute", "AcceleratorType")
    Device = old.get_model("compute", "Accelerator")
    Lease = old.get_model("compute", "Lease")
    LedgerEntry = old.get_model("compute", "LedgerEntry")
    Model = old.get_model("evaluation", "ModelArtifact")
    Dataset = old.get_model("evaluation", "Dataset")
    Job = old.get_model("evaluation", "EvaluationJob")

    org = Organisation.objects.create(kind="company", name="Old Co")
    company = Company.objects.create(
        organisation=org,
        legal_name="Old Co",
        uscc="91420100MA4K0000X0",
        industry="healthcare",
        city="Wuhan",
        status="incubating",
    )
    grant = Allocation.objects.create(
        company=company,
        hours_granted=100,
        device_cap=4,
        starts_on="2026-11-01",
        ends_on="2027-02-01",
        status="active",
    )
    site = Site.objects.create(code="wh", name="Wuhan", city="Wuhan")
    kind = Type.objects.create(
        name="T",
        vendor="V",
        peak_tflops=1,
        memory_gib=1,
        memory_bandwidth_gbps=1,
        interconnect_gbps=1,
    )
    devices = [
        Device.objects.create(site=site, accelerator_type=kind, name=f"D{n}") for n in range(3)
    ]
    model = Model.objects.create(
        company=company,
        name="m",
        file="m.npz",
        format="npz",
        size_bytes=1,
        sha256="0" * 64,
        input_dim=4,
        classes=[0, 1],
        layer_summary="4 → 2",
        parameter_count=10,
        flops_per_sample=16,
    )
    data = Dataset.objects.create(
        kind="builtin",
        builtin_name="old-set",
        name="old-set",
        n_samples=10,
        n_features=4,
        classes=[0, 1],
    )
    LedgerEntry.objects.create(allocation=grant, kind="credit", available=100, reserved=0)
    jobs = {}
    for status in ("queued", "running", "succeeded"):
        jobs[status] = Job.objects.create(
            company=company,
            allocation=grant,
            model=model,
            dataset=data,
            devices_requested=2,
            batch_size=8,
            priority=1,
            status=status,
            estimate_hours=Decimal("2"),
        )
        LedgerEntry.objects.create(
            allocation=grant, job=jobs[status], kind="reserve", available=-2, reserved=2
        )
    running, done = jobs["running"], jobs["succeeded"]
    Lease.objects.create(
        accelerator=devices[0], allocation=grant, job=running, started_at="2026-12-01T00:00Z"
    )
    Lease.objects.create(
        accelerator=devices[1],
        allocation=grant,
        job=done,
        started_at="2026-11-30T00:00Z",
        ended_at="2026-11-30T01:00Z",
    )
    LedgerEntry.objects.create(allocation=grant, job=done, kind="charge", available=0, reserved=-1)
    LedgerEntry.objects.create(allocation=grant, job=done, kind="refund", available=1, reserved=-1)
    Lease.objects.create(  # usage recorded without a job (the demo's history)
        accelerator=devices[2],
        allocation=grant,
        started_at="2026-11-01T00:00Z",
        ended_at="2026-11-01T05:00Z",
    )
    before = totals(old)

    new = migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    assert totals(new) == before
    Workload = new.get_model("compute", "Workload")
    NewJob = new.get_model("evaluation", "EvaluationJob")
    assert Workload.objects.count() == 3
    for job in NewJob.objects.select_related("workload"):
        work = job.workload
        assert (work.allocation_id, work.devices_requested, work.priority, work.estimate_hours) == (
            job.allocation_id,
            2,
            1,
            Decimal("2"),
        )
        assert work.status == {"succeeded": "finished"}.get(job.status, job.status)
    NewLease = new.get_model("compute", "Lease")
    NewLedger = new.get_model("compute", "LedgerEntry")
    by_workload = dict(
        NewLedger.objects.exclude(workload=None).values_list("workload").annotate(n=Count("id"))
    )
    done_work = NewJob.objects.get(pk=done.pk).workload_id
    assert by_workload == {
        NewJob.objects.get(pk=jobs["queued"].pk).workload_id: 1,
        NewJob.objects.get(pk=running.pk).workload_id: 1,
        done_work: 3,
    }
    assert NewLease.objects.filter(workload_id=done_work).count() == 1
    assert NewLease.objects.filter(workload=None).count() == 1
