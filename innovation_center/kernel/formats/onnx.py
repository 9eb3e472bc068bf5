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
from dataclasses import replace
from typing import Any

import onnx

from innovation_center.kernel.errors import ModelFormatError
from innovation_center.kernel.formats.onnx_operators import (  # noqa: F401 (re-exported)
    ONNX_SUPPORTED,
    OPERATORS,
    Chain,
    PendingLayer,
    Step,
    _fold,
)
from innovation_center.kernel.formats.onnx_tensors import _A, _bad_attribute, _constants, _type_name
from innovation_center.kernel.model import ModelSpec, build_model

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
