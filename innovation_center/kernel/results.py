"""Evaluation on simulated devices: shards, failures and retries, and combining the results.

Each shard runs on the CPU through the kernel (backend.run_kernel); its device time comes from
the roofline model. ``evaluate`` runs a whole job in one process; a worker runs
``evaluate_shard`` per shard and ``combine`` sums the JSON-safe shard results.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from innovation_center.kernel.backend import run_kernel
from innovation_center.kernel.datasets import encode_labels
from innovation_center.kernel.errors import DatasetError, DeviceFailed, KernelError
from innovation_center.kernel.labels import json_label
from innovation_center.kernel.model import ModelSpec
from innovation_center.kernel.roofline import (
    AcceleratorSpec,
    allreduce_joules,
    allreduce_seconds,
    check_memory,
    per_device_batch,
    shard_device_seconds,
    shard_energy_joules,
)


@dataclass
class DeviceHandle:
    """One simulated device. ``fail()`` marks it failed (tests and staff drills)."""

    device_id: str
    spec: AcceleratorSpec
    failed: bool = False

    def fail(self) -> None:
        self.failed = True

    def to_dict(self) -> dict[str, Any]:
        return {"device_id": self.device_id, "spec": self.spec.to_dict(), "failed": self.failed}


@dataclass
class ShardResult:
    """One shard's counts, device time and energy; JSON-safe via to_dict/from_dict.

    ``energy_joules`` is the simulated board energy of the shard's steps (no all-reduce); a
    dict stored before it existed reads as 0.0.
    """

    shard_index: int
    device_id: str
    spec: AcceleratorSpec
    samples: int
    correct: int
    loss_sum: float
    confusion: list[list[int]]
    device_seconds: float
    wall_seconds: float
    flops: float
    implementation: str
    failed_attempts: list[str] = field(default_factory=list)
    energy_joules: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["spec"] = self.spec.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ShardResult:
        values = dict(data)
        values["spec"] = AcceleratorSpec.from_dict(values["spec"])
        return cls(**values)


@dataclass
class EvaluationResult:
    """Combined result. ``samples_per_s`` is simulated (samples over the simulated elapsed
    time, the slowest device incl. all-reduce); ``wall_*`` figures are the real CPU run.
    ``energy_joules_total`` is the simulated board energy of every device, all-reduce included.
    """

    accuracy: float
    mean_loss: float
    confusion_matrix: list[list[int]]
    classes: list[Any]
    samples: int
    correct: int
    samples_per_s: float
    simulated_seconds: float
    device_seconds_total: float
    device_seconds: dict[str, float]
    wall_seconds: float
    wall_samples_per_s: float
    per_device: list[dict[str, Any]]
    retries: list[dict[str, Any]]
    implementation: str
    energy_joules_total: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _as_device(device: DeviceHandle | AcceleratorSpec, *, index: int = 0) -> DeviceHandle:
    if isinstance(device, DeviceHandle):
        return device
    if isinstance(device, AcceleratorSpec):
        return DeviceHandle(device_id=f"{device.name}-{index}", spec=device)
    raise KernelError("bad_argument", name="devices", reason="expected DeviceHandle or spec")


def evaluate_shard(
    *,
    model: ModelSpec,
    X: np.ndarray,
    y: np.ndarray,
    device: DeviceHandle | AcceleratorSpec,
    batch_size: int | None = None,
    shard_index: int = 0,
    failed: bool = False,
    implementation: str | None = None,
    n_threads: int = 0,
) -> ShardResult:
    """Evaluate one shard on one device; ``batch_size`` is this device's micro-batch.

    Validates features and labels against the model, refuses a micro-batch that does not fit
    (OutOfDeviceMemory) and raises DeviceFailed if the device is failed (or ``failed``), all
    before computing. ``y`` holds labels, not indices.
    """
    handle = _as_device(device)
    X = np.asarray(X)
    y_index = encode_labels(
        dataset_X=X, y=np.asarray(y), input_dim=model.input_dim, classes=model.classes
    )
    rows = int(X.shape[0])
    per_device = per_device_batch(batch_size=batch_size, devices=1, largest=rows)
    check_memory(
        model=model,
        spec=handle.spec,
        per_device_batch=per_device,
        global_batch=per_device,
        devices=1,
    )
    if failed or handle.failed:
        raise DeviceFailed(device_id=handle.device_id, device=handle.spec.name, shard=shard_index)
    started = time.perf_counter()
    loss_sum, correct, confusion, name = run_kernel(
        model=model, X=X, y_index=y_index, implementation=implementation, n_threads=n_threads
    )
    wall = time.perf_counter() - started
    return ShardResult(
        shard_index=shard_index,
        device_id=handle.device_id,
        spec=handle.spec,
        samples=rows,
        correct=correct,
        loss_sum=loss_sum,
        confusion=confusion.tolist(),
        device_seconds=shard_device_seconds(
            model=model, n_samples=rows, spec=handle.spec, batch_size=per_device
        ),
        wall_seconds=wall,
        flops=float(rows) * model.flops_per_sample,
        implementation=name,
        energy_joules=shard_energy_joules(
            model=model, n_samples=rows, spec=handle.spec, batch_size=per_device
        ),
    )


def combine(
    shard_results: list[ShardResult],
    *,
    classes: list[Any] | tuple[Any, ...] | None = None,
    wall_seconds: float | None = None,
) -> EvaluationResult:
    """Sum shard results (in shard order) and add the all-reduce to every device.

    Each device's energy is its shards' energy plus the all-reduce at idle power
    (roofline.IDLE_POWER_FRACTION of its board power). ``wall_seconds`` defaults to the sum
    of the shards' wall times (shards run one by one).
    """
    if not shard_results:
        raise KernelError("bad_argument", name="shard_results", reason="no shard results")
    ordered = sorted(shard_results, key=lambda result: result.shard_index)
    n_classes = len(ordered[0].confusion)
    confusion = np.zeros((n_classes, n_classes), dtype=np.int64)
    samples = correct = 0
    loss_sum = 0.0
    devices: dict[str, dict[str, Any]] = {}
    retries: list[dict[str, Any]] = []
    implementations = set()
    for result in ordered:
        confusion += np.asarray(result.confusion, dtype=np.int64)
        samples += result.samples
        correct += result.correct
        loss_sum += result.loss_sum
        implementations.add(result.implementation)
        entry = devices.setdefault(
            result.device_id,
            {
                "device_id": result.device_id,
                "device_class": result.spec.name,
                "spec": result.spec,
                "shards": [],
                "samples": 0,
                "compute_seconds": 0.0,
                "compute_joules": 0.0,
                "wall_seconds": 0.0,
            },
        )
        entry["shards"].append(result.shard_index)
        entry["samples"] += result.samples
        entry["compute_seconds"] += result.device_seconds
        entry["compute_joules"] += result.energy_joules
        entry["wall_seconds"] += result.wall_seconds
        for failed_id in result.failed_attempts:
            retries.append(
                {
                    "shard": result.shard_index,
                    "failed_device": failed_id,
                    "retried_on": result.device_id,
                }
            )
    reduce = allreduce_seconds(
        n_classes=n_classes, specs=[entry["spec"] for entry in devices.values()]
    )
    per_device = []
    for entry in devices.values():
        total = entry["compute_seconds"] + reduce
        joules = entry["compute_joules"] + allreduce_joules(seconds=reduce, spec=entry["spec"])
        per_device.append(
            {
                "device_id": entry["device_id"],
                "device_class": entry["device_class"],
                "shards": entry["shards"],
                "samples": entry["samples"],
                "compute_seconds": entry["compute_seconds"],
                "allreduce_seconds": reduce,
                "device_seconds": total,
                "wall_seconds": entry["wall_seconds"],
                "energy_joules": joules,
            }
        )
    device_seconds = {entry["device_id"]: entry["device_seconds"] for entry in per_device}
    simulated = max(device_seconds.values())
    wall = sum(r.wall_seconds for r in ordered) if wall_seconds is None else wall_seconds
    class_list = [json_label(c) for c in classes] if classes is not None else list(range(n_classes))
    return EvaluationResult(
        accuracy=correct / samples if samples else 0.0,
        mean_loss=loss_sum / samples if samples else 0.0,
        confusion_matrix=confusion.tolist(),
        classes=class_list,
        samples=samples,
        correct=correct,
        samples_per_s=samples / simulated if simulated > 0 else 0.0,
        simulated_seconds=simulated,
        device_seconds_total=sum(device_seconds.values()),
        device_seconds=device_seconds,
        wall_seconds=wall,
        wall_samples_per_s=samples / wall if wall > 0 else 0.0,
        per_device=per_device,
        retries=retries,
        implementation="+".join(sorted(implementations)),
        energy_joules_total=sum(entry["energy_joules"] for entry in per_device),
    )


def evaluate(
    *,
    model: ModelSpec,
    X: np.ndarray,
    y: np.ndarray,
    devices: list[DeviceHandle | AcceleratorSpec],
    batch_size: int | None = None,
    failed_devices: set[str] | frozenset[str] = frozenset(),
    implementation: str | None = None,
    n_threads: int = 0,
) -> EvaluationResult:
    """Evaluate data-parallel: one contiguous shard per device, each global batch of
    ``batch_size`` split evenly across the devices (default: whole shards at once).

    Everything is validated before computing (labels, features, memory for every device
    class). A failed device's shard is retried on the healthy device with the least simulated
    time so far; if every device has failed, DeviceFailed (``no_healthy_device``) is raised.
    Shards run one after another, each spread over all cores by the kernel.
    """
    if not devices:
        raise KernelError("no_devices")
    handles = [_as_device(device, index=index) for index, device in enumerate(devices)]
    if len({handle.device_id for handle in handles}) != len(handles):
        raise KernelError("bad_argument", name="devices", reason="device ids must be unique")
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[0] == 0:
        raise DatasetError("dataset_empty")
    encode_labels(dataset_X=X, y=y, input_dim=model.input_dim, classes=model.classes)
    count = len(handles)
    boundaries = np.array_split(np.arange(X.shape[0]), count)
    per_device = per_device_batch(
        batch_size=batch_size, devices=count, largest=max(len(b) for b in boundaries)
    )
    for spec in {handle.spec for handle in handles}:
        check_memory(
            model=model,
            spec=spec,
            per_device_batch=per_device,
            global_batch=batch_size or X.shape[0],
            devices=count,
        )
    failed = {h.device_id for h in handles if h.failed or h.device_id in failed_devices}
    busy = {handle.device_id: 0.0 for handle in handles}
    results: list[ShardResult] = []
    started = time.perf_counter()
    for shard_index, (handle, rows) in enumerate(zip(handles, boundaries, strict=True)):
        if len(rows) == 0:
            continue
        attempts: list[str] = []
        target = handle
        while target.device_id in failed:
            attempts.append(target.device_id)
            healthy = [h for h in handles if h.device_id not in failed]
            if not healthy:
                raise DeviceFailed(
                    "no_healthy_device", shard=shard_index, failed=", ".join(sorted(failed))
                )
            target = min(healthy, key=lambda h: (busy[h.device_id], handles.index(h)))
        start, stop = int(rows[0]), int(rows[-1]) + 1
        result = evaluate_shard(
            model=model,
            X=X[start:stop],
            y=y[start:stop],
            device=target,
            batch_size=per_device,
            shard_index=shard_index,
            implementation=implementation,
            n_threads=n_threads,
        )
        result.failed_attempts = attempts
        busy[target.device_id] += result.device_seconds
        results.append(result)
    wall = time.perf_counter() - started
    return combine(results, classes=list(model.classes), wall_seconds=wall)
