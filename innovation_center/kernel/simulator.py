"""Simulated accelerators: a roofline model of device time, memory checks, failures, retries.

The real computation runs on the CPU through the kernel; the simulator only decides how long a
device of a given class would have taken, so accelerator-hours can be charged and estimated.

Per micro-batch of ``m`` rows on one device, for each dense layer (in -> out):
    max(2*m*in*out / peak, 4*(m*in + in*out + out + m*out) / bandwidth) + launch_overhead_s
plus one more such step for the softmax/loss/argmax head. Results of several devices are
combined with a ring all-reduce of the confusion matrix and two scalars (int64/float64):
    2*(D-1)/D * bytes / interconnect + 2*(D-1) * interconnect_latency_s, on every device.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from innovation_center.kernel.backend import run_kernel
from innovation_center.kernel.datasets import encode_labels
from innovation_center.kernel.errors import (
    DatasetError,
    DeviceFailed,
    KernelError,
    OutOfDeviceMemory,
)
from innovation_center.kernel.models import ModelSpec, _json_label

GIB = 1024**3


@dataclass(frozen=True)
class AcceleratorSpec:
    """A device class. ``peak_tflops`` is the sustained fp32 dense matrix-product rate and
    ``memory_bandwidth_gbps`` the device copy rate counting reads plus writes (GB = 1e9 B)."""

    name: str
    peak_tflops: float
    memory_gib: float
    memory_bandwidth_gbps: float
    interconnect_gbps: float
    launch_overhead_s: float
    interconnect_latency_s: float = 5e-6
    reserved_memory_gib: float = 0.5
    description: str = ""

    def __post_init__(self) -> None:
        for name in ("peak_tflops", "memory_gib", "memory_bandwidth_gbps", "interconnect_gbps"):
            if not getattr(self, name) > 0:
                raise KernelError("bad_argument", name=name, reason="must be positive")
        if self.launch_overhead_s < 0 or self.interconnect_latency_s < 0:
            raise KernelError("bad_argument", name="overheads", reason="must not be negative")

    @property
    def usable_bytes(self) -> float:
        return (self.memory_gib - self.reserved_memory_gib) * GIB

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AcceleratorSpec:
        return cls(**data)


# Presets. "peak" is what a matrix product sustains, not the datasheet figure: the H200 one is
# measured (calibration/h200-mlp.json); the others scale their datasheets by the H200's measured
# ratios (GEMM 51.1 of 67 TFLOP/s, copy 4221 of 4800 GB/s) and are estimates.
PRESETS: dict[str, AcceleratorSpec] = {
    spec.name: spec
    for spec in (
        AcceleratorSpec(
            name="sim-h200",
            peak_tflops=51.1,
            memory_gib=139.8,
            memory_bandwidth_gbps=4221.0,
            interconnect_gbps=450.0,  # NVLink 4: 900 GB/s both directions.
            launch_overhead_s=50e-6,  # Fitted on the launch-bound digits model (0.25 ms).
            interconnect_latency_s=3e-6,
            description="NVIDIA H200 SXM, fp32, calibrated on a real device",
        ),
        AcceleratorSpec(
            name="sim-a100",
            peak_tflops=14.9,  # 19.5 datasheet.
            memory_gib=80.0,
            memory_bandwidth_gbps=1790.0,  # 2039 datasheet.
            interconnect_gbps=300.0,  # NVLink 3: 600 GB/s both directions.
            launch_overhead_s=50e-6,
            interconnect_latency_s=3e-6,
            description="NVIDIA A100 80 GB SXM, fp32, scaled from the datasheet",
        ),
        AcceleratorSpec(
            name="sim-ascend910",
            peak_tflops=20.0,  # Assumed fp32; the datasheet quotes 256-320 TFLOP/s fp16 only.
            memory_gib=32.0,
            memory_bandwidth_gbps=1050.0,  # 1200 datasheet (HBM2).
            interconnect_gbps=30.0,  # HCCS.
            launch_overhead_s=60e-6,
            interconnect_latency_s=10e-6,
            description="Huawei Ascend 910, fp32 assumed, scaled from the datasheet",
        ),
        AcceleratorSpec(
            name="sim-t4",
            peak_tflops=4.5,  # 8.1 datasheet; a 70 W card throttles under sustained GEMM.
            memory_gib=16.0,
            memory_bandwidth_gbps=280.0,  # 320 datasheet.
            interconnect_gbps=12.0,  # PCIe 3.0 x16, no NVLink.
            launch_overhead_s=40e-6,
            interconnect_latency_s=10e-6,
            description="NVIDIA T4, fp32, scaled from the datasheet",
        ),
    )
}


def get_preset(name: str) -> AcceleratorSpec:
    try:
        return PRESETS[name]
    except KeyError:
        raise KernelError(
            "bad_argument", name="device class", reason=f"{name!r} is not one of {sorted(PRESETS)}"
        ) from None


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


# ------------------------------------------------------------------------------ roofline


def _step_seconds(*, model: ModelSpec, rows: int, spec: AcceleratorSpec) -> float:
    """Device time of one micro-batch of ``rows`` through the whole network."""
    if rows <= 0:
        return 0.0
    peak = spec.peak_tflops * 1e12
    bandwidth = spec.memory_bandwidth_gbps * 1e9
    seconds = 0.0
    for layer in model.layers:
        flops = 2.0 * rows * layer.inputs * layer.outputs
        moved = 4.0 * (
            rows * layer.inputs + layer.weight.size + layer.outputs + rows * layer.outputs
        )
        seconds += max(flops / peak, moved / bandwidth) + spec.launch_overhead_s
    classes = model.output_dim
    head_flops = 5.0 * rows * classes
    head_bytes = 4.0 * rows * classes + 8.0 * rows
    return seconds + max(head_flops / peak, head_bytes / bandwidth) + spec.launch_overhead_s


def shard_device_seconds(
    *, model: ModelSpec, n_samples: int, spec: AcceleratorSpec, batch_size: int
) -> float:
    """Simulated seconds for ``n_samples`` rows in micro-batches of ``batch_size`` rows."""
    batch_size = max(1, min(batch_size, n_samples)) if n_samples else 1
    full, remainder = divmod(n_samples, batch_size)
    seconds = full * _step_seconds(model=model, rows=batch_size, spec=spec)
    return seconds + _step_seconds(model=model, rows=remainder, spec=spec)


def allreduce_seconds(*, n_classes: int, specs: list[AcceleratorSpec]) -> float:
    """Ring all-reduce of the confusion matrix, loss sum and count, on the slowest link."""
    count = len(specs)
    if count <= 1:
        return 0.0
    payload = 8.0 * (n_classes * n_classes + 2)
    bandwidth = min(spec.interconnect_gbps for spec in specs) * 1e9
    latency = max(spec.interconnect_latency_s for spec in specs)
    return 2 * (count - 1) / count * payload / bandwidth + 2 * (count - 1) * latency


def memory_needed_bytes(*, model: ModelSpec, batch_size: int) -> int:
    """Weights plus the widest pair of consecutive activations for one micro-batch."""
    widest_pair = max(layer.inputs + layer.outputs for layer in model.layers)
    return model.weight_bytes + 4 * batch_size * widest_pair


def max_batch_that_fits(*, model: ModelSpec, spec: AcceleratorSpec) -> int:
    widest_pair = max(layer.inputs + layer.outputs for layer in model.layers)
    free = spec.usable_bytes - model.weight_bytes
    return max(0, int(free // (4 * widest_pair)))


def check_memory(
    *,
    model: ModelSpec,
    spec: AcceleratorSpec,
    per_device_batch: int,
    global_batch: int,
    devices: int,
) -> None:
    """Raise OutOfDeviceMemory, saying what would fit, if a micro-batch does not fit."""
    need = memory_needed_bytes(model=model, batch_size=per_device_batch)
    if need <= spec.usable_bytes:
        return
    have_gib = spec.usable_bytes / GIB
    fits = max_batch_that_fits(model=model, spec=spec)
    if fits == 0:
        raise OutOfDeviceMemory(
            "weights_exceed_device_memory",
            need_gib=model.weight_bytes / GIB,
            have_gib=have_gib,
            device=spec.name,
        )
    advice = (
        f"Use a batch size of at most {fits * devices} with {devices} device(s), "
        f"or at least {math.ceil(global_batch / fits)} devices for a batch size of "
        f"{global_batch}."
    )
    raise OutOfDeviceMemory(
        batch=per_device_batch,
        need_gib=need / GIB,
        have_gib=have_gib,
        device=spec.name,
        advice=advice,
        max_batch_per_device=fits,
    )


def estimate_device_seconds(
    *,
    model: ModelSpec,
    n_samples: int,
    spec: AcceleratorSpec,
    devices: int = 1,
    batch_size: int | None = None,
) -> float:
    """Device-seconds (summed over devices) that ``evaluate`` will charge without failures.

    ``batch_size`` is the global batch split across devices (default: each device's whole
    shard at once). Raises OutOfDeviceMemory when a micro-batch would not fit.
    """
    if devices < 1:
        raise KernelError("no_devices")
    shards = [len(part) for part in np.array_split(np.arange(n_samples), devices)]
    per_device = _per_device_batch(batch_size=batch_size, devices=devices, largest=max(shards))
    check_memory(
        model=model,
        spec=spec,
        per_device_batch=per_device,
        global_batch=batch_size or n_samples,
        devices=devices,
    )
    total = sum(
        shard_device_seconds(model=model, n_samples=rows, spec=spec, batch_size=per_device)
        for rows in shards
    )
    return total + devices * allreduce_seconds(n_classes=model.n_classes, specs=[spec] * devices)


def _per_device_batch(*, batch_size: int | None, devices: int, largest: int) -> int:
    if batch_size is None:
        return max(1, largest)
    if batch_size < 1:
        raise KernelError("bad_argument", name="batch_size", reason="must be at least 1")
    return max(1, math.ceil(batch_size / devices))


# -------------------------------------------------------------------------------- results


@dataclass
class ShardResult:
    """One shard's counts and device time; JSON-safe via to_dict/from_dict."""

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
    time, the slowest device incl. all-reduce); ``wall_*`` figures are the real CPU run."""

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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvaluationResult:
        return cls(**data)


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
    per_device = _per_device_batch(batch_size=batch_size, devices=1, largest=rows)
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
    )


def combine(
    shard_results: list[ShardResult],
    *,
    classes: list[Any] | tuple[Any, ...] | None = None,
    wall_seconds: float | None = None,
) -> EvaluationResult:
    """Sum shard results (in shard order) and add the all-reduce to every device.

    ``wall_seconds`` defaults to the sum of the shards' wall times (shards run one by one).
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
                "wall_seconds": 0.0,
            },
        )
        entry["shards"].append(result.shard_index)
        entry["samples"] += result.samples
        entry["compute_seconds"] += result.device_seconds
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
            }
        )
    device_seconds = {entry["device_id"]: entry["device_seconds"] for entry in per_device}
    simulated = max(device_seconds.values())
    wall = sum(r.wall_seconds for r in ordered) if wall_seconds is None else wall_seconds
    class_list = (
        [_json_label(c) for c in classes] if classes is not None else list(range(n_classes))
    )
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
    per_device = _per_device_batch(
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
