"""ONNX multilayer perceptrons, folded into dense layers.

Accepted: the nodes that compute the chosen output from the single graph input, drawn from
Gemm (any alpha/beta/transB; transA=0), MatMul + Add, Relu/Sigmoid/Tanh, Softmax (last axis,
at the end), Flatten/Reshape to [batch, features], Identity, and Cast to a float type;
constants may come from initializers or Constant nodes. The output is the only float tensor
output, else the one named ``probabilities`` (skl2onnx); an output made by ZipMap is followed
back to its input. skl2onnx's binary head (Sigmoid, then Concat(1 - p, p)) is folded into a
one-unit sigmoid layer. Nodes that do not feed the chosen output (skl2onnx's ArgMax/label
branch) are ignored. Class labels come from metadata ``classes`` (a JSON list), ZipMap's labels,
or the ``classes`` initializer that skl2onnx gathers with ArgMax, else 0..n-1.

Each supported operator has one handler in ``OPERATORS``; a handler folds its node into the
``Chain`` (the layers met so far), or refuses it naming the node.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import onnx
from onnx import numpy_helper

from innovation_center.kernel.errors import ModelFormatError
from innovation_center.kernel.model import ModelSpec, build_model


@dataclass
class PendingLayer:
    """A dense layer while its nodes are folded in; float64 until build_model checks it."""

    weight: np.ndarray  # [inputs, outputs]
    bias: np.ndarray  # [outputs]
    activation: str = "identity"
    # Add folds a bias only into a MatMul that has none yet (Gemm brings its own).
    bias_added: bool = False

    @property
    def outputs(self) -> int:
        return int(self.weight.shape[1])


@dataclass(frozen=True)
class Step:
    """One graph node as the handlers see it; ``name`` is the node's name, else its type."""

    op: str
    name: str
    inputs: list[str]
    output: str
    attrs: dict[str, Any]


@dataclass
class Chain:
    """The fold so far: the tensor reached, the layers it went through, the head's state."""

    current: str
    constants: dict[str, np.ndarray]
    opset: int
    feature_dim: int | None
    layers: list[PendingLayer] = field(default_factory=list)
    # After Softmax or the binary head only Identity and Cast may follow (skl2onnx adds them).
    finished: bool = False
    binary_sigmoid: str | None = None  # tensor holding p of a one-unit sigmoid
    one_minus: str | None = None  # tensor holding 1 - p in skl2onnx's binary head
    # The file's own float types: weights are widened to float64 while folding.
    dtypes: set[str] = field(default_factory=set)


def _structure(reason: str, step: Step) -> ModelFormatError:
    return ModelFormatError("onnx_unsupported_structure", reason=reason, node=step.name)


# ------------------------------------------------------------------------------- operators


def _pass_through(step: Step, chain: Chain) -> None:
    """Identity: nothing to fold."""


def _cast(step: Step, chain: Chain) -> None:
    if step.attrs.get("to") not in (onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE):
        raise _structure("Cast to a non-float type", step)


def _flatten(step: Step, chain: Chain) -> None:
    if step.attrs.get("axis", 1) != 1:
        raise _structure("Flatten with axis != 1", step)


def _reshape(step: Step, chain: Chain) -> None:
    shape = chain.constants.get(step.inputs[1]) if len(step.inputs) > 1 else None
    if shape is None or shape.ndim != 1 or shape.size != 2:
        raise _structure("only Reshape to a constant [batch, features] shape is supported", step)
    if shape.dtype.kind not in "iu":
        # ONNX shapes are int64; a float one may hold NaN, which has no integer value.
        raise _structure(f"the Reshape shape must be integers, not {shape.dtype}", step)
    width = int(shape[1])
    known = chain.layers[-1].outputs if chain.layers else chain.feature_dim
    if width != -1 and known is not None and width != known:
        raise _structure(f"Reshape to {width} features, but the tensor has {known}", step)
    if width > 0 and not chain.layers:
        chain.feature_dim = width


def _constant_weight(step: Step, chain: Chain) -> np.ndarray:
    """The constant matrix a MatMul or Gemm multiplies the data by, widened to float64."""
    weight = chain.constants.get(step.inputs[1]) if len(step.inputs) > 1 else None
    if step.inputs[0] != chain.current or weight is None:
        raise _structure(
            f"{step.op} must multiply the data (first input) by a constant matrix", step
        )
    chain.dtypes.add(str(weight.dtype))
    _check_float(weight, layer=len(chain.layers), tensor="weights")
    return weight.astype(np.float64)


