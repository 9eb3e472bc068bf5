"""Energy per shard: the power model by hand, presets' board power, combining, old payloads."""

import json

import numpy as np
import pytest

from innovation_center import kernel
from innovation_center.kernel import (
    IDLE_POWER_FRACTION,
    PRESETS,
    AcceleratorSpec,
    DeviceHandle,
    KernelError,
    ShardResult,
    build_model,
    combine,
    evaluate,
    evaluate_shard,
    shard_device_seconds,
    shard_energy_joules,
)

from .conftest import random_layers


def _model(dims, seed=0):
    rng = np.random.default_rng(seed)
    activations = ["relu"] * (len(dims) - 2) + ["softmax"]
    return build_model(layers=random_layers(rng=rng, dims=dims, activations=activations))


def test_the_kernel_says_its_version():
    assert kernel.__version__ == "2.0.0"
    assert kernel.KERNEL_VERSION == kernel.__version__
    assert kernel.provenance_of_implementation() == {
        "implementation": kernel.IMPLEMENTATION,
        "version": "2.0.0",
    }
    assert {"KERNEL_VERSION", "__version__", "provenance_of_implementation"} <= set(kernel.__all__)


@pytest.mark.parametrize(
    ("name", "watts", "source"),
    [
        ("sim-h200", 700.0, "NVIDIA H200 SXM datasheet: up to 700 W TDP"),
        ("sim-a100", 400.0, "NVIDIA A100 80GB SXM datasheet: 400 W TDP"),
        ("sim-ascend910", 310.0, "Huawei Ascend 910 datasheet: 310 W max power"),
        ("sim-t4", 70.0, "NVIDIA T4 datasheet: 70 W TDP"),
    ],
)
def test_presets_carry_the_vendors_board_power(name, watts, source):
    assert PRESETS[name].board_power_w == watts
    assert PRESETS[name].power_source == source
    assert AcceleratorSpec.from_dict(PRESETS[name].to_dict()) == PRESETS[name]


def test_the_energy_of_one_shard_is_the_arithmetic_of_docs_kernel_md():
    # 4 -> 8 (relu) -> 3 (softmax), 10 rows in one micro-batch on an H200:
    # 51.1e12 FLOP/s, 4221e9 B/s, 50 us launch, 700 W board, idle share 0.3.
    model = _model([4, 8, 3])
    X = np.random.default_rng(1).standard_normal((10, 4)).astype(np.float32)
    y = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 0])
    peak, bandwidth, launch, board, idle = 51.1e12, 4221e9, 50e-6, 700.0, 0.3
    # Layer 4 -> 8: 2*10*4*8 = 640 FLOP; 4*(10*4 + 4*8 + 8 + 10*8) = 640 bytes.
    # Layer 8 -> 3: 2*10*8*3 = 480 FLOP; 4*(10*8 + 8*3 + 3 + 10*3) = 548 bytes.
    # Head, 3 classes: 5*10*3 = 150 FLOP; 4*10*3 + 8*10 = 200 bytes.
    steps = [
        (640 / peak, 640 / bandwidth),
        (480 / peak, 548 / bandwidth),
        (150 / peak, 200 / bandwidth),
    ]
    seconds = joules = 0.0
    for flop_time, memory_time in steps:
        step_time = max(flop_time, memory_time) + launch  # Memory-bound: the bytes win here.
        utilisation = flop_time / step_time
        power = board * (idle + (1 - idle) * utilisation)
        seconds += step_time
        joules += step_time * power
    # About three launches at idle power: 3 * 50e-6 s * 210 W = 0.0315 J.
    assert joules == pytest.approx(0.0315, rel=1e-3)

    result = evaluate_shard(model=model, X=X, y=y, device=PRESETS["sim-h200"], batch_size=10)

    assert IDLE_POWER_FRACTION == idle
    assert result.device_seconds == pytest.approx(seconds, rel=1e-12)
    assert result.energy_joules == pytest.approx(joules, rel=1e-9)
    assert result.energy_joules == shard_energy_joules(
        model=model, n_samples=10, spec=PRESETS["sim-h200"], batch_size=10
    )


def test_micro_batches_add_up_like_device_seconds():
    model = _model([16, 32, 5])
    spec = PRESETS["sim-a100"]
    one = shard_energy_joules(model=model, n_samples=100, spec=spec, batch_size=100)
    split = shard_energy_joules(model=model, n_samples=250, spec=spec, batch_size=100)
    half = shard_energy_joules(model=model, n_samples=50, spec=spec, batch_size=50)
    assert split == pytest.approx(2 * one + half, rel=1e-12)
    assert shard_energy_joules(model=model, n_samples=0, spec=spec, batch_size=1) == 0.0


