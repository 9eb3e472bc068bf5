"""A center with devices, a center allocation, a digits suite and two companies' models."""

import datetime as dt
from decimal import Decimal

import pytest

from innovation_center.accounts.models import Membership
from innovation_center.benchmarks import services
from innovation_center.compute.models import AcceleratorType
from innovation_center.core import clock
from innovation_center.evaluation import services as evaluation
from innovation_center.evaluation.builtins import BENCHMARK_DATASETS, ensure_builtin_datasets
from innovation_center.evaluation.models import Dataset
from tests import factories
from tests.evaluation.helpers import digits_model_bytes, upload


@pytest.fixture
def held_out(db):
    ensure_builtin_datasets(Dataset, BENCHMARK_DATASETS)
    return Dataset.objects.get(builtin_name="digits_holdout")


@pytest.fixture
def center(db, people, held_out):
    """Devices, the center's allocation and an open digits suite (3 submissions a week)."""
    devices = factories.fleet(4)
    device_type = devices[0].accelerator_type
    AcceleratorType.objects.filter(pk=device_type.pk).update(
        board_power_w=Decimal("700"), power_source="NVIDIA H200 SXM datasheet"
    )
    return digits_suite(staff=people.staff, device_type=device_type, device_cap=2)


def digits_suite(*, staff, device_type, device_cap: int, hours: str = "20"):
    """The center's allocation on `device_type` and an open digits suite on it (3 a week)."""
    ensure_builtin_datasets(Dataset, BENCHMARK_DATASETS)
    today = clock.today()
    allocation = services.center_allocation_grant(
        actor=staff,
        accelerator_type=device_type,
        hours=Decimal(hours),
        device_cap=device_cap,
        starts_on=today,
        ends_on=today + dt.timedelta(days=60),
        purpose="Digits suite and verification runs",
    )
    return services.suite_save(
        actor=staff,
        name="Digits held out",
        slug="digits",
        description="Handwritten digits, the held-out 30%.",
        dataset=Dataset.objects.get(builtin_name="digits_holdout"),
        training_dataset=Dataset.objects.get(builtin_name="digits_train"),
        metric="accuracy",
        accelerator_type=device_type,
        allocation=allocation,
        devices=1,
        batch_size=256,
        weekly_limit=3,
        is_open=True,
    )


def company_model(company, name="digits-mlp", seed=0):
    owner = company.organisation.memberships.filter(role=Membership.Role.COMPANY_OWNER).first()
    owner = (
        owner.user
        if owner
        else factories.member(company.organisation, Membership.Role.COMPANY_OWNER)
    )
    return evaluation.model_upload(
        company=company, actor=owner, name=name, upload=upload(digits_model_bytes(seed=seed))
    ), owner