def _check_matrix(weight: np.ndarray, chain: Chain) -> None:
    if weight.ndim != 2:
        raise ModelFormatError(
            "model_bad_rank", layer=len(chain.layers), tensor="weights", shape=list(weight.shape)
        )


def _matmul(step: Step, chain: Chain) -> None:
    weight = _constant_weight(step, chain)
    _check_matrix(weight, chain)
    chain.layers.append(PendingLayer(weight=weight, bias=np.zeros(weight.shape[1])))


def _gemm(step: Step, chain: Chain) -> None:
    """alpha * A @ op(B) + beta * C, with A the data, op(B) = B or B.T (PyTorch's Linear)."""
    weight = _constant_weight(step, chain)
    if step.attrs.get("transA", 0):
        raise _structure("Gemm with transA=1 transposes the batch", step)
    _check_matrix(weight, chain)
    if step.attrs.get("transB", 0):
        weight = weight.T
    weight = weight * float(step.attrs.get("alpha", 1.0))
    bias = np.zeros(weight.shape[1])
    if len(step.inputs) > 2 and step.inputs[2]:
        c = chain.constants.get(step.inputs[2])
        if c is None:
            raise _structure("Gemm's C input must be a constant", step)
        chain.dtypes.add(str(c.dtype))
        _check_float(c, layer=len(chain.layers), tensor="bias")
        bias = bias + float(step.attrs.get("beta", 1.0)) * _bias(
            c, width=weight.shape[1], node=step.name
        )
    chain.layers.append(PendingLayer(weight=weight, bias=bias, bias_added=True))


def _add(step: Step, chain: Chain) -> None:
    addend = next((chain.constants[i] for i in step.inputs if i in chain.constants), None)
    layer = chain.layers[-1] if chain.layers else None
    if addend is None or layer is None or layer.activation != "identity" or layer.bias_added:
        raise _structure("Add is only supported as the constant bias right after MatMul", step)
    chain.dtypes.add(str(addend.dtype))
    _check_float(addend, layer=len(chain.layers) - 1, tensor="bias")
    layer.bias = layer.bias + _bias(addend, width=layer.outputs, node=step.name)
    layer.bias_added = True


def _activated_layer(step: Step, chain: Chain) -> PendingLayer:
    """The dense layer an activation applies to: the last one, not yet activated."""
    if not chain.layers or chain.layers[-1].activation != "identity":
        raise _structure(f"{step.op} must follow a dense layer (MatMul/Gemm), once", step)
    return chain.layers[-1]


_ACTIVATIONS = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh"}


def _activation(step: Step, chain: Chain) -> None:
    layer = _activated_layer(step, chain)
    layer.activation = _ACTIVATIONS[step.op]
    if step.op == "Sigmoid" and layer.outputs == 1:
        chain.binary_sigmoid = step.output


def _softmax(step: Step, chain: Chain) -> None:
    layer = _activated_layer(step, chain)
    # The default axis changed from 1 to -1 in opset 13; both are the class axis of [batch, n].
    axis = step.attrs.get("axis", -1 if chain.opset >= 13 else 1)
    if axis not in (1, -1):
        raise _structure(f"Softmax over axis {axis}; only the class axis is supported", step)
    layer.activation = "softmax"
    chain.finished = True


# In this order in the refusal message.
OPERATORS: dict[str, Callable[[Step, Chain], None]] = {
    "Gemm": _gemm,
    "MatMul": _matmul,
    "Add": _add,
    "Relu": _activation,
    "Sigmoid": _activation,
    "Tanh": _activation,
    "Softmax": _softmax,
    "Flatten": _flatten,
    "Reshape": _reshape,
    "Identity": _pass_through,
    "Cast": _cast,
}
ONNX_SUPPORTED = tuple(OPERATORS)


