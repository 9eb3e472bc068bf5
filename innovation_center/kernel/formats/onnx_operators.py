"""The ONNX operators folded into dense layers: one handler per operator in ``OPERATORS``
(kernel.formats.onnx)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import onnx

from innovation_center.kernel.errors import ModelFormatError
from innovation_center.kernel.formats.onnx_tensors import _attributes, _bias, _check_float


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
