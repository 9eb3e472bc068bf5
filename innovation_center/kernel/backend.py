"""Choice of kernel implementation and the one call that runs it on a shard.

``IC_KERNEL=reference`` forces the NumPy reference, ``IC_KERNEL=compiled`` demands the Cython
extension (KernelUnavailable if it is not built); unset, the compiled one is used when built.
"""

from __future__ import annotations

import importlib
import os
import threading
from types import ModuleType

import numpy as np

from innovation_center.kernel import _reference
from innovation_center.kernel.errors import KernelUnavailable
from innovation_center.kernel.model import ModelSpec

_ACTIVATION_CODES = {
    "identity": _reference.IDENTITY,
    "relu": _reference.RELU,
    "sigmoid": _reference.SIGMOID,
    "tanh": _reference.TANH,
}
_blas_lock = threading.Lock()
_blas_controller = None


def _load_compiled() -> ModuleType:
    try:
        return importlib.import_module("innovation_center.kernel._kernel")
    except ImportError as exc:
        raise KernelUnavailable(reason=str(exc)) from exc


def select_implementation(name: str | None = None) -> tuple[str, ModuleType]:
    """Return ``(name, module)`` for ``name`` or, when None, for ``IC_KERNEL`` (default auto)."""
    choice = (name or os.environ.get("IC_KERNEL") or "auto").strip().lower()
    if choice == "reference":
        return "reference", _reference
    if choice == "compiled":
        return "compiled", _load_compiled()
    if choice != "auto":
        raise KernelUnavailable(reason=f"IC_KERNEL={choice!r}; use 'compiled' or 'reference'")
    try:
        return "compiled", _load_compiled()
    except KernelUnavailable:
        return "reference", _reference


def kernel_arguments(model: ModelSpec) -> dict:
    """Weights, activation codes and head for ``forward_shard``, derived from the model."""
    codes = []
    for index, layer in enumerate(model.layers):
        last = index == len(model.layers) - 1
        if last and (layer.activation == "softmax" or model.is_binary_logistic):
            # Softmax and the binary sigmoid are applied by the head, from the raw scores.
            codes.append(_reference.IDENTITY)
        else:
            codes.append(_ACTIVATION_CODES[layer.activation])
    head = _reference.HEAD_BINARY_LOGISTIC if model.is_binary_logistic else _reference.HEAD_SOFTMAX
    return {
        "weights": [layer.weight for layer in model.layers],
        "biases": [layer.bias for layer in model.layers],
        "activations": np.asarray(codes, dtype=np.int32),
        "head": head,
        "n_classes": model.n_classes,
        "eps": model.loss_eps,
    }


def chunk_rows_for(model: ModelSpec) -> int:
    """Rows per chunk, measured on this machine (docs/benchmarks.md).

    Small layers: 64-row chunks keep a chunk's activations in L1/L2 and give both threads work.
    Wide layers: 1024 rows so sgemm's repacking of the weights is paid over more rows.
    """
    widest = max(model.widths)
    if widest <= 256:
        return 64
    if widest <= 512:
        return 256
    return 1024


def _limit_blas_to_one_thread():
    global _blas_controller
    from threadpoolctl import ThreadpoolController

    with _blas_lock:
        if _blas_controller is None:
            _blas_controller = ThreadpoolController()
    return _blas_controller.limit(limits=1, user_api="blas")


def run_kernel(
    *,
    model: ModelSpec,
    X: np.ndarray,
    y_index: np.ndarray,
    implementation: str | None = None,
    n_threads: int = 0,
) -> tuple[float, int, np.ndarray, str]:
    """Run the chosen implementation on one shard: ``(loss_sum, correct, confusion, name)``.

    ``X`` must already match the model and ``y_index`` hold class indices (see encode_labels).
    """
    name, module = select_implementation(implementation)
    arguments = kernel_arguments(model)
    X = np.ascontiguousarray(X, dtype=np.float32)
    y_index = np.ascontiguousarray(y_index, dtype=np.int64)
    if name == "compiled":
        # Each OpenMP thread runs its own chunks with one-thread sgemm: no oversubscription.
        with _limit_blas_to_one_thread():
            loss, correct, confusion = module.forward_shard(
                X=X, y=y_index, n_threads=n_threads, chunk_rows=chunk_rows_for(model), **arguments
            )
    else:
        loss, correct, confusion = module.forward_shard(
            X=X, y=y_index, n_threads=n_threads, **arguments
        )
    return float(loss), int(correct), np.asarray(confusion, dtype=np.int64), name