def _folds_binary_head(step: Step, chain: Chain) -> bool:
    """Fold skl2onnx's binary head, Concat(1 - p, p) after a one-unit Sigmoid, into that layer.

    Sub and Concat are accepted only here, so anything else built from them is refused.
    """
    if step.op == "Sub" and chain.binary_sigmoid and step.inputs[1:] == [chain.binary_sigmoid]:
        minuend = chain.constants.get(step.inputs[0])
        if (
            minuend is not None
            and minuend.dtype.kind in "iuf"
            and minuend.size == 1
            and float(minuend.ravel()[0]) == 1.0
        ):
            chain.one_minus = step.output
            return True
    if (
        step.op == "Concat"
        and chain.binary_sigmoid
        and chain.one_minus
        and step.inputs == [chain.one_minus, chain.binary_sigmoid]
        and step.attrs.get("axis") in (1, -1)
    ):
        chain.current = step.output
        chain.finished = True
        return True
    return False


def _fold(node, chain: Chain) -> None:
    step = Step(
        op=node.op_type,
        name=node.name or node.op_type,
        inputs=list(node.input),
        output=node.output[0],
        attrs=_attributes(node),
    )
    if _folds_binary_head(step, chain):
        return
    handler = OPERATORS.get(step.op)
    if handler is None:
        raise ModelFormatError(
            "onnx_unsupported_operator",
            op_type=step.op,
            node=step.name,
            supported=", ".join(ONNX_SUPPORTED),
        )
    data_inputs = [i for i in step.inputs if i and i not in chain.constants]
    if (chain.finished and step.op not in ("Identity", "Cast")) or data_inputs != [chain.current]:
        raise _structure(
            "every operator must take the previous one's result as its only data input, in one "
            "chain from the input to the output",
            step,
        )
    handler(step, chain)
    chain.current = step.output


# ---------------------------------------------------------------------------------- loading


def load_onnx_model(*, data: bytes) -> ModelSpec:
    """Fold an ONNX multilayer perceptron into dense layers (what is accepted: module doc)."""
    try:
        model = onnx.load_model_from_string(data)
    except Exception as exc:  # protobuf raises its own DecodeError family
        raise ModelFormatError("model_unknown_format") from exc
    graph = model.graph
    if not graph.node and not graph.input:
        raise ModelFormatError("model_unknown_format")
    # One list, so the node objects the ancestry is recorded against are the ones walked.
    nodes = list(graph.node)
    for node in nodes:
        if not node.output or not node.output[0]:
            raise ModelFormatError(
                "onnx_unsupported_structure",
                reason="a node without an output",
                node=node.name or node.op_type,
            )
    constants = _constants(nodes, graph.initializer)

    inputs = [value for value in graph.input if value.name not in constants]
    if len(inputs) != 1:
        raise ModelFormatError(
            "onnx_unsupported_structure",
            reason=f"the graph has {len(inputs)} data inputs; exactly one is supported",
            node=graph.name,
        )
    graph_input = inputs[0]
    producers = {out: node for node in nodes for out in node.output}

    output_name, zipmap = _pick_output(graph, producers)
    needed = _ancestors(output_name, producers)
    classes = _classes(model, nodes, zipmap, output_name, constants)

    chain = Chain(
        current=graph_input.name,
        constants=constants,
        opset=_opset(model),
        feature_dim=_feature_dim(graph_input),
    )
    for node in nodes:
        if id(node) in needed and node.op_type != "Constant":
            _fold(node, chain)

    if chain.current != output_name:
        raise ModelFormatError(
            "onnx_unsupported_structure",
            reason="the chosen output is not reached by one chain from the input",
            node=output_name,
        )
    if not chain.layers:
        raise ModelFormatError("model_no_layers")
    first = chain.layers[0].weight
    if chain.feature_dim is not None and chain.feature_dim != first.shape[0]:
        raise ModelFormatError(
            "model_shape_mismatch", layer=0, got=int(first.shape[0]), expected=chain.feature_dim
        )
    spec = build_model(
        layers=[(layer.weight, layer.bias, layer.activation) for layer in chain.layers],
        classes=classes,
        source_format="onnx",
        metadata={"producer": model.producer_name, "output": output_name},
    )
    # Weights were widened to float64 while folding; the file's own dtype decides loss eps.
    return replace(spec, source_dtype="float64" if "float64" in chain.dtypes else "float32")


