"""Model loading: ``.npz`` layer archives and ONNX multilayer perceptrons, validated on load.

Nothing is ever unpickled: ``.npz`` files are read with ``allow_pickle=False`` and ONNX files
are parsed as protobuf without external data. Every check runs before any evaluation.
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import numpy as np

from innovation_center.kernel.errors import ModelFormatError

DEFAULT_MAX_BYTES = 256 * 1024 * 1024

HIDDEN_ACTIVATIONS = ("identity", "relu", "sigmoid", "tanh")
OUTPUT_ACTIVATIONS = ("identity", "relu", "sigmoid", "tanh", "softmax")
# Names other exporters use for the same functions.
ACTIVATION_ALIASES = {"logistic": "sigmoid", "linear": "identity", "none": "identity"}
MANIFEST_FORMAT = "innovation-center-mlp"

Source = str | os.PathLike | bytes | BinaryIO


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
            "classes": [_json_label(c) for c in self.classes],
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
    classes = [_normalise_label(c) for c in classes]
    if len(classes) != expected:
        raise ModelFormatError("model_classes_mismatch", classes=len(classes), outputs=expected)
    seen: set[Any] = set()
    for label in classes:
        if label in seen:
            raise ModelFormatError("model_duplicate_classes", label=_json_label(label))
        seen.add(label)
    source_dtype = "float64" if "float64" in dtypes else "float32"
    return ModelSpec(
        layers=tuple(checked),
        classes=tuple(classes),
        source_format=source_format,
        source_dtype=source_dtype,
        metadata=dict(metadata or {}),
    )


def _normalise_label(value: Any) -> Any:
    """Labels compare by value: 3, 3.0, np.int64(3) and "3" are the same class."""
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"[+-]?\d+", text):
            return int(text)
        try:
            number = float(text)
        except ValueError:
            return text
        return int(number) if number.is_integer() else number
    return value


def _json_label(value: Any) -> Any:
    return value if isinstance(value, (int, float, str)) else str(value)


# ---------------------------------------------------------------------------------- reading


def _read_source(source: Source, *, max_bytes: int, too_large_code: str, error_type) -> bytes:
    """Read the whole source, refusing anything above ``max_bytes`` before reading it."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        size = len(data)
    elif isinstance(source, (str, os.PathLike)):
        try:
            size = os.path.getsize(source)
        except OSError as exc:
            raise error_type(reason=exc.strerror or str(exc)) from exc
        if size > max_bytes:
            raise error_type(too_large_code, size_mib=size / 2**20, limit_mib=max_bytes / 2**20)
        with open(source, "rb") as handle:
            data = handle.read(max_bytes + 1)
        size = len(data)
    else:
        # File-like (e.g. a Django UploadedFile): read one byte past the limit to detect it.
        data = source.read(max_bytes + 1)
        size = len(data)
    if size > max_bytes:
        raise error_type(too_large_code, size_mib=size / 2**20, limit_mib=max_bytes / 2**20)
    return data


def load_model(
    *, source: Source, max_bytes: int = DEFAULT_MAX_BYTES, filename: str | None = None
) -> ModelSpec:
    """Load and validate a model from a path, bytes or a binary file object.

    The format is chosen by content (a zip archive is ``.npz``, anything else is tried as
    ONNX); ``filename`` only improves messages. Raises ModelFormatError before any evaluation.
    """
    del filename
    data = _read_source(
        source, max_bytes=max_bytes, too_large_code="model_too_large", error_type=ModelFormatError
    )
    if data[:4] == b"PK\x03\x04":
        return load_npz_model(data=data, max_bytes=max_bytes)
    return load_onnx_model(data=data)


