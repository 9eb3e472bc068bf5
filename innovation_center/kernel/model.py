"""The validated model the kernel runs: dense layers, their classes, and the checks on them.

Every format (``formats/``) ends in ``build_model``, so a model is checked the same way however
it arrived; nothing here reads files.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from innovation_center.kernel.errors import ModelFormatError
from innovation_center.kernel.labels import json_label, normalise_label

HIDDEN_ACTIVATIONS = ("identity", "relu", "sigmoid", "tanh")
OUTPUT_ACTIVATIONS = ("identity", "relu", "sigmoid", "tanh", "softmax")
# Names other exporters use for the same functions.
ACTIVATION_ALIASES = {"logistic": "sigmoid", "linear": "identity", "none": "identity"}


@dataclass(frozen=True)
class Layer:
    weight: np.ndarray  # float32 [inputs, outputs], C-contiguous
    bias: np.ndarray  # float32 [outputs]
    activation: str

    @property
    def inputs(self) -> int:
        return int(self.weight.shape[0])

    @property
    def outputs(self) -> int:
        return int(self.weight.shape[1])

    def __iter__(self):
        # Lets callers unpack a layer as (W, b, activation).
        return iter((self.weight, self.bias, self.activation))


@dataclass(frozen=True)
class ModelSpec:
    """A validated dense classifier, ready for the kernel.

    Guarantees: at least one layer; weights float32 [in, out] C-contiguous and finite; layers
    chain; softmax only at the output; ``classes`` unique with one label per output score (two
    for a single sigmoid output, the binary case).
    """

    layers: tuple[Layer, ...]
    classes: tuple[Any, ...]
    source_format: str = "npz"
    source_dtype: str = "float32"
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def input_dim(self) -> int:
        return self.layers[0].inputs

    @property
    def output_dim(self) -> int:
        return self.layers[-1].outputs

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @property
    def output_activation(self) -> str:
        return self.layers[-1].activation

    @property
    def is_binary_logistic(self) -> bool:
        return self.output_activation == "sigmoid" and self.output_dim == 1

    @property
    def widths(self) -> list[int]:
        return [self.input_dim] + [layer.outputs for layer in self.layers]

    @property
    def parameter_count(self) -> int:
        return sum(layer.weight.size + layer.bias.size for layer in self.layers)

    @property
    def flops_per_sample(self) -> int:
        # Multiply-adds of the dense layers, the figure PERFORMANCE.md quotes (2 * in * out).
        return sum(2 * layer.inputs * layer.outputs for layer in self.layers)

    @property
    def weight_bytes(self) -> int:
        return 4 * self.parameter_count

    @property
    def loss_eps(self) -> float:
        """Clipping eps of the loss: that of the dtype the model's probabilities come in.

        sklearn's log_loss clips with the machine eps of the probabilities' dtype, so a model
        stored in float64 (sklearn's own) is scored like its float64 ``predict_proba``.
        """
        return float(np.finfo(np.dtype(self.source_dtype)).eps)

    def summary(self) -> str:
        parts = [str(self.input_dim)]
        parts += [f"{layer.outputs} ({layer.activation})" for layer in self.layers]
        return " → ".join(parts)

    def describe(self) -> dict[str, Any]:
        """JSON-serialisable facts for display and storage (no weights)."""
        return {
            "summary": self.summary(),
            "input_dim": self.input_dim,
            "widths": self.widths,
            "activations": [layer.activation for layer in self.layers],
            "classes": [json_label(c) for c in self.classes],
            "output_activation": self.output_activation,
            "parameter_count": self.parameter_count,
            "flops_per_sample": self.flops_per_sample,
            "source_format": self.source_format,
            "source_dtype": self.source_dtype,
        }


def build_model(
    *,
    layers: list[tuple[np.ndarray, np.ndarray, str]],
    classes: list[Any] | None = None,
    source_format: str = "arrays",
    metadata: dict[str, Any] | None = None,
) -> ModelSpec:
    """Validate raw ``(W [in, out], b [out], activation)`` layers and return a ModelSpec.

    Raises ModelFormatError for an empty model, bad dtypes or ranks, empty layers, layers that
    do not chain, NaN/Inf values, unknown activations, softmax before the output, or classes
    that do not match the output.
    """
    if not layers:
        raise ModelFormatError("model_no_layers")
    checked: list[Layer] = []
    dtypes: set[str] = set()
    previous: int | None = None
    for index, (weight, bias, activation) in enumerate(layers):
        weight = np.asarray(weight)
        bias = np.asarray(bias)
        for name, tensor in (("weights", weight), ("bias", bias)):
            if tensor.dtype not in (np.float32, np.float64):
                raise ModelFormatError(
                    "model_bad_dtype", layer=index, tensor=name, dtype=str(tensor.dtype)
                )
            dtypes.add(str(tensor.dtype))
        if bias.ndim == 2 and bias.shape[0] == 1:
            bias = bias[0]  # Keras and ONNX often store a bias as [1, out].
        if weight.ndim != 2:
            raise ModelFormatError(
                "model_bad_rank", layer=index, tensor="weights", shape=list(weight.shape)
            )
        if bias.ndim != 1:
            raise ModelFormatError(
                "model_bad_rank", layer=index, tensor="bias", shape=list(bias.shape)
            )
        if weight.size == 0:
            raise ModelFormatError("model_empty_layer", layer=index, shape=list(weight.shape))
        if previous is not None and weight.shape[0] != previous:
            raise ModelFormatError(
                "model_shape_mismatch", layer=index, got=int(weight.shape[0]), expected=previous
            )
        if bias.shape[0] != weight.shape[1]:
            raise ModelFormatError(
                "model_bias_mismatch",
                layer=index,
                outputs=int(weight.shape[1]),
                bias=int(bias.shape[0]),
            )
        for name, tensor in (("weights", weight), ("bias", bias)):
            bad = int(tensor.size - np.count_nonzero(np.isfinite(tensor)))
            if bad:
                raise ModelFormatError("model_not_finite", layer=index, tensor=name, count=bad)
        act = ACTIVATION_ALIASES.get(str(activation).lower(), str(activation).lower())
        is_last = index == len(layers) - 1
        allowed = OUTPUT_ACTIVATIONS if is_last else HIDDEN_ACTIVATIONS
        if act == "softmax" and not is_last:
            raise ModelFormatError("model_softmax_not_last", layer=index)
        if act not in allowed:
            raise ModelFormatError(
                "model_bad_activation",
                layer=index,
                activation=str(activation),
                supported=", ".join(allowed),
            )
        w32 = np.ascontiguousarray(weight, dtype=np.float32)
        b32 = np.ascontiguousarray(bias, dtype=np.float32)
        # float64 weights can overflow float32 even when finite.
        if not (np.all(np.isfinite(w32)) and np.all(np.isfinite(b32))):
            raise ModelFormatError("model_not_finite", layer=index, tensor="weights", count=1)
        w32.setflags(write=False)
        b32.setflags(write=False)
        checked.append(Layer(weight=w32, bias=b32, activation=act))
        previous = int(weight.shape[1])

    outputs = checked[-1].outputs
    last = checked[-1].activation
    if last == "sigmoid" and outputs > 1:
        raise ModelFormatError(
            "model_bad_output",
            reason=f"a sigmoid output with {outputs} units is multi-label; use softmax "
            "(or no activation, for logits) for a single-label classifier",
        )
    expected = 2 if (last == "sigmoid" and outputs == 1) else outputs
    if expected < 2:
        raise ModelFormatError(
            "model_bad_output",
            reason="one output without a sigmoid cannot tell two classes apart",
        )
    if classes is None:
        classes = list(range(expected))
    classes = _checked_labels(classes)
    if len(classes) != expected:
        raise ModelFormatError("model_classes_mismatch", classes=len(classes), outputs=expected)
    seen: set[Any] = set()
    for label in classes:
        if label in seen:
            raise ModelFormatError("model_duplicate_classes", label=json_label(label))
        seen.add(label)
    source_dtype = "float64" if "float64" in dtypes else "float32"
    return ModelSpec(
        layers=tuple(checked),
        classes=tuple(classes),
        source_format=source_format,
        source_dtype=source_dtype,
        metadata=dict(metadata or {}),
    )


def _checked_labels(classes) -> list[Any]:
    """Class labels in their normal form; anything but a number or text is refused.

    Labels come from the uploaded file (a manifest, ONNX metadata or attributes), so a list, an
    object, NaN or bytes that are not UTF-8 must be a refusal, not a crash further on.
    """
    if not isinstance(classes, (list, tuple)):
        raise ModelFormatError("model_bad_class_label", position=0, label=repr(classes)[:40])
    checked = []
    for position, value in enumerate(classes):
        try:
            label = normalise_label(value)
        except UnicodeDecodeError:
            label = None
        valid = isinstance(label, (int, str)) or (isinstance(label, float) and math.isfinite(label))
        if not valid:
            shown = repr(value)
            shown = shown if len(shown) <= 40 else shown[:39] + "…"
            raise ModelFormatError("model_bad_class_label", position=position, label=shown)
        checked.append(label)
    return checked