def _constants(nodes, initializers) -> dict[str, np.ndarray]:
    """Initializers and Constant nodes by name; a tensor in an external file is refused."""
    constants: dict[str, np.ndarray] = {}
    for tensor in initializers:
        constants[tensor.name] = _tensor_array(tensor, name=tensor.name)
    for node in nodes:
        if node.op_type == "Constant":
            name = node.name or node.op_type
            for attribute in node.attribute:
                expected = _CONSTANT_ATTRIBUTES.get(attribute.name)
                if expected is None:
                    continue
                if attribute.type != expected:
                    raise _bad_attribute(
                        attribute, name, f"it must be of type {_type_name(expected)}"
                    )
                if attribute.name == "value":
                    constants[node.output[0]] = _tensor_array(attribute.t, name=node.output[0])
                else:
                    constants[node.output[0]] = np.asarray(
                        onnx.helper.get_attribute_value(attribute)
                    )
    return constants


_A = onnx.AttributeProto
# Constant's attributes that make a constant here, with the type ONNX defines for each.
_CONSTANT_ATTRIBUTES = {
    "value": _A.TENSOR,
    "value_float": _A.FLOAT,
    "value_floats": _A.FLOATS,
    "value_int": _A.INT,
    "value_ints": _A.INTS,
}
# The attributes the handlers read, with the type ONNX defines for each.
_ATTRIBUTE_TYPES = {
    "alpha": _A.FLOAT,
    "beta": _A.FLOAT,
    "transA": _A.INT,
    "transB": _A.INT,
    "axis": _A.INT,
    "to": _A.INT,
}


def _type_name(kind: int) -> str:
    return _A.AttributeType.Name(kind) if kind in _A.AttributeType.values() else str(kind)


def _bad_attribute(attribute, node: str, reason: str) -> ModelFormatError:
    return ModelFormatError(
        "onnx_bad_attribute", attribute=attribute.name, node=node, reason=reason
    )


def _attributes(node) -> dict[str, Any]:
    """A folded node's attributes by name; one without a type, or of the wrong type, is refused
    rather than read as None (which the handlers would then trip over)."""
    name = node.name or node.op_type
    attrs: dict[str, Any] = {}
    for attribute in node.attribute:
        expected = _ATTRIBUTE_TYPES.get(attribute.name)
        if attribute.ref_attr_name:
            raise _bad_attribute(attribute, name, "it refers to a function's attribute")
        if attribute.type == _A.UNDEFINED or attribute.type not in _A.AttributeType.values():
            raise _bad_attribute(attribute, name, "its type is undefined")
        if expected is not None and attribute.type != expected:
            raise _bad_attribute(
                attribute,
                name,
                f"it must be of type {_type_name(expected)}, not {_type_name(attribute.type)}",
            )
        attrs[attribute.name] = onnx.helper.get_attribute_value(attribute)
    return attrs


_T = onnx.TensorProto
# Element types a constant may have, with the field that holds them outside raw_data (one
# entry per element). Complex, 8-bit and 4-bit floats and the like have no use in an MLP.
_TENSOR_FIELDS = {
    _T.FLOAT: "float_data",
    _T.DOUBLE: "double_data",
    _T.FLOAT16: "int32_data",
    _T.BFLOAT16: "int32_data",
    _T.BOOL: "int32_data",
    _T.INT8: "int32_data",
    _T.UINT8: "int32_data",
    _T.INT16: "int32_data",
    _T.UINT16: "int32_data",
    _T.INT32: "int32_data",
    _T.INT64: "int64_data",
    _T.UINT32: "uint64_data",
    _T.UINT64: "uint64_data",
    _T.STRING: "string_data",
}


