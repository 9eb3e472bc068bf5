"""Plain NumPy reference of the evaluation kernel (same signature as ``_kernel.forward_shard``).

It is the executable specification the compiled kernel is tested against: the forward pass in
float32, the loss of each sample computed in log space from the float32 scores and summed in
float64, predictions as the first maximum of the output scores.
"""

from __future__ import annotations

import numpy as np

# Activation and head codes shared with _kernel.pyx.
IDENTITY, RELU, SIGMOID, TANH = 0, 1, 2, 3
HEAD_SOFTMAX, HEAD_BINARY_LOGISTIC = 0, 1


def forward_shard(
    *,
    X: np.ndarray,
    y: np.ndarray,
    weights: list[np.ndarray],
    biases: list[np.ndarray],
    activations: np.ndarray,
    head: int,
    n_classes: int,
    eps: float,
    n_threads: int = 0,
    chunk_rows: int = 0,
) -> tuple[float, int, np.ndarray]:
    """Return ``(loss_sum, correct, confusion)`` for one shard.

    ``X`` is float32 [n, d], ``y`` int64 class indices in [0, n_classes), ``weights[i]`` float32
    [in, out], ``biases[i]`` float32 [out], ``activations`` int32 codes per layer. ``head`` is
    softmax over the last layer's outputs or, for one output unit, the binary logistic.
    Each sample's loss is -log(p_true) with p clipped to [eps, 1 - eps] as sklearn's log_loss
    does. ``confusion[true, predicted]`` counts samples. ``n_threads``/``chunk_rows`` are
    accepted for signature compatibility and ignored.
    """
    del n_threads, chunk_rows
    n = X.shape[0]
    confusion = np.zeros((n_classes, n_classes), dtype=np.int64)
    if n == 0:
        return 0.0, 0, confusion
    a = np.asarray(X, dtype=np.float32)
    with np.errstate(over="ignore", under="ignore"):
        for W, b, act in zip(weights, biases, activations, strict=True):
            a = a @ W
            a += b
            if act == RELU:
                np.maximum(a, 0, out=a)
            elif act == SIGMOID:
                a = (1 / (1 + np.exp(-a))).astype(np.float32, copy=False)
            elif act == TANH:
                np.tanh(a, out=a)
        rows = np.arange(n)
        if head == HEAD_SOFTMAX:
            predicted = np.argmax(a, axis=1)
            top = a[rows, predicted]
            # Sum the other classes' shares apart from the top one so log1p keeps tiny losses.
            shares = np.exp(a - top[:, None])
            shares[rows, predicted] = 0
            rest = shares.sum(axis=1, dtype=np.float32)
            loss = (top - a[rows, y]).astype(np.float64) + np.log1p(rest.astype(np.float64))
        else:
            score = a[:, 0]
            predicted = (score > 0).astype(np.int64)
            # -log(sigmoid(s)) for the true class, written as a softplus that cannot overflow.
            signed = np.where(y == 1, -score, score).astype(np.float64)
            loss = np.maximum(signed, 0) + np.log1p(np.exp(-np.abs(signed)))
    loss = np.clip(loss, -np.log1p(-eps), -np.log(eps))
    correct = int(np.count_nonzero(predicted == y))
    confusion += np.bincount(y * n_classes + predicted, minlength=n_classes * n_classes).reshape(
        n_classes, n_classes
    )
    return float(loss.sum()), correct, confusion
