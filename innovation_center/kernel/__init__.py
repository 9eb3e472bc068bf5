"""Evaluation kernel: model and data-set loading, the compiled forward pass, the simulator.

Pure compute: nothing here imports Django. The compiled Cython kernel is used when built;
``IC_KERNEL=reference`` forces the NumPy reference and ``IC_KERNEL=compiled`` fails at import
(KernelUnavailable) if the extension is missing. See docs/kernel.md.

Inside, imports point one way: errors, labels, sources <- model <- formats (npz, onnx);
model <- backend (the compiled or reference forward pass) <- results (evaluate, combine),
which also uses datasets and roofline (device time, energy and memory). Import from this
package.

``__version__`` (= ``KERNEL_VERSION``) is recorded with every result: bump it whenever the
numerics change (any change to the forward pass, loss, combine, roofline or energy formulas).
"""

from innovation_center.kernel.backend import run_kernel, select_implementation
from innovation_center.kernel.datasets import (
    BUILTIN_SEEDS,
    BUILTINS,
    Dataset,
    dataset_sha256,
    encode_labels,
    load_builtin,
    load_dataset,
)
from innovation_center.kernel.errors import (
    MESSAGES,
    DatasetError,
    DeviceFailed,
    KernelError,
    KernelUnavailable,
    ModelFormatError,
    OutOfDeviceMemory,
)
from innovation_center.kernel.formats import load_model
from innovation_center.kernel.formats.npz import save_npz_model, save_sklearn_mlp
from innovation_center.kernel.model import Layer, ModelSpec, build_model
from innovation_center.kernel.results import (
    DeviceHandle,
    EvaluationResult,
    ShardResult,
    combine,
    evaluate,
    evaluate_shard,
)
from innovation_center.kernel.roofline import (
    IDLE_POWER_FRACTION,
    MAX_BATCH_SIZE,
    PRESETS,
    AcceleratorSpec,
    estimate_device_seconds,
    get_preset,
    shard_device_seconds,
    shard_energy_joules,
)
from innovation_center.kernel.sources import DEFAULT_MAX_BYTES

# See docs/kernel.md: bump when the numerics change.
__version__ = "2.0.0"
KERNEL_VERSION = __version__

# Resolved once at import so IC_KERNEL=compiled fails loudly when the extension is missing.
IMPLEMENTATION = select_implementation()[0]


def provenance_of_implementation() -> dict[str, str]:
    """Which kernel computed a result: ``{"implementation": ..., "version": ...}``."""
    return {"implementation": IMPLEMENTATION, "version": __version__}


__all__ = [
    "BUILTINS",
    "BUILTIN_SEEDS",
    "DEFAULT_MAX_BYTES",
    "IDLE_POWER_FRACTION",
    "IMPLEMENTATION",
    "KERNEL_VERSION",
    "MAX_BATCH_SIZE",
    "MESSAGES",
    "PRESETS",
    "AcceleratorSpec",
    "Dataset",
    "DatasetError",
    "DeviceFailed",
    "DeviceHandle",
    "EvaluationResult",
    "KernelError",
    "KernelUnavailable",
    "Layer",
    "ModelFormatError",
    "ModelSpec",
    "OutOfDeviceMemory",
    "ShardResult",
    "build_model",
    "__version__",
    "combine",
    "dataset_sha256",
    "encode_labels",
    "estimate_device_seconds",
    "evaluate",
    "evaluate_shard",
    "get_preset",
    "load_builtin",
    "load_dataset",
    "load_model",
    "provenance_of_implementation",
    "run_kernel",
    "save_npz_model",
    "save_sklearn_mlp",
    "shard_device_seconds",
    "shard_energy_joules",
]
