"""The compiled kernel and the NumPy reference agree on random and real models."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from innovation_center.kernel import build_model, run_kernel
from innovation_center.kernel.backend import kernel_arguments, select_implementation

from .conftest import random_layers

HIDDEN = ("identity", "relu", "sigmoid", "tanh")


@st.composite
def random_problems(draw):
    depth = draw(st.integers(min_value=1, max_value=4))
    dims = [draw(st.integers(min_value=1, max_value=96)) for _ in range(depth)]
    binary = draw(st.booleans())
    classes = 2 if binary else draw(st.integers(min_value=2, max_value=20))
    dims.append(1 if binary else classes)
    activations = [draw(st.sampled_from(HIDDEN)) for _ in range(depth - 1)]
    activations.append("sigmoid" if binary else draw(st.sampled_from(("softmax", "identity"))))
    rows = draw(st.integers(min_value=1, max_value=700))
    seed = draw(st.integers(min_value=0, max_value=2**32 - 1))
    return dims, activations, classes, rows, seed


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=random_problems())
def test_it_matches_the_reference_on_random_models(problem):
    dims, activations, classes, rows, seed = problem
    rng = np.random.default_rng(seed)
    model = build_model(layers=random_layers(rng=rng, dims=dims, activations=activations))
    X = rng.standard_normal((rows, dims[0])).astype(np.float32)
    y_index = rng.integers(0, classes, rows)

    expected = run_kernel(model=model, X=X, y_index=y_index, implementation="reference")
    got = run_kernel(model=model, X=X, y_index=y_index, implementation="compiled")

    assert got[0] == pytest.approx(expected[0], rel=1e-4, abs=1e-6)
    assert got[1] == expected[1]
    np.testing.assert_array_equal(got[2], expected[2])
    assert got[2].sum() == rows


def test_it_matches_the_reference_on_a_trained_model(digits_classifier, digits_split):
    _, _, X, y = digits_split
    model = build_model(
        layers=[
            (w, b, a)
            for w, b, a in zip(
                digits_classifier.coefs_,
                digits_classifier.intercepts_,
                ["relu", "softmax"],
                strict=True,
            )
        ]
    )
    expected = run_kernel(model=model, X=X, y_index=y, implementation="reference")
    got = run_kernel(model=model, X=X, y_index=y, implementation="compiled")

    assert got[0] == pytest.approx(expected[0], rel=1e-4)
    assert got[1] == expected[1]
    np.testing.assert_array_equal(got[2], expected[2])


def test_it_gives_identical_results_whatever_the_thread_count():
    _, compiled = select_implementation("compiled")
    rng = np.random.default_rng(7)
    model = build_model(
        layers=random_layers(rng=rng, dims=[32, 64, 10], activations=["relu", "softmax"])
    )
    X = rng.standard_normal((3000, 32)).astype(np.float32)
    y = rng.integers(0, 10, 3000)
    arguments = kernel_arguments(model)

    runs = [
        compiled.forward_shard(X=X, y=y, n_threads=threads, chunk_rows=64, **arguments)
        for threads in (1, 2, 2)
    ]

    assert runs[0][0] == runs[1][0] == runs[2][0]
    np.testing.assert_array_equal(runs[0][2], runs[1][2])


def test_it_clips_the_loss_like_sklearn():
    # One sample scored as impossible: -log(eps) is the largest loss sklearn reports.
    weight = np.array([[100.0, -100.0]], dtype=np.float32)
    model = build_model(layers=[(weight, np.zeros(2, np.float32), "softmax")])
    X = np.ones((1, 1), dtype=np.float32)
    for name in ("compiled", "reference"):
        loss, correct, _, _ = run_kernel(
            model=model, X=X, y_index=np.array([1]), implementation=name
        )
        assert loss == pytest.approx(-np.log(np.finfo(np.float32).eps))
        assert correct == 0


def test_it_refuses_class_indices_out_of_range():
    _, compiled = select_implementation("compiled")
    rng = np.random.default_rng(1)
    model = build_model(layers=random_layers(rng=rng, dims=[4, 3], activations=["softmax"]))
    with pytest.raises(ValueError, match="out of range"):
        compiled.forward_shard(
            X=np.zeros((2, 4), np.float32), y=np.array([0, 3]), **kernel_arguments(model)
        )
