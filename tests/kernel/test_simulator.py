"""The device simulator: calibration against a real H200, memory, failures, sharding."""

import json
from pathlib import Path

import numpy as np
import pytest

from innovation_center.kernel import (
    PRESETS,
    DeviceFailed,
    DeviceHandle,
    EvaluationResult,
    KernelError,
    OutOfDeviceMemory,
    ShardResult,
    build_model,
    combine,
    estimate_device_seconds,
    evaluate,
    evaluate_shard,
    shard_device_seconds,
)

from .conftest import random_layers

# Measured on a real H200 (see its "what"); a copy in the repository, so any checkout has it.
CALIBRATION = Path(__file__).parent / "data" / "h200-mlp.json"


def _model(dims, seed=0):
    rng = np.random.default_rng(seed)
    activations = ["relu"] * (len(dims) - 2) + ["softmax"]
    return build_model(layers=random_layers(rng=rng, dims=dims, activations=activations))


def _calibration():
    return json.loads(CALIBRATION.read_text())


@pytest.mark.parametrize(("name", "tolerance"), [("tiny", 2.0), ("medium", 1.25), ("large", 1.25)])
def test_it_predicts_the_measured_h200_times(name, tolerance):
    calibration = _calibration()
    dims = calibration["models"][name]["layers"]
    samples = calibration["models"][name]["samples"]
    measured = calibration["measured"][f"mlp_{name}_fp32"]["seconds"]
    # Zero weights: the roofline only needs the shapes.
    model = build_model(
        layers=[
            (np.zeros((a, b), np.float32), np.zeros(b, np.float32), "relu")
            for a, b in zip(dims, dims[1:], strict=False)
        ][:-1]
        + [(np.zeros((dims[-2], dims[-1]), np.float32), np.zeros(dims[-1], np.float32), "softmax")]
    )

    predicted = shard_device_seconds(
        model=model, n_samples=samples, spec=PRESETS["sim-h200"], batch_size=samples
    )

    assert measured / tolerance <= predicted <= measured * tolerance


def test_it_counts_flops_like_performance_md():
    assert _model([64, 128, 64, 10]).flops_per_sample == 34_048
    assert _model([784, 1024, 1024, 10]).flops_per_sample == 3_723_264


def test_it_refuses_a_batch_that_does_not_fit_and_says_what_fits():
    model = _model([512, 2048, 2048, 10])
    spec = PRESETS["sim-t4"]

    with pytest.raises(OutOfDeviceMemory) as caught:
        estimate_device_seconds(
            model=model, n_samples=10**7, spec=spec, devices=2, batch_size=10**7
        )

    error = caught.value
    assert error.code == "out_of_device_memory"
    fits = error.params["max_batch_per_device"]
    assert 0 < fits < 10**7 / 2
    assert f"at most {fits * 2}" in error.message
    assert "devices for a batch size of 10000000" in error.message
    # The advice is right: the largest advertised batch fits.
    estimate_device_seconds(model=model, n_samples=10**7, spec=spec, devices=2, batch_size=fits * 2)


def test_it_refuses_weights_larger_than_the_device():
    huge = build_model(layers=[(np.zeros((1, 2), np.float32), np.zeros(2, np.float32), "softmax")])
    tiny_device = PRESETS["sim-t4"].__class__(
        name="sim-tiny",
        peak_tflops=1,
        memory_gib=0.5 + 1e-9,
        memory_bandwidth_gbps=1,
        interconnect_gbps=1,
        launch_overhead_s=0,
    )
    with pytest.raises(OutOfDeviceMemory) as caught:
        estimate_device_seconds(model=huge, n_samples=10, spec=tiny_device)
    assert caught.value.code == "weights_exceed_device_memory"


