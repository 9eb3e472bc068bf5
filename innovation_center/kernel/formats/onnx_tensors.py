"""An ONNX file's constants and node attributes read into numpy arrays and plain values, each
checked for what a dense layer can use (kernel.formats.onnx)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import onnx
from onnx import numpy_helper

from innovation_center.kernel.errors import ModelFormatError


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
