"""Truth test: scikit-learn's own score and log_loss, through both model formats.

Tolerance: the kernel computes in float32 while sklearn computes in float64, so the mean loss
is held to rtol 1e-4 (measured: ~1e-7 for the float64 .npz export, ~2e-6 for float32 ONNX);
accuracy and predictions must be exactly equal.
"""

import io
import warnings

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix, log_loss

from innovation_center.kernel import PRESETS, DeviceHandle, evaluate, load_model, save_sklearn_mlp


def _npz_model(classifier):
    buffer = io.BytesIO()
    save_sklearn_mlp(path=buffer, estimator=classifier)
    return load_model(source=buffer.getvalue())


def _onnx_model(classifier, n_features):
    from skl2onnx import to_onnx

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        onnx_model = to_onnx(
            classifier, np.zeros((1, n_features), np.float32), options={"zipmap": False}
        )
    return load_model(source=onnx_model.SerializeToString()), onnx_model


@pytest.mark.parametrize("export", ["npz", "onnx"])
def test_it_matches_sklearn_score_and_log_loss(
    export, implementation, digits_classifier, digits_split
):
    _, _, X, y = digits_split
    if export == "npz":
        model = _npz_model(digits_classifier)
    else:
        model, _ = _onnx_model(digits_classifier, X.shape[1])
    devices = [DeviceHandle(device_id=f"d{i}", spec=PRESETS["sim-h200"]) for i in range(2)]

    result = evaluate(
        model=model, X=X, y=y, devices=devices, batch_size=128, implementation=implementation
    )

    assert result.samples == len(y)
    assert result.accuracy == digits_classifier.score(X, y)
    assert result.accuracy < 1.0  # Held-out data: the test would notice a wrong prediction.
    assert result.mean_loss == pytest.approx(
        log_loss(y, digits_classifier.predict_proba(X)), rel=1e-4
    )
    np.testing.assert_array_equal(
        result.confusion_matrix, confusion_matrix(y, digits_classifier.predict(X))
    )


def test_it_matches_onnxruntime_on_the_onnx_export(digits_classifier, digits_split):
    import onnxruntime

    _, _, X, y = digits_split
    model, onnx_model = _onnx_model(digits_classifier, X.shape[1])
    session = onnxruntime.InferenceSession(
        onnx_model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    labels, probabilities = session.run(None, {"X": X.astype(np.float32)})

    result = evaluate(model=model, X=X, y=y, devices=[PRESETS["sim-t4"]])

    assert result.correct == int(np.count_nonzero(labels.ravel() == y))
    assert result.mean_loss == pytest.approx(log_loss(y, probabilities), rel=1e-4)


@pytest.mark.parametrize("export", ["npz", "onnx"])
def test_it_handles_sklearns_binary_logistic_output(export, implementation):
    from sklearn.datasets import load_breast_cancer
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler

    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        classifier = MLPClassifier(hidden_layer_sizes=(16,), max_iter=60, random_state=0).fit(
            X[:400], y[:400]
        )
    X_test, y_test = X[400:], y[400:]
    model = _npz_model(classifier) if export == "npz" else _onnx_model(classifier, 30)[0]

    result = evaluate(
        model=model,
        X=X_test,
        y=y_test,
        devices=[PRESETS["sim-a100"]],
        implementation=implementation,
    )

    assert model.is_binary_logistic
    assert result.accuracy == classifier.score(X_test, y_test)
    assert result.mean_loss == pytest.approx(
        log_loss(y_test, classifier.predict_proba(X_test)), rel=1e-4
    )
