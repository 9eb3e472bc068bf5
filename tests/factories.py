"""Factories for tests: small functions that build valid rows with sensible defaults."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from functools import cached_property

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile

from innovation_center.accounts.models import Membership, Organisation
from innovation_center.compute.models import (
    Accelerator,
    AcceleratorType,
    Allocation,
    LedgerEntry,
    Site,
    Workload,
)
from innovation_center.core import clock
from innovation_center.core.uscc import check_character
from innovation_center.ecosystem.models import Company, Industry
from innovation_center.evaluation.builtins import ensure_builtin_datasets
from innovation_center.evaluation.models import Dataset, EvaluationJob, ModelArtifact
from innovation_center.talent.models import Program, University

_counter = itertools.count(1)
PASSWORD = "test-pass-123"


def uscc(n: int | None = None) -> str:
    n = next(_counter) if n is None else n
    first17 = f"91420100{n:09d}"
    return first17 + check_character(first17)


def user(username: str | None = None, **fields):
    username = username or f"user{next(_counter)}"
    return get_user_model().objects.create_user(
        username=username, password=PASSWORD, email=f"{username}@example.com", **fields
    )


def member(organisation: Organisation, role: str, username: str | None = None):
    account = user(username, is_staff=organisation.kind == Organisation.Kind.CENTER)
    Membership.objects.create(user=account, organisation=organisation, role=role)
    return account


def center_staff(username: str | None = None, role: str = Membership.Role.CENTER_ADMIN):
    center, _ = Organisation.objects.get_or_create(
        kind=Organisation.Kind.CENTER, name="Wuhan AI Computing Center"
    )
    return member(center, role, username)


def company(name: str | None = None, **fields) -> Company:
    n = next(_counter)
    name = name or f"Test Company {n}"
    organisation = Organisation.objects.create(kind=Organisation.Kind.COMPANY, name=name)
    defaults = {
        "uscc": uscc(n),
        "industry": Industry.SMART_MANUFACTURING,
        "city": "武汉",
        "status": Company.Status.INCUBATING,
    }
    defaults.update(fields)
    return Company.objects.create(organisation=organisation, legal_name=name, **defaults)


def university(name: str | None = None) -> University:
    name = name or f"Test University {next(_counter)}"
    organisation = Organisation.objects.create(kind=Organisation.Kind.UNIVERSITY, name=name)
    return University.objects.create(organisation=organisation, name=name, city="武汉")


class People:
    """The usual people of a test: the center's staff (an admin, a reviewer, an operator), a
    company with its owner and member, a member of another company (the outsider) and a
    university with its coordinator. The `people` fixture of tests/conftest.py makes one.

    Each person, with the organisation they belong to, is made the first time a test asks for
    them, so a test that counts rows finds only the ones it uses.
    """

    def __init__(
        self, *, company_name: str, other_company_name: str, university_name: str, outsider_role
    ):
        self.company_name = company_name
        self.other_company_name = other_company_name
        self.university_name = university_name
        self.outsider_role = outsider_role

    # In the bodies, `company(...)`, `member(...)` and `university(...)` are the builders of
    # this module, not the properties.

    @cached_property
    def staff(self):
        return center_staff("staff")

    @cached_property
    def reviewer(self):
        return center_staff("reviewer", role=Membership.Role.CENTER_REVIEWER)

    @cached_property
    def operator(self):
        return center_staff("operator", role=Membership.Role.CENTER_OPERATOR)

    @cached_property
    def company(self) -> Company:
        return company(self.company_name)

    @cached_property
    def owner(self):
        return member(self.company.organisation, Membership.Role.COMPANY_OWNER, "owner")

    @cached_property
    def member(self):
        return member(self.company.organisation, Membership.Role.COMPANY_MEMBER, "member")

    @cached_property
    def other_company(self) -> Company:
        return company(self.other_company_name)

    @cached_property
    def outsider(self):
        return member(self.other_company.organisation, self.outsider_role, "outsider")

    @cached_property
    def university(self) -> University:
        return university(self.university_name)

    @cached_property
    def coordinator(self):
        return member(self.university.organisation, Membership.Role.COORDINATOR, "coordinator")


def people(
    *,
    company_name: str = "Own Co",
    other_company_name: str = "Other Co",
    university_name: str = "Wuhan University",
    outsider_role: str = Membership.Role.COMPANY_MEMBER,
) -> People:
    """One set of people (see `People`); a module whose pages' assertions show its company's
    name passes that name."""
    return People(
        company_name=company_name,
        other_company_name=other_company_name,
        university_name=university_name,
        outsider_role=outsider_role,
    )


def program(kind: str = Program.Kind.COURSE, year: int = 2021) -> Program:
    return Program.objects.get_or_create(
        name=f"Ascend {kind} program", year=year, defaults={"kind": kind}
    )[0]


def site(code: str = "wuhan", **fields) -> Site:
    defaults = {"name": code.title(), "city": code.title()}
    defaults.update(fields)
    return Site.objects.get_or_create(code=code, defaults=defaults)[0]


def accelerator_type(name: str = "sim-h200") -> AcceleratorType:
    return AcceleratorType.objects.get_or_create(
        name=name,
        defaults={
            "vendor": "Simulated",
            "preset": name,
            "peak_tflops": Decimal("51.1"),
            "memory_gib": Decimal("141"),
            "memory_bandwidth_gbps": Decimal("4221"),
            "interconnect_gbps": Decimal("450"),
        },
    )[0]


def accelerator(name: str | None = None, **fields) -> Accelerator:
    defaults = {"site": site(), "accelerator_type": accelerator_type()}
    defaults.update(fields)
    return Accelerator.objects.create(name=name or f"DEV-{next(_counter):04d}", **defaults)


def fleet(count: int = 4, **fields) -> list[Accelerator]:
    """Devices for grants to be approved against: a pool with room (4 × 24 h a day)."""
    return [accelerator(**fields) for _ in range(count)]


def allocation(company: Company, hours: str = "1000", **fields) -> Allocation:
    today = clock.today()
    defaults = {
        "accelerator_type": accelerator_type(),
        "hours_granted": Decimal(hours),
        "device_cap": 4,
        "starts_on": today - dt.timedelta(days=30),
        "ends_on": today + dt.timedelta(days=60),
        "status": Allocation.Status.ACTIVE,
    }
    defaults.update(fields)
    grant = Allocation.objects.create(company=company, **defaults)
    LedgerEntry.objects.create(
        allocation=grant, kind=LedgerEntry.Kind.CREDIT, available=grant.hours_granted, reserved=0
    )
    return grant


def builtin_dataset(name: str = "digits") -> Dataset:
    # Transactional tests flush the rows the data migration made: make them again if needed.
    ensure_builtin_datasets(Dataset)
    return Dataset.objects.get(kind=Dataset.Kind.BUILTIN, builtin_name=name)


def uploaded_dataset(company: Company, name: str = "my data") -> Dataset:
    dataset = Dataset(
        company=company,
        kind=Dataset.Kind.UPLOADED,
        name=name,
        n_samples=10,
        n_features=64,
        classes=list(range(10)),
    )
    dataset.file.save("data.npz", ContentFile(b"placeholder"), save=False)
    dataset.save()
    return dataset


def model_artifact(company: Company, name: str = "mlp") -> ModelArtifact:
    artifact = ModelArtifact(
        company=company,
        name=name,
        format=ModelArtifact.Format.NPZ,
        size_bytes=11,
        sha256="0" * 64,
        input_dim=64,
        classes=list(range(10)),
        layer_summary="64 → 10 (softmax)",
        parameter_count=650,
        flops_per_sample=1280,
    )
    artifact.file.save("model.npz", ContentFile(b"placeholder"), save=False)
    artifact.save()
    return artifact


def job(grant: Allocation, **fields) -> EvaluationJob:
    defaults = {
        "model": fields.pop("model", None) or model_artifact(grant.company, f"m{next(_counter)}"),
        "dataset": fields.pop("dataset", None) or builtin_dataset(),
        "devices_requested": 1,
        "batch_size": 256,
        "estimate_hours": Decimal("0.5"),
    }
    defaults.update(fields)
    status = defaults.get("status", EvaluationJob.Status.QUEUED)
    work = Workload.objects.create(
        allocation=grant,
        devices_requested=defaults["devices_requested"],
        priority=defaults.get("priority", 0),
        estimate_hours=defaults["estimate_hours"],
        status=EvaluationJob.workload_status(status),
        created_at=defaults.get("created_at") or clock.now(),
        scheduled_at=defaults.get("scheduled_at"),
    )
    job = EvaluationJob.objects.create(
        company=grant.company, allocation=grant, workload=work, **defaults
    )
    Workload.objects.filter(pk=work.pk).update(label=job.workload_label)
    return job


def job_set(job: EvaluationJob, **fields) -> None:
    """Put a job (and its workload, in step) into a state, as tests of later steps need."""
    EvaluationJob.objects.filter(pk=job.pk).update(**fields)
    work = {k: v for k, v in fields.items() if k in ("created_at", "scheduled_at", "finished_at")}
    if "status" in fields:
        status = fields["status"]
        work["status"] = EvaluationJob.workload_status(status)
    if work:
        Workload.objects.filter(pk=job.workload_id).update(**work)