def test_it_retries_a_failed_devices_shard_on_a_healthy_device(implementation):
    model = _model([16, 32, 5])
    rng = np.random.default_rng(3)
    X = rng.standard_normal((900, 16)).astype(np.float32)
    y = rng.integers(0, 5, 900)
    devices = [DeviceHandle(device_id=f"npu-{i}", spec=PRESETS["sim-ascend910"]) for i in range(3)]
    healthy = evaluate(
        model=model, X=X, y=y, devices=devices, batch_size=300, implementation=implementation
    )
    devices[1].fail()

    result = evaluate(
        model=model,
        X=X,
        y=y,
        devices=devices,
        batch_size=300,
        failed_devices={"npu-2"},
        implementation=implementation,
    )

    assert [r["failed_device"] for r in result.retries] == ["npu-1", "npu-2"]
    assert {r["retried_on"] for r in result.retries} == {"npu-0"}
    assert set(result.device_seconds) == {"npu-0"}
    assert result.correct == healthy.correct
    assert result.mean_loss == pytest.approx(healthy.mean_loss, rel=1e-12)
    assert result.device_seconds_total == pytest.approx(
        healthy.device_seconds_total - sum(d["allreduce_seconds"] for d in healthy.per_device),
        rel=1e-9,
    )


def test_it_fails_when_every_device_has_failed():
    model = _model([4, 3])
    devices = [DeviceHandle(device_id="a", spec=PRESETS["sim-t4"], failed=True)]
    with pytest.raises(DeviceFailed) as caught:
        evaluate(model=model, X=np.zeros((5, 4)), y=np.zeros(5, int), devices=devices)
    assert caught.value.code == "no_healthy_device"
    assert caught.value.params == {"shard": 0, "failed": "a"}


def test_it_combines_json_shard_results_into_the_same_result_as_evaluate():
    model = _model([20, 40, 4])
    rng = np.random.default_rng(5)
    X = rng.standard_normal((1001, 20)).astype(np.float32)
    y = rng.integers(0, 4, 1001)
    devices = [DeviceHandle(device_id=f"gpu-{i}", spec=PRESETS["sim-a100"]) for i in range(2)]
    direct = evaluate(model=model, X=X, y=y, devices=devices, batch_size=100)

    shards = [
        evaluate_shard(
            model=model, X=X[rows], y=y[rows], device=device, batch_size=50, shard_index=index
        )
        for index, (device, rows) in enumerate(
            zip(devices, [slice(0, 501), slice(501, None)], strict=True)
        )
    ]
    transported = [ShardResult.from_dict(json.loads(json.dumps(s.to_dict()))) for s in shards]
    combined = combine(transported[::-1], classes=list(model.classes))

    assert combined.correct == direct.correct
    assert combined.confusion_matrix == direct.confusion_matrix
    assert combined.mean_loss == pytest.approx(direct.mean_loss, rel=1e-12)
    assert combined.device_seconds == pytest.approx(direct.device_seconds)
    assert EvaluationResult(**json.loads(json.dumps(combined.to_dict()))) == combined


def test_it_charges_what_it_estimated():
    model = _model([30, 60, 6])
    rng = np.random.default_rng(2)
    X = rng.standard_normal((777, 30)).astype(np.float32)
    y = rng.integers(0, 6, 777)
    spec = PRESETS["sim-h200"]

    result = evaluate(model=model, X=X, y=y, devices=[spec, spec, spec], batch_size=64)

    assert result.device_seconds_total == pytest.approx(
        estimate_device_seconds(model=model, n_samples=777, spec=spec, devices=3, batch_size=64)
    )
    assert result.samples_per_s == pytest.approx(777 / result.simulated_seconds)


def test_it_refuses_a_failed_device_for_a_single_shard():
    model = _model([4, 3])
    device = DeviceHandle(device_id="x", spec=PRESETS["sim-t4"])
    device.fail()
    with pytest.raises(DeviceFailed) as caught:
        evaluate_shard(model=model, X=np.zeros((2, 4)), y=np.array([0, 1]), device=device)
    assert caught.value.params == {"device_id": "x", "device": "sim-t4", "shard": 0}


def test_it_refuses_no_devices():
    with pytest.raises(KernelError) as caught:
        evaluate(model=_model([4, 3]), X=np.zeros((2, 4)), y=np.array([0, 1]), devices=[])
    assert caught.value.code == "no_devices"