def test_a_launch_bound_shard_draws_less_power_than_a_compute_bound_one():
    spec = PRESETS["sim-h200"]
    tiny, wide = _model([4, 3]), _model([1024, 1024, 1024, 10])

    def mean_power(model, rows, batch):
        energy = shard_energy_joules(model=model, n_samples=rows, spec=spec, batch_size=batch)
        seconds = shard_device_seconds(model=model, n_samples=rows, spec=spec, batch_size=batch)
        return energy / seconds

    launch_bound = mean_power(tiny, 10, 1)
    compute_bound = mean_power(wide, 4096, 4096)

    assert launch_bound < compute_bound
    assert launch_bound == pytest.approx(spec.board_power_w * IDLE_POWER_FRACTION, rel=1e-3)
    assert 0.7 * spec.board_power_w < compute_bound < spec.board_power_w


def test_a_device_without_a_board_power_uses_no_energy():
    spec = AcceleratorSpec(
        name="sim-unknown",
        peak_tflops=1,
        memory_gib=8,
        memory_bandwidth_gbps=100,
        interconnect_gbps=10,
        launch_overhead_s=1e-5,
    )
    model = _model([4, 3])
    result = evaluate(model=model, X=np.zeros((9, 4)), y=np.zeros(9, int), devices=[spec, spec])
    assert spec.board_power_w == 0.0 and spec.power_source == ""
    assert result.device_seconds_total > 0
    assert result.energy_joules_total == 0.0
    assert [d["energy_joules"] for d in result.per_device] == [0.0, 0.0]


@pytest.mark.parametrize("watts", [-1.0, float("nan"), float("inf")])
def test_it_refuses_a_bad_board_power(watts):
    with pytest.raises(KernelError) as caught:
        AcceleratorSpec(
            name="x",
            peak_tflops=1,
            memory_gib=8,
            memory_bandwidth_gbps=1,
            interconnect_gbps=1,
            launch_overhead_s=0,
            board_power_w=watts,
        )
    assert caught.value.params["name"] == "board_power_w"


def test_combine_adds_the_allreduce_at_idle_power_to_every_device():
    model = _model([20, 40, 4])
    rng = np.random.default_rng(5)
    X = rng.standard_normal((1001, 20)).astype(np.float32)
    y = rng.integers(0, 4, 1001)
    devices = [DeviceHandle(device_id=f"gpu-{i}", spec=PRESETS["sim-a100"]) for i in range(2)]
    shards = [
        evaluate_shard(
            model=model, X=X[rows], y=y[rows], device=device, batch_size=50, shard_index=i
        )
        for i, (device, rows) in enumerate(
            zip(devices, [slice(0, 501), slice(501, None)], strict=True)
        )
    ]
    transported = [ShardResult.from_dict(json.loads(json.dumps(s.to_dict()))) for s in shards]

    result = combine(transported, classes=list(model.classes))

    for entry, shard in zip(result.per_device, shards, strict=True):
        idle_watts = 400.0 * 0.3
        assert entry["allreduce_seconds"] > 0
        assert entry["energy_joules"] == pytest.approx(
            shard.energy_joules + entry["allreduce_seconds"] * idle_watts, rel=1e-12
        )
    assert result.energy_joules_total == pytest.approx(
        sum(d["energy_joules"] for d in result.per_device), rel=1e-12
    )
    direct = evaluate(model=model, X=X, y=y, devices=devices, batch_size=100)
    assert direct.energy_joules_total == pytest.approx(result.energy_joules_total, rel=1e-12)


def test_it_reads_shard_results_stored_before_energy():
    model = _model([4, 3])
    shard = evaluate_shard(
        model=model, X=np.zeros((5, 4)), y=np.zeros(5, int), device=PRESETS["sim-t4"]
    )
    old = shard.to_dict()
    del old["energy_joules"]
    del old["spec"]["board_power_w"], old["spec"]["power_source"]

    restored = ShardResult.from_dict(json.loads(json.dumps(old)))

    assert restored.energy_joules == 0.0
    assert restored.spec.board_power_w == 0.0 and restored.spec.power_source == ""
    assert restored.device_seconds == shard.device_seconds
    assert combine([restored]).energy_joules_total == 0.0
