"""The demo's benchmark suites: the center's allocation, three suites, ranked and verified runs.

Every run goes through the real services (submit, schedule, shards, finish) in this process.
"""

import datetime as dt
from decimal import Decimal

from django.core.files.base import ContentFile

from innovation_center.benchmarks import services
from innovation_center.benchmarks.models import Suite
from innovation_center.compute.models import AcceleratorType
from innovation_center.compute.scheduler import schedule_round
from innovation_center.core import clock
from innovation_center.core.errors import ApplicationError
from innovation_center.demo.portal import demo_model_bytes
from innovation_center.evaluation import services as evaluation
from innovation_center.evaluation.builtins import BENCHMARK_DATASETS, ensure_builtin_datasets
from innovation_center.evaluation.models import Dataset, EvaluationJob, ModelArtifact

SUITES = [
    ("digits", "Digits, held out", "digits_holdout", "digits_train"),
    ("synthetic", "Synthetic 64×10, held out", "synthetic_holdout", "synthetic_train"),
    ("breast-cancer", "Breast cancer, held out", "breast_cancer_holdout", "breast_cancer_train"),
]


def _run_now(job: EvaluationJob) -> None:
    schedule_round()
    for index in evaluation.job_start(job_id=job.pk) or []:
        evaluation.shard_execute(job_id=job.pk, index=index, worker="seed_demo")


def seed_benchmarks(*, admin, entrants) -> None:
    """`entrants`: (company, owner, hidden units) whose digits models enter the suites."""
    if Suite.objects.exists():
        return
    ensure_builtin_datasets(Dataset, BENCHMARK_DATASETS)
    device_type = AcceleratorType.objects.filter(preset="sim-h200").first()
    if device_type is None:
        return
    today = clock.today()
    allocation = services.center_allocation_grant(
        actor=admin,
        accelerator_type=device_type,
        hours=Decimal("200"),
        device_cap=4,
        starts_on=today,
        ends_on=today + dt.timedelta(days=365),
        purpose="Benchmark suites and verification runs",
        overcommit_reason="Demo: the center's own benchmark hours.",
    )
    suites = {}
    for slug, name, held_out, training in SUITES:
        suites[slug] = services.suite_save(
            actor=admin,
            name=name,
            slug=slug,
            description=Dataset.objects.get(builtin_name=held_out).description,
            dataset=Dataset.objects.get(builtin_name=held_out),
            training_dataset=Dataset.objects.get(builtin_name=training),
            metric=Suite.Metric.ACCURACY,
            accelerator_type=device_type,
            allocation=allocation,
            devices=2 if slug == "synthetic" else 1,
            batch_size=256,
            weekly_limit=3,
            is_open=True,
        )
    first_job = None
    for company, owner, hidden in entrants:
        company.listed_publicly = True
        company.save(update_fields=["listed_publicly"])
        name = f"digits-mlp-{hidden}"
        model = ModelArtifact.objects.filter(company=company, name=name).first()
        if model is None:
            model = evaluation.model_upload(
                company=company,
                actor=owner,
                name=name,
                upload=ContentFile(demo_model_bytes(hidden_units=hidden), name=f"{name}.npz"),
            )
        try:
            submission = services.suite_submit(
                suite=suites["digits"], company=company, model=model, actor=owner
            )
        except ApplicationError:
            continue
        _run_now(submission.job)
        first_job = first_job or submission.job
    if first_job is not None:
        verification = services.result_verify(job=first_job, actor=admin)
        _run_now(verification.job)
