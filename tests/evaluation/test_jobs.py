"""A job from upload to result, in-process (tasks run eagerly after commit)."""

from decimal import Decimal

import numpy as np
import pytest

from innovation_center import kernel
from innovation_center.accounts.models import Membership
from innovation_center.compute import services as compute_services
from innovation_center.compute.models import Lease
from innovation_center.compute.selectors import allocation_balance
from innovation_center.core.errors import ApplicationError
from innovation_center.evaluation import services
from innovation_center.evaluation.models import EvaluationJob, JobShard
from tests import factories
from tests.evaluation.helpers import digits_model_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    company = factories.company()
    owner = factories.member(company.organisation, Membership.Role.COMPANY_OWNER)
    grant = factories.allocation(company, hours="50", device_cap=4)
    devices = [factories.accelerator() for _ in range(4)]
    model = services.model_upload(
        company=company, actor=owner, name="digits-mlp", upload=upload(digits_model_bytes())
    )
    digits = factories.builtin_dataset("digits")
    return company, owner, grant, devices, model, digits


def submit(setup, **overrides):
    company, owner, grant, _devices, model, digits = setup
    fields = dict(
        company=company,
        actor=owner,
        model=model,
        dataset=digits,
        allocation=grant,
        devices=2,
        batch_size=256,
    )
    fields.update(overrides)
    return services.job_submit(**fields)


def expected(model_bytes: bytes, devices: int):
    spec = kernel.load_model(source=model_bytes)
    data = kernel.load_builtin("digits")
    return kernel.evaluate(
        model=spec, X=data.X, y=data.y, devices=[kernel.get_preset("sim-h200")] * 1, batch_size=256
    )


def test_it_runs_a_job_to_its_result_and_charges_once(setup, django_capture_on_commit_callbacks):
    _company, _owner, grant, _devices, _model, _digits = setup
    with django_capture_on_commit_callbacks(execute=True):
        job = submit(setup)
    job.refresh_from_db()
    assert job.status == EvaluationJob.Status.SUCCEEDED, job.error_message
    assert (job.shards_done, job.shards_total) == (2, 2)
    reference = expected(digits_model_bytes(), 1)
    assert job.result.accuracy == pytest.approx(reference.accuracy, abs=0)
    assert job.result.mean_loss == pytest.approx(reference.mean_loss, rel=1e-5)
    assert job.result.samples == 1797 and len(job.result.per_device) == 2
    assert np.array(job.result.confusion_matrix).sum() == 1797
    kinds = sorted(job.ledger_entries.values_list("kind", flat=True))
    assert kinds == ["charge", "refund", "reserve"]
    balance = allocation_balance(allocation=grant)
    assert balance.reserved == 0
    assert balance.spent == job.result.hours_charged > 0
    assert not Lease.objects.filter(ended_at__isnull=True).exists()


def test_it_finishes_once_however_often_the_finish_is_repeated(
    setup, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = submit(setup)
    for _ in range(3):
        assert services.job_finish(job_id=job.pk) == EvaluationJob.Status.SUCCEEDED
    assert job.ledger_entries.filter(kind="charge").count() == 1


def test_it_retries_a_shard_on_another_device_when_its_device_fails(
    setup, django_capture_on_commit_callbacks
):
    from innovation_center.compute.scheduler import schedule_round

    job = submit(setup)
    [placement] = schedule_round()
    assert placement.workload_id == job.workload_id and len(placement.device_ids) == 2
    pending = services.job_start(job_id=job.pk)
    assert pending == [0, 1]
    failed_device = JobShard.objects.get(job=job, index=0).accelerator
    assert failed_device.pk in placement.device_ids
    # Mark it failed without ending the lease, as a device dying mid-run would.
    from innovation_center.compute.models import Accelerator

    Accelerator.objects.filter(pk=failed_device.pk).update(health="failed")
    with django_capture_on_commit_callbacks(execute=True):
        for index in pending:
            services.shard_execute(job_id=job.pk, index=index)
    job.refresh_from_db()
    assert job.status == EvaluationJob.Status.SUCCEEDED
    shard = JobShard.objects.get(job=job, index=0)
    assert shard.failed_devices == [failed_device.name]
    assert shard.accelerator != failed_device
    assert job.result.samples == 1797


def test_it_refuses_a_job_above_the_balance_and_keeps_everything_as_it_was(setup):
    company, owner, grant, _devices, model, digits = setup
    tiny = factories.allocation(company, hours="0.000001", device_cap=4)
    with pytest.raises(ApplicationError) as error:
        submit(setup, allocation=tiny)
    assert error.value.code == "insufficient_balance"
    assert not EvaluationJob.objects.exists()
    assert allocation_balance(allocation=tiny).available == Decimal("0.000001")


def test_it_refuses_more_devices_than_the_cap(setup):
    with pytest.raises(ApplicationError) as error:
        submit(setup, devices=5)
    assert error.value.code == "device_cap" and "devices" in error.value.field_errors


def test_it_refuses_a_data_set_that_does_not_match_the_model(setup):
    iris = factories.builtin_dataset("iris")
    with pytest.raises(ApplicationError) as error:
        submit(setup, dataset=iris)
    assert error.value.code == "feature_mismatch"
    assert "64" in error.value.message and "4" in error.value.message


def test_it_cancels_a_queued_job_and_refunds_it_whole(setup):
    _company, owner, grant, _devices, _model, _digits = setup
    job = submit(setup)
    services.job_cancel(job=job, actor=owner)
    job.refresh_from_db()
    assert job.status == EvaluationJob.Status.CANCELLED
    assert allocation_balance(allocation=grant).available == Decimal("50")
    assert job.ledger_entries.get(kind="charge").reserved == 0


def test_it_stops_a_running_job_at_the_next_shard_boundary(
    setup, django_capture_on_commit_callbacks
):
    from innovation_center.compute.scheduler import schedule_round

    _company, owner, grant, _devices, _model, _digits = setup
    job = submit(setup, devices=3)
    schedule_round()
    pending = services.job_start(job_id=job.pk)
    services.shard_execute(job_id=job.pk, index=pending[0])
    with django_capture_on_commit_callbacks(execute=True):
        services.job_cancel(job=job, actor=owner)
        for index in pending[1:]:
            assert services.shard_execute(job_id=job.pk, index=index) == "cancelled"
    job.refresh_from_db()
    assert job.status == EvaluationJob.Status.CANCELLED
    first = JobShard.objects.get(job=job, index=pending[0])
    charged = -job.ledger_entries.get(kind="charge").reserved
    assert charged == compute_services_hours(first.result["device_seconds"]) > 0
    assert allocation_balance(allocation=grant).reserved == 0
    assert not Lease.objects.filter(workload=job.workload, ended_at__isnull=True).exists()


def compute_services_hours(seconds):
    from innovation_center.compute.ledger import hours_from_seconds

    return hours_from_seconds(seconds)


def test_it_refuses_an_unsupported_model_file_with_the_kernel_reason(setup):
    company, owner, *_ = setup
    with pytest.raises(ApplicationError) as error:
        services.model_upload(
            company=company, actor=owner, name="bad", upload=upload(b"not a model")
        )
    assert "file" in error.value.field_errors
    assert company.models.count() == 1


def test_compute_services_requeue_is_harmless_after_finish(
    setup, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = submit(setup)
    device = Lease.objects.filter(workload=job.workload).first().accelerator
    staff = factories.center_staff(role=Membership.Role.CENTER_OPERATOR)
    assert (
        compute_services.accelerator_set_health(accelerator=device, health="failed", actor=staff)
        == []
    )
