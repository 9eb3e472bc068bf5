"""Evaluation kernel: model and data-set loading, the compiled forward pass, the simulator.

Pure compute: nothing here imports Django. The compiled Cython kernel is used when built;
``IC_KERNEL=reference`` forces the NumPy reference and ``IC_KERNEL=compiled`` fails at import
(KernelUnavailable) if the extension is missing. See docs/kernel.md.
"""

from innovation_center.kernel.backend import run_kernel, select_implementation
from innovation_center.kernel.datasets import (
    BUILTINS,
    Dataset,
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
from innovation_center.kernel.models import (
    DEFAULT_MAX_BYTES,
    Layer,
    ModelSpec,
    build_model,
    load_model,
    save_npz_model,
    save_sklearn_mlp,
)
from innovation_center.kernel.simulator import (
    PRESETS,
    AcceleratorSpec,
    DeviceHandle,
    EvaluationResult,
    ShardResult,
    combine,
    estimate_device_seconds,
    evaluate,
    evaluate_shard,
    get_preset,
    shard_device_seconds,
)

# Resolved once at import so IC_KERNEL=compiled fails loudly when the extension is missing.
IMPLEMENTATION = select_implementation()[0]

__all__ = [
    "BUILTINS",
    "DEFAULT_MAX_BYTES",
    "IMPLEMENTATION",
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
    "combine",
    "encode_labels",
    "estimate_device_seconds",
    "evaluate",
    "evaluate_shard",
    "get_preset",
    "load_builtin",
    "load_dataset",
    "load_model",
    "run_kernel",
    "save_npz_model",
    "save_sklearn_mlp",
    "shard_device_seconds",
]
