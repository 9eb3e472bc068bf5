"""Reproducible by construction: what a result records, and when two results agree.

A result keeps everything a second run needs to give the same figures: the content hashes of
the model and the data set (SHA-256 of the stored bytes; a built-in set is hashed from its
arrays), the kernel's implementation and version, the device class with its figures, the batch
size, the device count, the rows of each shard and the seed of anything random (the split or
generation seed of a built-in set; none otherwise: evaluation itself draws no random numbers).

Two runs agree when their accuracy is exactly the same (the same number of correct rows out of
the same rows) and their mean loss is within LOSS_RELATIVE_TOLERANCE of each other: the order
in which the devices' partial sums are added may move the last bits, nothing more.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from innovation_center import kernel
from innovation_center.evaluation import runtime

LOSS_RELATIVE_TOLERANCE = 1e-6


@functools.lru_cache(maxsize=16)
def _builtin_sha256(name: str) -> str:
    return kernel.dataset_sha256(kernel.load_builtin(name))


def dataset_sha256(dataset) -> str:
    """The data set's content hash: its stored file's, or a built-in set's arrays'."""
    if dataset.builtin_name:
        return _builtin_sha256(dataset.builtin_name)
    if dataset.sha256:
        return dataset.sha256
    with dataset.file.open("rb") as handle:
        return runtime.sha256(handle.read())


def record(*, job, spec: kernel.AcceleratorSpec, device_class: str, shards) -> dict:
    """The reproducibility record of `job`, run on `spec` in `shards` (JobShard rows)."""
    dataset = job.dataset
    return {
        "model_sha256": job.model.sha256,
        "dataset_sha256": dataset_sha256(dataset),
        "dataset": {
            "name": dataset.name,
            "builtin_name": dataset.builtin_name,
            "samples": dataset.n_samples,
            "features": dataset.n_features,
        },
        "kernel": kernel.provenance_of_implementation(),
        "device": {"class": device_class, "figures": spec.to_dict()},
        "devices": job.devices_requested,
        "batch_size": job.batch_size,
        "shards": [[s.row_start, s.row_stop] for s in sorted(shards, key=lambda s: s.index)],
        "seed": kernel.BUILTIN_SEEDS.get(dataset.builtin_name) if dataset.builtin_name else None,
    }


@dataclass(frozen=True)
class Agreement:
    agrees: bool
    same_inputs: bool
    accuracy_difference: float  # rerun minus original, in fractions of 1
    loss_relative_difference: float

    @property
    def accuracy_points(self) -> float:
        return 100 * self.accuracy_difference


def loss_relative_difference(a: float, b: float) -> float:
    scale = max(abs(a), abs(b))
    return 0.0 if scale == 0 else abs(a - b) / scale


def compare(original, rerun) -> Agreement:
    """Do two JobResults agree (exact accuracy, loss to 1e-6 relative) on the same inputs?"""
    keys = ("model_sha256", "dataset_sha256")
    same_inputs = all(
        original.provenance.get(k) and original.provenance.get(k) == rerun.provenance.get(k)
        for k in keys
    )
    loss = loss_relative_difference(original.mean_loss, rerun.mean_loss)
    exact = original.samples == rerun.samples and original.correct == rerun.correct
    return Agreement(
        agrees=same_inputs and exact and loss <= LOSS_RELATIVE_TOLERANCE,
        same_inputs=same_inputs,
        accuracy_difference=rerun.accuracy - original.accuracy,
        loss_relative_difference=loss,
    )
