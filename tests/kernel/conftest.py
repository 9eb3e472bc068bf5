"""Shared fixtures for the kernel tests: small trained models and helpers (no database)."""

import io
import warnings

import numpy as np
import pytest

from innovation_center.kernel.backend import select_implementation

IMPLEMENTATIONS = ("compiled", "reference")


@pytest.fixture(params=IMPLEMENTATIONS)
def implementation(request) -> str:
    # The compiled kernel must be built for the suite to pass: a missing build is a failure.
    select_implementation(request.param)
    return request.param


@pytest.fixture(scope="session")
def digits_split():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X[:1200], y[:1200], X[1200:], y[1200:]


@pytest.fixture(scope="session")
def digits_classifier(digits_split):
    from sklearn.neural_network import MLPClassifier

    X_train, y_train, _, _ = digits_split
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at max_iter is expected here.
        return MLPClassifier(hidden_layer_sizes=(64,), max_iter=200, random_state=0).fit(
            X_train, y_train
        )


def random_layers(*, rng, dims, activations, dtype=np.float32):
    """He-scaled random layers so activations stay in a sensible range at any depth."""
    layers = []
    for index, (inputs, outputs) in enumerate(zip(dims, dims[1:], strict=False)):
        weight = (rng.standard_normal((inputs, outputs)) * np.sqrt(2.0 / inputs)).astype(dtype)
        bias = (rng.standard_normal(outputs) * 0.1).astype(dtype)
        layers.append((weight, bias, activations[index]))
    return layers


def npz_bytes(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()
