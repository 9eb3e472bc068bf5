"""Results that must reproduce: the compiled kernel and the reference agree row by row.

Stricter than test_equivalence: every prediction identical (not only the counts) and the mean
loss within 1e-6 relative, on random models (every chunk size) and real trained models, and
the whole evaluation (device time, energy) identical.
"""

import io
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from innovation_center.kernel import (
    PRESETS,
    build_model,
    evaluate,
    load_builtin,
    load_model,
    run_kernel,
    save_sklearn_mlp,
)
from innovation_center.kernel import _reference as ref
from innovation_center.kernel.backend import kernel_arguments

from .conftest import random_layers
from .test_equivalence import random_problems

LOSS_RTOL = 1e-6


def _reference_predictions(model, X):
    """The reference's predictions, by its own operations (checked against it below)."""
    arguments = kernel_arguments(model)
    a = np.asarray(X, dtype=np.float32)
    with np.errstate(over="ignore", under="ignore"):
        for W, b, act in zip(
            arguments["weights"], arguments["biases"], arguments["activations"], strict=True
        ):
            a = a @ W
            a += b
            if act == ref.RELU:
                np.maximum(a, 0, out=a)
            elif act == ref.SIGMOID:
                a = (1 / (1 + np.exp(-a))).astype(np.float32, copy=False)
            elif act == ref.TANH:
                np.tanh(a, out=a)
    if arguments["head"] == ref.HEAD_SOFTMAX:
        return np.argmax(a, axis=1).astype(np.int64)
    return (a[:, 0] > 0).astype(np.int64)


def _assert_reproduces(model, X, y_index):
    X = np.ascontiguousarray(X, dtype=np.float32)
    rows = X.shape[0]
    expected = run_kernel(model=model, X=X, y_index=y_index, implementation="reference")
    got = run_kernel(model=model, X=X, y_index=y_index, implementation="compiled")
    assert got[1] == expected[1]
    np.testing.assert_array_equal(got[2], expected[2])
    assert got[0] == pytest.approx(expected[0], rel=LOSS_RTOL, abs=1e-12)

    # Row by row: scored against the reference's own predictions, each implementation gets
    # every row right exactly when it predicts each row as the reference does.
    predicted = _reference_predictions(model, X)
    for name in ("reference", "compiled"):
        _, correct, _, _ = run_kernel(model=model, X=X, y_index=predicted, implementation=name)
        assert correct == rows, f"{name}: {rows - correct} of {rows} predictions differ"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=random_problems())
def test_random_models_reproduce_across_implementations(problem):
    dims, activations, classes, rows, seed = problem
    rng = np.random.default_rng(seed)
    model = build_model(layers=random_layers(rng=rng, dims=dims, activations=activations))
    X = rng.standard_normal((rows, dims[0])).astype(np.float32)
    _assert_reproduces(model, X, rng.integers(0, classes, rows))


@pytest.mark.parametrize(
    "dims",
    [[64, 200, 10], [64, 400, 400, 10], [128, 1100, 12]],  # 64-, 256- and 1024-row chunks.
)
def test_wide_random_models_reproduce_across_implementations(dims):
    rng = np.random.default_rng(sum(dims))
    activations = ["relu", "tanh"][: len(dims) - 2] + ["softmax"]
    model = build_model(layers=random_layers(rng=rng, dims=dims, activations=activations))
    X = rng.standard_normal((2500, dims[0])).astype(np.float32)
    _assert_reproduces(model, X, rng.integers(0, dims[-1], 2500))


def _npz(classifier):
    buffer = io.BytesIO()
    save_sklearn_mlp(path=buffer, estimator=classifier)
    return load_model(source=buffer.getvalue())


def _trained(name, **options):
    from sklearn.neural_network import MLPClassifier

    train = load_builtin(f"{name}_train")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at max_iter is expected.
        return MLPClassifier(random_state=0, **options).fit(train.X, train.y)


@pytest.fixture(scope="module")
def trained_models(digits_classifier):
    return {
        "digits": (_npz(digits_classifier), "digits_holdout"),
        "synthetic": (
            _npz(_trained("synthetic", hidden_layer_sizes=(64,), max_iter=30)),
            "synthetic_holdout",
        ),
        "breast_cancer": (
            _npz(_trained("breast_cancer", hidden_layer_sizes=(16,), solver="lbfgs", max_iter=500)),
            "breast_cancer_holdout",
        ),
    }


@pytest.mark.parametrize("name", ["digits", "synthetic", "breast_cancer"])
def test_trained_models_reproduce_on_the_holdout_sets(trained_models, name):
    model, holdout = trained_models[name]
    data = load_builtin(holdout)
    y_index = np.searchsorted(np.asarray(model.classes), data.y)
    _assert_reproduces(model, data.X, y_index)


def test_a_whole_evaluation_reproduces_across_implementations(trained_models):
    model, holdout = trained_models["synthetic"]
    data = load_builtin(holdout)
    devices = [PRESETS["sim-a100"]] * 3
    results = [
        evaluate(
            model=model, X=data.X, y=data.y, devices=devices, batch_size=512, implementation=name
        )
        for name in ("reference", "compiled")
    ]
    reference, compiled = (r.to_dict() for r in results)
    assert compiled["mean_loss"] == pytest.approx(reference["mean_loss"], rel=LOSS_RTOL)
    for key in ("confusion_matrix", "correct", "accuracy", "device_seconds", "energy_joules_total"):
        assert compiled[key] == reference[key], key
    assert 0.5 < compiled["accuracy"] < 1.0
