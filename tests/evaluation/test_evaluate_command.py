"""`manage.py evaluate`: one evaluation through the kernel, without database, allocation or worker.

No test here is marked django_db, so any query the command made would fail the test.
"""

import io
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from onnx import TensorProto, helper, numpy_helper
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import confusion_matrix, log_loss
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from innovation_center import kernel
from innovation_center.evaluation import runtime

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def breast_cancer_split():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X).astype(np.float32)
    return X[:400], y[:400], X[400:], y[400:]


def _fit(split, activation: str) -> MLPClassifier:
    X_train, y_train, _, _ = split
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at max_iter is expected here.
        return MLPClassifier(
            hidden_layer_sizes=(16, 8), activation=activation, max_iter=200, random_state=0
        ).fit(X_train, y_train)


def _save_onnx(path: Path, nodes, initializers, *, features: int, outputs: int) -> Path:
    graph = helper.make_graph(
        nodes,
        "mlp",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [None, features])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, [None, outputs])],
        [numpy_helper.from_array(value, name) for name, value in initializers.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path.write_bytes(model.SerializeToString())
    return path


def _softmax_graph(clf: MLPClassifier, path: Path) -> Path:
    """MatMul+Add, Relu, Gemm, Relu, Gemm, Softmax: sklearn's one logistic unit as two scores."""
    w = [c.astype(np.float32) for c in clf.coefs_]
    b = [c.astype(np.float32) for c in clf.intercepts_]
    # softmax([-z/2, z/2]) = [1 - sigmoid(z), sigmoid(z)]
    w[2] = np.concatenate([-w[2] / 2, w[2] / 2], axis=1)
    b[2] = np.concatenate([-b[2] / 2, b[2] / 2])
    nodes = [
        helper.make_node("MatMul", ["input", "W0"], ["m0"]),
        helper.make_node("Add", ["m0", "B0"], ["h0"]),
        helper.make_node("Relu", ["h0"], ["a0"]),
        helper.make_node("Gemm", ["a0", "W1", "B1"], ["h1"]),
        helper.make_node("Relu", ["h1"], ["a1"]),
        helper.make_node("Gemm", ["a1", "W2", "B2"], ["h2"], alpha=1.0, beta=1.0),
        helper.make_node("Softmax", ["h2"], ["scores"], axis=1),
    ]
    weights = {f"W{i}": w[i] for i in range(3)} | {f"B{i}": b[i] for i in range(3)}
    return _save_onnx(path, nodes, weights, features=w[0].shape[0], outputs=2)


def _sigmoid_graph(clf: MLPClassifier, path: Path) -> Path:
    """Gemm with transB=1 (PyTorch's layout), Tanh, MatMul+Add, Tanh, Gemm, Sigmoid."""
    w = [c.astype(np.float32) for c in clf.coefs_]
    b = [c.astype(np.float32) for c in clf.intercepts_]
    nodes = [
        helper.make_node("Gemm", ["input", "W0", "B0"], ["h0"], transB=1),
        helper.make_node("Tanh", ["h0"], ["a0"]),
        helper.make_node("MatMul", ["a0", "W1"], ["m1"]),
        helper.make_node("Add", ["m1", "B1"], ["h1"]),
        helper.make_node("Tanh", ["h1"], ["a1"]),
        helper.make_node("Gemm", ["a1", "W2", "B2"], ["h2"], transB=0),
        helper.make_node("Sigmoid", ["h2"], ["scores"]),
    ]
    weights = {"W0": np.ascontiguousarray(w[0].T), "W1": w[1], "W2": w[2]}
    weights |= {f"B{i}": b[i] for i in range(3)}
    return _save_onnx(path, nodes, weights, features=w[0].shape[0], outputs=1)


@pytest.fixture(scope="session")
def relu_classifier(breast_cancer_split):
    return _fit(breast_cancer_split, "relu")


@pytest.fixture(scope="session")
def files(tmp_path_factory, breast_cancer_split, relu_classifier):
    """A hand-written ONNX model (30 features, 2 classes) and the held-out rows as .npz."""
    folder = tmp_path_factory.mktemp("evaluate")
    _, _, X_test, y_test = breast_cancer_split
    dataset = folder / "test.npz"
    np.savez(dataset, X=X_test, y=y_test.astype(np.int64))
    return _softmax_graph(relu_classifier, folder / "model.onnx"), dataset


def _run(*args: str) -> tuple[str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("evaluate", *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def _run_json(model: Path, dataset, *args: str) -> dict:
    stdout, _ = _run("--model", str(model), "--dataset", str(dataset), *args, "--json")
    return json.loads(stdout)


def _refusal(*args: str) -> str:
    with pytest.raises(CommandError) as caught:
        _run(*args)
    return str(caught.value)


def _portal_message(kernel_call) -> str:
    """What the portal shows for the kernel error ``kernel_call`` raises."""
    with pytest.raises(kernel.KernelError) as caught:
        kernel_call()
    return runtime.kernel_error_text(caught.value)


@pytest.mark.parametrize(
    ("activation", "graph"), [("relu", _softmax_graph), ("tanh", _sigmoid_graph)]
)
def test_it_reports_scikit_learns_accuracy_and_log_loss(
    tmp_path, breast_cancer_split, files, activation, graph
):
    _, _, X_test, y_test = breast_cancer_split
    clf = _fit(breast_cancer_split, activation)
    model = graph(clf, tmp_path / "model.onnx")

    result = _run_json(model, files[1], "--devices", "2")

    assert result["accuracy"] == pytest.approx(clf.score(X_test, y_test), abs=1 / len(y_test))
    assert result["loss"] == pytest.approx(log_loss(y_test, clf.predict_proba(X_test)), rel=1e-4)
    assert result["mean_loss"] == result["loss"]


def test_it_counts_the_confusion_matrix_like_scikit_learn(
    breast_cancer_split, relu_classifier, files
):
    _, _, X_test, y_test = breast_cancer_split
    result = _run_json(*files, "--devices", "3")
    want = confusion_matrix(y_test, relu_classifier.predict(X_test)).tolist()
    assert result["confusion_matrix"] == want
    assert result["samples"] == len(y_test)


def test_it_prints_exactly_one_json_line(files):
    stdout, stderr = _run(
        "--model", str(files[0]), "--dataset", str(files[1]), "--devices", "2", "--json"
    )
    assert len(stdout.strip().splitlines()) == 1
    assert isinstance(json.loads(stdout), dict)
    assert stderr == ""


def test_it_gives_every_figure_as_a_json_number(files):
    result = _run_json(*files, "--devices", "2")
    for key in (
        "accuracy",
        "loss",
        "samples",
        "samples_per_second",
        "device_seconds",
        "wall_seconds",
        "batch_size",
    ):
        assert isinstance(result[key], (int, float)) and not isinstance(result[key], bool), key
        assert np.isfinite(result[key]), key
    assert result["implementation"] == kernel.IMPLEMENTATION
    assert result["samples_per_second"] > 0 and result["device_seconds"] > 0


def test_it_splits_the_rows_across_the_devices_like_the_worker(files, breast_cancer_split):
    rows = len(breast_cancer_split[3])
    result = _run_json(*files, "--devices", "3")
    shards = [len(part) for part in np.array_split(np.arange(rows), 3)]
    assert [device["samples"] for device in result["devices"]] == shards
    assert [device["shards"] for device in result["devices"]] == [[0], [1], [2]]


def test_it_gives_per_device_seconds_that_sum_to_the_total(files):
    result = _run_json(*files, "--devices", "3")
    per_device = result["device_seconds_per_device"]
    assert len(per_device) == 3
    assert sum(per_device.values()) == pytest.approx(result["device_seconds"], rel=1e-12)
    assert [d["device_seconds"] for d in result["devices"]] == list(per_device.values())


def test_it_charges_what_the_portal_estimates(files):
    spec = kernel.load_model(source=files[0])
    data = kernel.load_dataset(source=files[1])
    estimate = kernel.estimate_device_seconds(
        model=spec,
        n_samples=data.n_samples,
        spec=kernel.get_preset("sim-t4"),
        devices=2,
        batch_size=64,
    )
    result = _run_json(
        *files, "--devices", "2", "--accelerator-type", "sim-t4", "--batch-size", "64"
    )
    assert result["device_seconds"] == pytest.approx(estimate, rel=1e-9)
    assert (result["accelerator_type"], result["batch_size"]) == ("sim-t4", 64)


def test_it_runs_on_sim_h200_by_default(files):
    result = _run_json(*files, "--devices", "1")
    assert result["accelerator_type"] == "sim-h200"
    assert result["devices"][0]["device_class"] == "sim-h200"


def test_it_evaluates_a_built_in_data_set_by_name(files):
    result = _run_json(files[0], "breast_cancer", "--devices", "2")
    assert result["samples"] == 569
    assert result["dataset"] == "breast_cancer"


def test_it_prints_the_figures_in_the_text_report(files):
    result = _run_json(*files, "--devices", "2")
    stdout, _ = _run("--model", str(files[0]), "--dataset", str(files[1]), "--devices", "2")

    assert f"{result['accuracy']:.4f}" in stdout
    assert f"{result['loss']:.6f}" in stdout
    assert f"{result['device_seconds']:.6g}" in stdout
    assert f"{result['samples_per_second']:.1f}" in stdout
    for device in result["devices"]:
        assert device["device_id"] in stdout
        assert f"{device['device_seconds']:.6g} device-seconds" in stdout
    matrix = result["confusion_matrix"]
    assert any(line.split() == ["0", *map(str, matrix[0])] for line in stdout.splitlines())
    assert any(line.split() == ["1", *map(str, matrix[1])] for line in stdout.splitlines())


def test_it_refuses_a_file_that_is_no_model(tmp_path, files):
    junk = tmp_path / "model.onnx"
    junk.write_bytes(b"not a model at all")
    message = _refusal("--model", str(junk), "--dataset", str(files[1]), "--devices", "1")
    assert message == _portal_message(lambda: kernel.load_model(source=junk))
    assert "neither an .npz archive nor an ONNX model" in message


def test_it_refuses_a_missing_model_file(tmp_path, files):
    missing = tmp_path / "absent.onnx"
    message = _refusal("--model", str(missing), "--dataset", str(files[1]), "--devices", "1")
    assert message == _portal_message(lambda: kernel.load_model(source=missing))
    assert "could not be read" in message


def test_it_refuses_a_data_set_that_does_not_match_the_model(files):
    message = _refusal("--model", str(files[0]), "--dataset", "digits", "--devices", "1")
    spec = kernel.load_model(source=files[0])
    digits = kernel.load_builtin("digits")
    assert message == _portal_message(
        lambda: kernel.evaluate(
            model=spec, X=digits.X, y=digits.y, devices=[kernel.get_preset("sim-h200")]
        )
    )
    assert "64 features" in message and "expects 30" in message


def test_it_refuses_an_unknown_accelerator_type_naming_the_presets(files):
    message = _refusal(
        "--model", str(files[0]), "--dataset", str(files[1]), "--devices", "1",
        "--accelerator-type", "sim-h900",
    )  # fmt: skip
    assert message == _portal_message(lambda: kernel.get_preset("sim-h900"))
    assert all(name in message for name in kernel.PRESETS)


def test_it_refuses_an_unknown_built_in_data_set(files):
    message = _refusal("--model", str(files[0]), "--dataset", "mnist", "--devices", "1")
    assert message == _portal_message(lambda: kernel.load_builtin("mnist"))
    assert "mnist" in message and "breast_cancer" in message


def test_it_refuses_a_batch_that_does_not_fit_device_memory(files):
    message = _refusal(
        "--model", str(files[0]), "--dataset", str(files[1]), "--devices", "1",
        "--accelerator-type", "sim-t4", "--batch-size", "1000000000",
    )  # fmt: skip
    spec = kernel.load_model(source=files[0])
    assert message == _portal_message(
        lambda: kernel.estimate_device_seconds(
            model=spec, n_samples=10, spec=kernel.get_preset("sim-t4"), batch_size=10**9
        )
    )
    assert "sim-t4" in message


def test_it_refuses_zero_devices(files):
    message = _refusal("--model", str(files[0]), "--dataset", str(files[1]), "--devices", "0")
    assert message == "The number of devices must be at least 1."


def test_it_refuses_a_batch_size_below_one(files):
    message = _refusal(
        "--model", str(files[0]), "--dataset", str(files[1]), "--devices", "1",
        "--batch-size", "0",
    )  # fmt: skip
    assert message == "The batch size must be at least 1."


def test_it_shows_kernel_errors_in_the_users_language(files):
    with translation.override("zh-hans"):
        message = _refusal("--model", str(files[0]), "--dataset", "digits", "--devices", "1")
    assert "数据集" in message and "64" in message


def test_it_runs_without_a_database_and_prints_only_json_on_stdout(tmp_path, files):
    database = tmp_path / "never.sqlite3"
    environment = dict(os.environ, DATABASE_URL=f"sqlite:///{database}")
    completed = subprocess.run(
        [sys.executable, "manage.py", "evaluate", "--model", str(files[0]), "--dataset",
         str(files[1]), "--devices", "2", "--json"],
        cwd=REPO, env=environment, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["samples"] == 169
    assert not database.exists()


def test_it_prints_nothing_on_stdout_when_it_fails(files):
    stdout = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "evaluate", "--model", str(files[0]), "--dataset", "digits", "--devices", "1",
            "--json", stdout=stdout,
        )  # fmt: skip
    assert stdout.getvalue() == ""
