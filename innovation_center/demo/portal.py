"""The demo company's portal: the built-in data sets, a model and one finished evaluation."""

import functools
import io

import numpy as np
from django.core.files.base import ContentFile

from innovation_center import kernel
from innovation_center.compute.models import Allocation
from innovation_center.compute.scheduler import schedule_round
from innovation_center.demo.common import SEED
from innovation_center.evaluation import services as evaluation
from innovation_center.evaluation.builtins import ensure_builtin_datasets
from innovation_center.evaluation.models import Dataset, ModelArtifact

DEMO_MODEL = "digits-mlp"


def seed_datasets() -> None:
    """The built-in benchmark sets every company may evaluate on, the demo job's among them."""
    ensure_builtin_datasets(Dataset)


@functools.cache
def _digits():
    # Loading the data set takes a while; the seed's demo models are all fitted on it.
    return kernel.load_builtin("digits")


def demo_model_bytes(*, hidden_units: int = 32, seed: int = SEED) -> bytes:
    """A 64-`hidden_units`-10 MLP for scikit-learn's digits, saved by the kernel: a random
    ReLU layer and a least-squares readout, deterministic and good enough to show real
    results (about 90% accuracy with 32 units)."""
    digits = _digits()
    rng = np.random.default_rng(seed)
    hidden = rng.normal(0, 0.1, (64, hidden_units)).astype(np.float32)
    features = np.maximum(digits.X @ hidden, 0)
    targets = np.eye(10, dtype=np.float32)[digits.y.astype(int)]
    readout, *_rest = np.linalg.lstsq(features, targets, rcond=None)
    buffer = io.BytesIO()
    kernel.save_npz_model(
        path=buffer,
        weights=[hidden, (readout * 4).astype(np.float32)],
        biases=[np.zeros(hidden_units, np.float32), np.zeros(10, np.float32)],
        activations=["relu", "softmax"],
        classes=list(range(10)),
    )
    return buffer.getvalue()


def seed_portal(*, company, owner) -> None:
    """A model and one finished evaluation for the demo company, so its portal is not empty.

    The job goes through the real services (submit, schedule, shards, finish) in this process.
    """
    if ModelArtifact.objects.filter(company=company, name=DEMO_MODEL).exists():
        return
    allocation = (
        Allocation.objects.filter(company=company, status=Allocation.Status.ACTIVE)
        .order_by("-hours_granted")
        .first()
    )
    if allocation is None:
        return
    model = evaluation.model_upload(
        company=company,
        actor=owner,
        name=DEMO_MODEL,
        upload=ContentFile(demo_model_bytes(), name="digits-mlp.npz"),
    )
    job = evaluation.job_submit(
        company=company,
        actor=owner,
        model=model,
        dataset=Dataset.objects.get(kind=Dataset.Kind.BUILTIN, builtin_name="digits"),
        allocation=allocation,
        devices=min(2, allocation.device_cap),
        batch_size=256,
    )
    schedule_round()
    for index in evaluation.job_start(job_id=job.pk) or []:
        evaluation.shard_execute(job_id=job.pk, index=index, worker="seed_demo")