def _tensor_array(tensor, *, name: str) -> np.ndarray:
    """A tensor's values, once its declared shape is known to match the data it holds.

    onnx allocates the declared shape before it checks the data, so a tensor that claims
    100,000 × 100,000 values and holds none is refused here, before anything is allocated.
    """
    if tensor.data_location == _T.EXTERNAL or tensor.external_data:
        raise ModelFormatError("onnx_external_data", name=name)
    dims = [int(d) for d in tensor.dims]
    if any(d < 0 for d in dims):
        raise ModelFormatError(
            "onnx_bad_tensor", name=name, reason=f"its shape {dims} has a negative dimension"
        )
    if tensor.HasField("segment"):
        raise ModelFormatError("onnx_bad_tensor", name=name, reason="it is split into segments")
    field_name = _TENSOR_FIELDS.get(tensor.data_type)
    if field_name is None:
        kind = (
            _T.DataType.Name(tensor.data_type)
            if tensor.data_type in _T.DataType.values()
            else str(tensor.data_type)
        )
        raise ModelFormatError(
            "onnx_bad_tensor", name=name, reason=f"its element type {kind} is not supported"
        )
    count = math.prod(dims)
    if tensor.data_type != _T.STRING and tensor.raw_data:
        itemsize = onnx.helper.tensor_dtype_to_np_dtype(tensor.data_type).itemsize
        held, rest = divmod(len(tensor.raw_data), itemsize)
        if rest:
            held = -1  # a partial value: never equal to the count
    else:
        held = len(getattr(tensor, field_name))
    if held != count:
        shown = f"{held}" if held >= 0 else "a partial value"
        raise ModelFormatError(
            "onnx_bad_tensor",
            name=name,
            reason=f"its shape {dims} declares {count} values but it holds {shown}",
        )
    try:
        return numpy_helper.to_array(tensor)
    except (ValueError, TypeError) as exc:
        raise ModelFormatError(
            "onnx_bad_tensor", name=name, reason="its data cannot be read"
        ) from exc


def _check_float(array: np.ndarray, *, layer: int, tensor: str) -> None:
    if array.dtype not in (np.float32, np.float64):
        raise ModelFormatError(
            "model_bad_dtype", layer=layer, tensor=tensor, dtype=str(array.dtype)
        )


def _bias(array: np.ndarray, *, width: int, node: str) -> np.ndarray:
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


def _opset(model) -> int:
    for entry in model.opset_import:
        if entry.domain in ("", "ai.onnx"):
            return int(entry.version)
    return 1


def _feature_dim(value) -> int | None:
    """Features per sample when the input's shape says so: [batch, d1, d2, ...] gives d1*d2*..."""
    dims: list[int | str | None] = []
    for dim in value.type.tensor_type.shape.dim:
        if dim.HasField("dim_value"):
            dims.append(int(dim.dim_value))
        else:
            dims.append(dim.dim_param or None)
    if len(dims) >= 2 and all(isinstance(d, int) for d in dims[1:]):
        return math.prod(dims[1:])
    return None


def _pick_output(graph, producers) -> tuple[str, Any]:
    float_types = (onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE)
    zipmaps = {
        out.name: producers[out.name]
        for out in graph.output
        if out.name in producers
        and producers[out.name].op_type == "ZipMap"
        and producers[out.name].input
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


def _ancestors(output: str, producers) -> set[int]:
    """Ids of the nodes the output depends on; the rest of the graph is ignored."""
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


def _classes(model, nodes, zipmap, output: str, constants) -> list[Any] | None:
    for prop in model.metadata_props:
        if prop.key in ("classes", "class_labels"):
            try:
                labels = json.loads(prop.value)
            except (json.JSONDecodeError, RecursionError) as exc:
                raise ModelFormatError(
                    "model_manifest_invalid", reason=f"metadata '{prop.key}' is not a JSON list"
                ) from exc
            if isinstance(labels, list):
                return labels
    if zipmap is None:
        zipmap = next((n for n in nodes if n.op_type == "ZipMap" and n.input[:1] == [output]), None)
    if zipmap is not None:
        for attribute in zipmap.attribute:
            expected = {"classlabels_int64s": _A.INTS, "classlabels_strings": _A.STRINGS}.get(
                attribute.name
            )
            if expected is None:
                continue
            if attribute.type != expected:
                raise _bad_attribute(
                    attribute, zipmap.name or "ZipMap", f"it must be of type {_type_name(expected)}"
                )
            return list(onnx.helper.get_attribute_value(attribute))
    argmaxes = {n.output[0] for n in nodes if n.op_type == "ArgMax" and n.input[:1] == [output]}
    for node in nodes:
        if (
            node.op_type == "ArrayFeatureExtractor"
            and len(node.input) == 2
            and node.input[1] in argmaxes
            and node.input[0] in constants
        ):
            return list(constants[node.input[0]].ravel())
    return None