def load_npz_model(*, data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> ModelSpec:
    """Parse an ``.npz`` archive of ``W0, b0, W1, b1, ...`` plus a JSON ``manifest`` entry.

    Manifest: ``{"format": "innovation-center-mlp", "version": 1, "activations": [...],
    "classes": [...]}`` stored as a 0-d/1-d str array or a 1-d uint8 array of UTF-8 JSON.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        # The uncompressed size counts too, so a small compressed file cannot exhaust memory.
        unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise ModelFormatError(reason=f"not a valid .npz archive: {exc}") from exc
    if unpacked > max_bytes:
        raise ModelFormatError(
            "model_too_large", size_mib=unpacked / 2**20, limit_mib=max_bytes / 2**20
        )
    try:
        npz = np.load(io.BytesIO(data), allow_pickle=False)
        arrays = {name: npz[name] for name in npz.files}
    except (ValueError, OSError, zipfile.BadZipFile) as exc:
        # Object arrays land here: allow_pickle=False refuses them.
        raise ModelFormatError(reason=f"an entry is not a plain numeric array: {exc}") from exc
    if "manifest" not in arrays:
        raise ModelFormatError("model_manifest_missing")
    manifest = _parse_manifest(arrays.pop("manifest"))
    indices: set[int] = set()
    for name in arrays:
        match = re.fullmatch(r"([Wb])(\d+)", name)
        if not match:
            raise ModelFormatError("model_unexpected_entry", name=name)
        indices.add(int(match.group(2)))
    count = len(indices)
    for index in range(count):
        for present, missing in ((f"W{index}", f"b{index}"), (f"b{index}", f"W{index}")):
            if present in arrays and missing not in arrays:
                raise ModelFormatError(
                    "model_missing_entry", name_present=present, name_missing=missing
                )
        if f"W{index}" not in arrays:
            raise ModelFormatError(
                "model_missing_entry", name_present=f"layer {count - 1}", name_missing=f"W{index}"
            )
    activations = manifest["activations"]
    if len(activations) != count:
        raise ModelFormatError(
            "model_manifest_invalid",
            reason=f"'activations' lists {len(activations)} entries for {count} layers",
        )
    layers = [(arrays[f"W{i}"], arrays[f"b{i}"], activations[i]) for i in range(count)]
    return build_model(
        layers=layers,
        classes=manifest.get("classes"),
        source_format="npz",
        metadata={k: v for k, v in manifest.items() if k not in ("activations", "classes")},
    )


def _parse_manifest(entry: np.ndarray) -> dict[str, Any]:
    if entry.dtype == np.uint8 and entry.ndim == 1:
        text = entry.tobytes().decode("utf-8", errors="replace")
    elif entry.dtype.kind in "US" and entry.ndim in (0, 1) and entry.size == 1:
        text = entry.reshape(()).item()
        text = text.decode("utf-8", errors="replace") if isinstance(text, bytes) else text
    else:
        raise ModelFormatError(
            "model_manifest_invalid",
            reason="it must be a JSON string or a 1-d uint8 array of UTF-8 JSON",
        )
    try:
        manifest = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelFormatError("model_manifest_invalid", reason=f"not JSON ({exc.msg})") from exc
    if not isinstance(manifest, dict):
        raise ModelFormatError("model_manifest_invalid", reason="it must be a JSON object")
    if manifest.get("format", MANIFEST_FORMAT) != MANIFEST_FORMAT:
        raise ModelFormatError(
            "model_manifest_invalid", reason=f"'format' must be '{MANIFEST_FORMAT}'"
        )
    activations = manifest.get("activations")
    if not isinstance(activations, list) or not all(isinstance(a, str) for a in activations):
        raise ModelFormatError(
            "model_manifest_invalid", reason="'activations' must be a list of names"
        )
    classes = manifest.get("classes")
    if classes is not None and (
        not isinstance(classes, list) or not all(isinstance(c, (int, float, str)) for c in classes)
    ):
        raise ModelFormatError(
            "model_manifest_invalid", reason="'classes' must be a list of numbers or strings"
        )
    return manifest


def save_npz_model(
    *,
    path: str | os.PathLike | BinaryIO,
    weights: list[np.ndarray],
    biases: list[np.ndarray],
    activations: list[str],
    classes: list[Any] | None = None,
) -> None:
    """Write layers and their manifest in the ``.npz`` format ``load_model`` reads."""
    manifest = {
        "format": MANIFEST_FORMAT,
        "version": 1,
        "activations": list(activations),
        "classes": None if classes is None else [_json_label(_normalise_label(c)) for c in classes],
    }
    arrays: dict[str, np.ndarray] = {"manifest": np.array(json.dumps(manifest))}
    for index, (weight, bias) in enumerate(zip(weights, biases, strict=True)):
        arrays[f"W{index}"] = np.asarray(weight)
        arrays[f"b{index}"] = np.asarray(bias)
    np.savez(path, **arrays)


def save_sklearn_mlp(*, path: str | os.PathLike | BinaryIO, estimator: Any) -> None:
    """Write a fitted ``sklearn.neural_network.MLPClassifier`` as an ``.npz`` model.

    Uses ``coefs_``, ``intercepts_``, ``activation``, ``out_activation_`` and ``classes_``;
    a binary classifier keeps sklearn's single logistic output unit.
    """
    hidden = estimator.activation
    count = len(estimator.coefs_)
    activations = [hidden] * (count - 1) + [estimator.out_activation_]
    if estimator.out_activation_ not in ("softmax", "logistic"):
        raise ModelFormatError(
            "model_bad_output",
            reason=f"sklearn output activation '{estimator.out_activation_}' is not a "
            "single-label classifier (multi-label models are not supported)",
        )
    save_npz_model(
        path=path,
        weights=list(estimator.coefs_),
        biases=list(estimator.intercepts_),
        activations=activations,
        classes=list(estimator.classes_),
    )


# ------------------------------------------------------------------------------------- ONNX

ONNX_SUPPORTED = (
    "Gemm",
    "MatMul",
    "Add",
    "Relu",
    "Sigmoid",
    "Tanh",
    "Softmax",
    "Flatten",
    "Reshape",
    "Identity",
    "Cast",
)
_ONNX_ACTIVATIONS = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh"}


def load_onnx_model(*, data: bytes) -> ModelSpec:
    """Fold an ONNX multilayer perceptron into dense layers.

    Accepted: the nodes that compute the chosen output from the single graph input, drawn from
    Gemm (any alpha/beta/transB; transA=0), MatMul + Add, Relu/Sigmoid/Tanh, Softmax (last
    axis, at the end), Flatten/Reshape to [batch, features], Identity, and Cast to a float
    type; constants may come from initializers or Constant nodes. The output is the only
    float tensor output, else the one named ``probabilities`` (skl2onnx); an output made by
    ZipMap is followed back to its input. skl2onnx's binary head (Sigmoid, then
    Concat(1 - p, p)) is folded into a one-unit sigmoid layer. Nodes that do not feed the
    chosen output (skl2onnx's ArgMax/label branch) are ignored. Class labels come from
    metadata ``classes`` (a JSON list), ZipMap's labels, or the ``classes`` initializer that
    skl2onnx gathers with ArgMax, else 0..n-1.
    """
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError as exc:  # pragma: no cover - onnx is pinned in requirements.txt
        raise ModelFormatError(reason="the onnx package is not installed") from exc
    try:
        model = onnx.load_model_from_string(data)
    except Exception as exc:  # protobuf raises its own DecodeError family
        raise ModelFormatError("model_unknown_format") from exc
    graph = model.graph
    if not graph.node and not graph.input:
        raise ModelFormatError("model_unknown_format")

    constants: dict[str, np.ndarray] = {}
    for tensor in graph.initializer:
        if tensor.data_location == onnx.TensorProto.EXTERNAL or tensor.external_data:
            raise ModelFormatError("onnx_external_data", name=tensor.name)
        constants[tensor.name] = numpy_helper.to_array(tensor)
    for node in graph.node:
        if node.op_type == "Constant":
            for attribute in node.attribute:
                if attribute.name == "value":
                    if attribute.t.data_location == onnx.TensorProto.EXTERNAL:
                        raise ModelFormatError("onnx_external_data", name=node.output[0])
                    constants[node.output[0]] = numpy_helper.to_array(attribute.t)
                elif attribute.name in ("value_float", "value_floats", "value_int", "value_ints"):
                    constants[node.output[0]] = np.asarray(
                        onnx.helper.get_attribute_value(attribute)
                    )

    inputs = [value for value in graph.input if value.name not in constants]
    if len(inputs) != 1:
        raise ModelFormatError(
            "onnx_unsupported_structure",
            reason=f"the graph has {len(inputs)} data inputs; exactly one is supported",
            node=graph.name,
        )
    graph_input = inputs[0]
    producers = {out: node for node in graph.node for out in node.output}

    output_name, zipmap = _onnx_pick_output(graph, producers)
    needed = _onnx_ancestors(output_name, producers, constants)
    classes = _onnx_classes(model, graph, zipmap, output_name, constants)

    current = graph_input.name
    input_shape = _onnx_shape(graph_input)
    feature_dim: int | None = None
    if input_shape and len(input_shape) >= 2 and all(isinstance(d, int) for d in input_shape[1:]):
        feature_dim = int(np.prod(input_shape[1:]))
    layers: list[list[Any]] = []  # [W, b, activation, bias_added]
    finished = False
    binary_sigmoid: str | None = None  # tensor holding p of a one-unit sigmoid
    one_minus: str | None = None  # tensor holding 1 - p in skl2onnx's binary head
    onnx_dtypes: set[str] = set()

    for node in graph.node:
        if id(node) not in needed or node.op_type == "Constant":
            continue
        op = node.op_type
        name = node.name or op
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        data_inputs = [i for i in node.input if i and i not in constants]

        if op == "Sub" and binary_sigmoid and list(node.input)[1:] == [binary_sigmoid]:
            minuend = constants.get(node.input[0])
            if minuend is not None and minuend.size == 1 and float(minuend.ravel()[0]) == 1.0:
                one_minus = node.output[0]
                continue
        if op == "Concat" and binary_sigmoid and one_minus:
            if list(node.input) == [one_minus, binary_sigmoid] and attrs.get("axis") in (1, -1):
                current = node.output[0]
                finished = True
                continue
        if op not in ONNX_SUPPORTED:
            raise ModelFormatError(
                "onnx_unsupported_operator",
                op_type=op,
                node=name,
                supported=", ".join(ONNX_SUPPORTED),
            )
        # Identity and Cast may still follow the output activation (skl2onnx adds Identity).
        if (finished and op not in ("Identity", "Cast")) or data_inputs != [current]:
            raise ModelFormatError(
                "onnx_unsupported_structure",
                reason="every operator must take the previous one's result as its only "
                "data input, in one chain from the input to the output",
                node=name,
            )
        if op in ("Identity",):
            pass
        elif op == "Cast":
            if attrs.get("to") not in (onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE):
                raise ModelFormatError(
                    "onnx_unsupported_structure", reason="Cast to a non-float type", node=name
                )
        elif op in ("Flatten", "Reshape"):
            if op == "Flatten" and attrs.get("axis", 1) != 1:
                raise ModelFormatError(
                    "onnx_unsupported_structure", reason="Flatten with axis != 1", node=name
                )
            if op == "Reshape":
                shape = constants.get(node.input[1]) if len(node.input) > 1 else None
                if shape is None or shape.ndim != 1 or shape.size != 2:
                    raise ModelFormatError(
                        "onnx_unsupported_structure",
                        reason="only Reshape to a constant [batch, features] shape is supported",
                        node=name,
                    )
                width = int(shape[1])
                known = layers[-1][0].shape[1] if layers else feature_dim
                if width != -1 and known is not None and width != known:
                    raise ModelFormatError(
                        "onnx_unsupported_structure",
                        reason=f"Reshape to {width} features, but the tensor has {known}",
                        node=name,
                    )
                if width > 0 and not layers:
                    feature_dim = width
        elif op in ("MatMul", "Gemm"):
            weight = constants.get(node.input[1]) if len(node.input) > 1 else None
            if node.input[0] != current or weight is None:
                raise ModelFormatError(
                    "onnx_unsupported_structure",
                    reason=f"{op} must multiply the data (first input) by a constant matrix",
                    node=name,
                )
            onnx_dtypes.add(str(weight.dtype))
            _onnx_check_float(weight, layer=len(layers), tensor="weights")
            weight = weight.astype(np.float64)
            if op == "Gemm":
                if attrs.get("transA", 0):
                    raise ModelFormatError(
                        "onnx_unsupported_structure",
                        reason="Gemm with transA=1 transposes the batch",
                        node=name,
                    )
                if weight.ndim != 2:
                    raise ModelFormatError(
                        "model_bad_rank",
                        layer=len(layers),
                        tensor="weights",
                        shape=list(weight.shape),
                    )
                if attrs.get("transB", 0):
                    weight = weight.T
                weight = weight * float(attrs.get("alpha", 1.0))
                bias = np.zeros(weight.shape[1])
                if len(node.input) > 2 and node.input[2]:
                    c = constants.get(node.input[2])
                    if c is None:
                        raise ModelFormatError(
                            "onnx_unsupported_structure",
                            reason="Gemm's C input must be a constant",
                            node=name,
                        )
                    onnx_dtypes.add(str(c.dtype))
                    _onnx_check_float(c, layer=len(layers), tensor="bias")
                    bias = bias + float(attrs.get("beta", 1.0)) * _onnx_bias(
                        c, width=weight.shape[1], node=name
                    )
                layers.append([weight, bias, "identity", True])
            else:
                if weight.ndim != 2:
                    raise ModelFormatError(
                        "model_bad_rank",
                        layer=len(layers),
                        tensor="weights",
                        shape=list(weight.shape),
                    )
                layers.append([weight, np.zeros(weight.shape[1]), "identity", False])
        elif op == "Add":
            addend = next((constants[i] for i in node.input if i in constants), None)
            if addend is None or not layers or layers[-1][2] != "identity" or layers[-1][3]:
                raise ModelFormatError(
                    "onnx_unsupported_structure",
                    reason="Add is only supported as the constant bias right after MatMul",
                    node=name,
                )
            onnx_dtypes.add(str(addend.dtype))
            _onnx_check_float(addend, layer=len(layers) - 1, tensor="bias")
            layers[-1][1] = layers[-1][1] + _onnx_bias(
                addend, width=layers[-1][0].shape[1], node=name
            )
            layers[-1][3] = True
        elif op in _ONNX_ACTIVATIONS or op == "Softmax":
            if not layers or layers[-1][2] != "identity":
                raise ModelFormatError(
                    "onnx_unsupported_structure",
                    reason=f"{op} must follow a dense layer (MatMul/Gemm), once",
                    node=name,
                )
            if op == "Softmax":
                opset = _onnx_opset(model)
                axis = attrs.get("axis", -1 if opset >= 13 else 1)
                if axis not in (1, -1):
                    raise ModelFormatError(
                        "onnx_unsupported_structure",
                        reason=f"Softmax over axis {axis}; only the class axis is supported",
                        node=name,
                    )
                layers[-1][2] = "softmax"
                finished = True
            else:
                layers[-1][2] = _ONNX_ACTIVATIONS[op]
                if op == "Sigmoid" and layers[-1][0].shape[1] == 1:
                    binary_sigmoid = node.output[0]
        current = node.output[0]

    if current != output_name:
        raise ModelFormatError(
            "onnx_unsupported_structure",
            reason="the chosen output is not reached by one chain from the input",
            node=output_name,
        )
    if not layers:
        raise ModelFormatError("model_no_layers")
    if feature_dim is not None and feature_dim != layers[0][0].shape[0]:
        raise ModelFormatError(
            "model_shape_mismatch", layer=0, got=int(layers[0][0].shape[0]), expected=feature_dim
        )
    spec = build_model(
        layers=[(w, b, act) for w, b, act, _ in layers],
        classes=classes,
        source_format="onnx",
        metadata={"producer": model.producer_name, "output": output_name},
    )
    # Weights were widened to float64 while folding; the file's own dtype decides loss eps.
    dtype = "float64" if "float64" in onnx_dtypes else "float32"
    return ModelSpec(
        layers=spec.layers,
        classes=spec.classes,
        source_format="onnx",
        source_dtype=dtype,
        metadata=spec.metadata,
    )


def _onnx_check_float(array: np.ndarray, *, layer: int, tensor: str) -> None:
    if array.dtype not in (np.float32, np.float64):
        raise ModelFormatError(
            "model_bad_dtype", layer=layer, tensor=tensor, dtype=str(array.dtype)
        )


def _onnx_bias(array: np.ndarray, *, width: int, node: str) -> np.ndarray:
    flat = np.asarray(array, dtype=np.float64)
    if flat.size == 1:
        return np.full(width, float(flat.ravel()[0]))
    if flat.ndim == 2 and flat.shape[0] == 1:
        flat = flat[0]
    if flat.ndim != 1 or flat.shape[0] != width:
        raise ModelFormatError(
            "onnx_unsupported_structure",
            reason=f"bias of shape {list(array.shape)} does not broadcast to {width} outputs",
            node=node,
        )
    return flat


def _onnx_opset(model) -> int:
    for entry in model.opset_import:
        if entry.domain in ("", "ai.onnx"):
            return int(entry.version)
    return 1


def _onnx_shape(value) -> list[int | str | None]:
    dims = []
    for dim in value.type.tensor_type.shape.dim:
        if dim.HasField("dim_value"):
            dims.append(int(dim.dim_value))
        else:
            dims.append(dim.dim_param or None)
    return dims


def _onnx_pick_output(graph, producers) -> tuple[str, Any]:
    import onnx

    float_types = (onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE)
    zipmaps = {
        out.name: producers[out.name]
        for out in graph.output
        if out.name in producers and producers[out.name].op_type == "ZipMap"
    }
    candidates = [
        out.name
        for out in graph.output
        if out.type.HasField("tensor_type") and out.type.tensor_type.elem_type in float_types
    ]
    if not candidates and len(zipmaps) == 1:
        zipmap = next(iter(zipmaps.values()))
        return zipmap.input[0], zipmap
    if len(candidates) == 1:
        return candidates[0], None
    if "probabilities" in candidates:
        return "probabilities", None
    raise ModelFormatError(
        "onnx_unsupported_structure",
        reason=f"cannot tell which of the outputs {candidates or [o.name for o in graph.output]} "
        "holds the class scores; export one float output",
        node=graph.name,
    )


def _onnx_ancestors(output: str, producers, constants) -> set[int]:
    needed: set[int] = set()
    stack = [output]
    while stack:
        name = stack.pop()
        node = producers.get(name)
        if node is None or id(node) in needed:
            continue
        needed.add(id(node))
        stack.extend(i for i in node.input if i)
    return needed


def _onnx_classes(model, graph, zipmap, output: str, constants) -> list[Any] | None:
    import onnx

    for prop in model.metadata_props:
        if prop.key in ("classes", "class_labels"):
            try:
                labels = json.loads(prop.value)
            except json.JSONDecodeError as exc:
                raise ModelFormatError(
                    "model_manifest_invalid", reason=f"metadata '{prop.key}' is not a JSON list"
                ) from exc
            if isinstance(labels, list):
                return labels
    nodes = list(graph.node)
    if zipmap is None:
        zipmap = next((n for n in nodes if n.op_type == "ZipMap" and n.input[0] == output), None)
    if zipmap is not None:
        for attribute in zipmap.attribute:
            if attribute.name in ("classlabels_int64s", "classlabels_strings"):
                return list(onnx.helper.get_attribute_value(attribute))
    argmaxes = {n.output[0] for n in nodes if n.op_type == "ArgMax" and n.input[0] == output}
    for node in nodes:
        if (
            node.op_type == "ArrayFeatureExtractor"
            and len(node.input) == 2
            and node.input[1] in argmaxes
            and node.input[0] in constants
        ):
            return list(constants[node.input[0]].ravel())
    return None
