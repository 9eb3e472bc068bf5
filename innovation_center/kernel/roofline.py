"""Roofline model of simulated accelerators: device classes, device time and memory checks.

The real computation runs on the CPU through the kernel; this only decides how long a device of
a given class would have taken, so accelerator-hours can be charged and estimated.

Per micro-batch of ``m`` rows on one device, for each dense layer (in -> out):
    max(2*m*in*out / peak, 4*(m*in + in*out + out + m*out) / bandwidth) + launch_overhead_s
plus one more such step for the softmax/loss/argmax head. Results of several devices are
combined with a ring all-reduce of the confusion matrix and two scalars (int64/float64):
    2*(D-1)/D * bytes / interconnect + 2*(D-1) * interconnect_latency_s, on every device.

Power and energy. Each step above (a layer's matrix product on a micro-batch, or the head) has
a flop_time (flops / peak) and a memory_time (bytes / bandwidth); it takes
    step_time = busy + launch_overhead_s,  busy = max(flop_time, memory_time)
and the device draws
    P = board_power_w * (IDLE_POWER_FRACTION + (1 - IDLE_POWER_FRACTION) * u),
    u = flop_time / step_time
u says how close the step comes to the compute roofline, so a launch-bound or memory-bound
step draws less than full board power. A shard's energy is the sum over its steps of
step_time * P; the all-reduce (added by results.combine) runs at idle power,
board_power_w * IDLE_POWER_FRACTION. A spec with board_power_w = 0 uses no energy.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from innovation_center.kernel.errors import KernelError, OutOfDeviceMemory
from innovation_center.kernel.model import ModelSpec

GIB = 1024**3
# The largest global batch the simulator takes: a job row stores it as a 32-bit integer, and
# no device holds a micro-batch anywhere near it. Callers may refuse less (the portal does).
MAX_BATCH_SIZE = 2**31 - 1
# Share of board power a device draws when busy with no arithmetic (launches, memory, idle).
IDLE_POWER_FRACTION = 0.3


@dataclass(frozen=True)
class AcceleratorSpec:
    """A device class. ``peak_tflops`` is the sustained fp32 dense matrix-product rate and
    ``memory_bandwidth_gbps`` the device copy rate counting reads plus writes (GB = 1e9 B).
    ``board_power_w`` is the vendor's published board power / TDP of the class (0: unknown,
    no energy is reported) and ``power_source`` where that figure comes from."""

    name: str
    peak_tflops: float
    memory_gib: float
    memory_bandwidth_gbps: float
    interconnect_gbps: float
    launch_overhead_s: float
    interconnect_latency_s: float = 5e-6
    reserved_memory_gib: float = 0.5
    description: str = ""
    board_power_w: float = 0.0
    power_source: str = ""

    def __post_init__(self) -> None:
        for name in ("peak_tflops", "memory_gib", "memory_bandwidth_gbps", "interconnect_gbps"):
            if not getattr(self, name) > 0:
                raise KernelError("bad_argument", name=name, reason="must be positive")
        if self.launch_overhead_s < 0 or self.interconnect_latency_s < 0:
            raise KernelError("bad_argument", name="overheads", reason="must not be negative")
        if not (math.isfinite(self.board_power_w) and self.board_power_w >= 0):
            raise KernelError("bad_argument", name="board_power_w", reason="must be 0 or more")

    @property
    def usable_bytes(self) -> float:
        return (self.memory_gib - self.reserved_memory_gib) * GIB

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AcceleratorSpec:
        """The inverse of to_dict; dicts stored before the power fields get 0 W and ""."""
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
            board_power_w=700.0,
            power_source="NVIDIA H200 SXM datasheet: up to 700 W TDP",
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
            board_power_w=400.0,
            power_source="NVIDIA A100 80GB SXM datasheet: 400 W TDP",
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
            board_power_w=310.0,
            power_source="Huawei Ascend 910 datasheet: 310 W max power",
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
            board_power_w=70.0,
            power_source="NVIDIA T4 datasheet: 70 W TDP",
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


def _steps(*, model: ModelSpec, rows: int, spec: AcceleratorSpec):
    """``(flop_time, memory_time)`` of each step of one micro-batch: every layer, then the head."""
    peak = spec.peak_tflops * 1e12
    bandwidth = spec.memory_bandwidth_gbps * 1e9
    for layer in model.layers:
        flops = 2.0 * rows * layer.inputs * layer.outputs
        moved = 4.0 * (
            rows * layer.inputs + layer.weight.size + layer.outputs + rows * layer.outputs
        )
        yield flops / peak, moved / bandwidth
    classes = model.output_dim
    head_flops = 5.0 * rows * classes
    head_bytes = 4.0 * rows * classes + 8.0 * rows
    yield head_flops / peak, head_bytes / bandwidth


def _step_seconds(*, model: ModelSpec, rows: int, spec: AcceleratorSpec) -> float:
    """Device time of one micro-batch of ``rows`` through the whole network."""
    if rows <= 0:
        return 0.0
    *layers, (head_flop, head_memory) = _steps(model=model, rows=rows, spec=spec)
    seconds = 0.0
    for flop_time, memory_time in layers:
        seconds += max(flop_time, memory_time) + spec.launch_overhead_s
    # Summed in this order since 1.x, so device-seconds are bit-for-bit what they were.
    return seconds + max(head_flop, head_memory) + spec.launch_overhead_s


def step_power_watts(*, flop_time: float, memory_time: float, spec: AcceleratorSpec) -> float:
    """Board power drawn during one step (see the module docstring)."""
    step_time = max(flop_time, memory_time) + spec.launch_overhead_s
    utilisation = flop_time / step_time if step_time > 0 else 0.0
    return spec.board_power_w * (IDLE_POWER_FRACTION + (1.0 - IDLE_POWER_FRACTION) * utilisation)


def _step_joules(*, model: ModelSpec, rows: int, spec: AcceleratorSpec) -> float:
    """Energy of one micro-batch of ``rows`` through the whole network."""
    if rows <= 0 or spec.board_power_w == 0:
        return 0.0
    joules = 0.0
    for flop_time, memory_time in _steps(model=model, rows=rows, spec=spec):
        step_time = max(flop_time, memory_time) + spec.launch_overhead_s
        power = step_power_watts(flop_time=flop_time, memory_time=memory_time, spec=spec)
        joules += step_time * power
    return joules


def _micro_batches(*, n_samples: int, batch_size: int) -> tuple[int, int, int]:
    """``(batch rows, full micro-batches, remainder rows)`` of a shard."""
    batch_size = max(1, min(batch_size, n_samples)) if n_samples else 1
    full, remainder = divmod(n_samples, batch_size)
    return batch_size, full, remainder


def shard_device_seconds(
    *, model: ModelSpec, n_samples: int, spec: AcceleratorSpec, batch_size: int
) -> float:
    """Simulated seconds for ``n_samples`` rows in micro-batches of ``batch_size`` rows."""
    batch_size, full, remainder = _micro_batches(n_samples=n_samples, batch_size=batch_size)
    seconds = full * _step_seconds(model=model, rows=batch_size, spec=spec)
    return seconds + _step_seconds(model=model, rows=remainder, spec=spec)


def shard_energy_joules(
    *, model: ModelSpec, n_samples: int, spec: AcceleratorSpec, batch_size: int
) -> float:
    """Simulated board energy (J) of the steps ``shard_device_seconds`` counts (no all-reduce)."""
    batch_size, full, remainder = _micro_batches(n_samples=n_samples, batch_size=batch_size)
    joules = full * _step_joules(model=model, rows=batch_size, spec=spec)
    return joules + _step_joules(model=model, rows=remainder, spec=spec)


def allreduce_joules(*, seconds: float, spec: AcceleratorSpec) -> float:
    """Energy of ``seconds`` of all-reduce on one device: idle power."""
    return seconds * spec.board_power_w * IDLE_POWER_FRACTION


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
        f"or at least {-(-global_batch // fits)} devices for a batch size of "
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
    per_device = per_device_batch(batch_size=batch_size, devices=devices, largest=max(shards))
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


def per_device_batch(*, batch_size: int | None, devices: int, largest: int) -> int:
    """Each device's micro-batch: the global batch split evenly (default: the largest shard).

    Raises KernelError for a batch below 1 or above MAX_BATCH_SIZE.
    """
    if batch_size is None:
        return max(1, largest)
    if batch_size < 1:
        raise KernelError("bad_argument", name="batch_size", reason="must be at least 1")
    if batch_size > MAX_BATCH_SIZE:
        raise KernelError("batch_size_too_large", batch_size=batch_size, limit=MAX_BATCH_SIZE)
    # Integer division: a float quotient overflows for batch sizes no float can hold.
    return max(1, -(-batch_size // devices))
