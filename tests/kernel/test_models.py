"""Model loading and validation: .npz and ONNX, refused before any evaluation."""

import io
import json

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from innovation_center.kernel import (
    ModelFormatError,
    build_model,
    load_model,
    run_kernel,
    save_npz_model,
)

from .conftest import npz_bytes, random_layers

MANIFEST = json.dumps({"activations": ["relu", "softmax"], "classes": ["a", "b", "c"]})


def _layers(rng=None):
    rng = rng or np.random.default_rng(0)
    return random_layers(rng=rng, dims=[4, 5, 3], activations=["relu", "softmax"])


def _saved(**overrides) -> bytes:
    (w0, b0, _), (w1, b1, _) = _layers()
    arrays = {"W0": w0, "b0": b0, "W1": w1, "b1": b1, "manifest": np.array(MANIFEST)}
    arrays.update(overrides)
    return npz_bytes(**{k: v for k, v in arrays.items() if v is not None})


def _refusal(data, **kwargs) -> ModelFormatError:
    with pytest.raises(ModelFormatError) as caught:
        load_model(source=data, **kwargs)
    return caught.value


def test_it_loads_an_npz_model_with_its_manifest():
    model = load_model(source=_saved())

    assert model.summary() == "4 → 5 (relu) → 3 (softmax)"
    assert model.classes == ("a", "b", "c")
    assert model.parameter_count == 4 * 5 + 5 + 5 * 3 + 3
    assert model.flops_per_sample == 2 * (4 * 5 + 5 * 3)
    assert model.layers[0].weight.dtype == np.float32
    weight, bias, activation = model.layers[1]
    assert activation == "softmax" and weight.shape == (5, 3) and bias.shape == (3,)


def test_it_accepts_a_uint8_manifest_and_float64_weights():
    (w0, b0, _), (w1, b1, _) = _layers()
    data = npz_bytes(
        W0=w0.astype(np.float64),
        b0=b0,
        W1=w1,
        b1=b1,
        manifest=np.frombuffer(MANIFEST.encode(), dtype=np.uint8),
    )
    model = load_model(source=data)
    assert model.source_dtype == "float64"
    assert model.loss_eps == np.finfo(np.float64).eps


def test_it_round_trips_through_save_npz_model(tmp_path):
    layers = _layers()
    path = tmp_path / "model.npz"
    save_npz_model(
        path=path,
        weights=[w for w, _, _ in layers],
        biases=[b for _, b, _ in layers],
        activations=["relu", "softmax"],
        classes=[3, 5, 9],
    )
    assert load_model(source=str(path)).classes == (3, 5, 9)


@pytest.mark.parametrize(
    ("overrides", "code", "params"),
    [
        ({"manifest": None}, "model_manifest_missing", {}),
        (
            {"W1": np.zeros((6, 3), np.float32)},
            "model_shape_mismatch",
            {"layer": 1, "got": 6, "expected": 5},
        ),
        (
            {"b1": np.zeros(4, np.float32)},
            "model_bias_mismatch",
            {"layer": 1, "outputs": 3, "bias": 4},
        ),
        (
            {"W0": np.zeros((4, 5), np.int32)},
            "model_bad_dtype",
            {"layer": 0, "tensor": "weights", "dtype": "int32"},
        ),
        (
            {"W0": np.zeros((4, 5, 1), np.float32)},
            "model_bad_rank",
            {"layer": 0, "tensor": "weights", "shape": [4, 5, 1]},
        ),
        (
            {"W0": np.zeros((4, 0), np.float32), "b0": np.zeros(0, np.float32)},
            "model_empty_layer",
            {"layer": 0, "shape": [4, 0]},
        ),
        (
            {"b0": np.array([np.nan, 0, 0, np.inf, 0], np.float32)},
            "model_not_finite",
            {"layer": 0, "tensor": "bias", "count": 2},
        ),
        ({"b1": None}, "model_missing_entry", {"name_present": "W1", "name_missing": "b1"}),
        ({"extra": np.zeros(1)}, "model_unexpected_entry", {"name": "extra"}),
        ({"manifest": np.array("{not json")}, "model_manifest_invalid", None),
        (
            {"manifest": np.array(json.dumps({"activations": ["relu", "gelu"]}))},
            "model_bad_activation",
            None,
        ),
        (
            {"manifest": np.array(json.dumps({"activations": ["softmax", "softmax"]}))},
            "model_softmax_not_last",
            {"layer": 0},
        ),
        (
            {
                "manifest": np.array(
                    json.dumps({"activations": ["relu", "softmax"], "classes": [1, 2]})
                )
            },
            "model_classes_mismatch",
            {"classes": 2, "outputs": 3},
        ),
        (
            {
                "manifest": np.array(
                    json.dumps({"activations": ["relu", "softmax"], "classes": [1, 2, "1"]})
                )
            },
            "model_duplicate_classes",
            {"label": 1},
        ),
    ],
)
def test_it_refuses_a_malformed_npz_model(overrides, code, params):
    error = _refusal(_saved(**overrides))
    assert error.code == code
    if params is not None:
        assert error.params == params
    assert error.message and "{" not in error.message


def test_it_refuses_pickled_objects_without_unpickling():
    error = _refusal(_saved(W0=np.array([{"evil": 1}], dtype=object)))
    assert error.code == "model_unreadable"


def test_it_refuses_files_above_the_size_limit(tmp_path):
    path = tmp_path / "model.npz"
    path.write_bytes(_saved())
    error = _refusal(str(path), max_bytes=100)
    assert error.code == "model_too_large"
    assert error.params["limit_mib"] == pytest.approx(100 / 2**20)
    assert _refusal(io.BytesIO(_saved()), max_bytes=100).code == "model_too_large"


def test_it_refuses_a_file_that_is_no_model():
    assert _refusal(b"\x00\x01not a model at all\xff" * 10).code == "model_unknown_format"


def test_it_refuses_a_multi_label_sigmoid_output():
    layers = random_layers(rng=np.random.default_rng(0), dims=[3, 4], activations=["sigmoid"])
    with pytest.raises(ModelFormatError) as caught:
        build_model(layers=layers)
    assert caught.value.code == "model_bad_output"


# ------------------------------------------------------------------------------------- ONNX


def _onnx(nodes, initializers, *, input_shape=(None, 4), output="out", metadata=None, opset=17):
    graph = helper.make_graph(
        nodes,
        "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(input_shape))],
        [helper.make_tensor_value_info(output, TensorProto.FLOAT, [None, None])],
        [numpy_helper.from_array(value, name) for name, value in initializers.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    for key, value in (metadata or {}).items():
        model.metadata_props.add(key=key, value=value)
    return model.SerializeToString()


def _reference_scores(model, X):
    scores = X.astype(np.float64)
    for weight, bias, activation in model.layers:
        scores = scores @ weight + bias
        if activation == "relu":
            scores = np.maximum(scores, 0)
        elif activation == "tanh":
            scores = np.tanh(scores)
    return scores


def test_it_folds_gemm_with_transb_alpha_and_beta_like_pytorch():
    rng = np.random.default_rng(1)
    w0 = rng.standard_normal((5, 4)).astype(np.float32)  # PyTorch stores [out, in].
    c0 = rng.standard_normal(5).astype(np.float32)
    w1 = rng.standard_normal((5, 3)).astype(np.float32)
    c1 = rng.standard_normal((1, 3)).astype(np.float32)
    data = _onnx(
        [
            helper.make_node("Flatten", ["x"], ["f"], name="flat"),
            helper.make_node("Gemm", ["f", "w0", "c0"], ["h"], transB=1, alpha=0.5, beta=2.0),
            helper.make_node("Tanh", ["h"], ["t"]),
            helper.make_node("Gemm", ["t", "w1", "c1"], ["z"]),
            helper.make_node("Identity", ["z"], ["out"]),
        ],
        {"w0": w0, "c0": c0, "w1": w1, "c1": c1},
        input_shape=(None, 2, 2),
        metadata={"classes": json.dumps(["cat", "dog", "owl"])},
    )

    model = load_model(source=data)

    X = rng.standard_normal((7, 4)).astype(np.float32)
    expected = np.tanh(X @ (0.5 * w0.T) + 2.0 * c0) @ w1 + c1
    np.testing.assert_allclose(_reference_scores(model, X), expected, rtol=1e-5, atol=1e-5)
    assert model.classes == ("cat", "dog", "owl")
    assert model.summary() == "4 → 5 (tanh) → 3 (identity)"


def test_it_folds_matmul_add_like_keras_and_treats_missing_softmax_as_logits():
    rng = np.random.default_rng(2)
    w0, b0 = rng.standard_normal((4, 6)).astype(np.float32), np.ones(6, np.float32)
    w1, b1 = rng.standard_normal((6, 3)).astype(np.float32), np.zeros(3, np.float32)
    shape = np.array([-1, 4], np.int64)
    data = _onnx(
        [
            helper.make_node("Reshape", ["x", "shape"], ["r"]),
            helper.make_node("MatMul", ["r", "w0"], ["m0"]),
            helper.make_node("Add", ["b0", "m0"], ["a0"]),
            helper.make_node("Relu", ["a0"], ["h0"]),
            helper.make_node("MatMul", ["h0", "w1"], ["m1"]),
            helper.make_node("Add", ["m1", "b1"], ["a1"]),
            helper.make_node("Softmax", ["a1"], ["out"], axis=-1),
        ],
        {"w0": w0, "b0": b0, "w1": w1, "b1": b1, "shape": shape},
    )
    model = load_model(source=data)
    assert model.summary() == "4 → 6 (relu) → 3 (softmax)"
    assert model.classes == (0, 1, 2)
    X = rng.standard_normal((50, 4)).astype(np.float32)
    y = rng.integers(0, 3, 50)
    expected = np.argmax(_reference_scores(model, X), axis=1)
    _, correct, _, _ = run_kernel(model=model, X=X, y_index=y)
    assert correct == int(np.count_nonzero(expected == y))


def test_it_reads_a_one_unit_sigmoid_as_a_binary_classifier():
    rng = np.random.default_rng(3)
    data = _onnx(
        [
            helper.make_node("MatMul", ["x", "w"], ["m"]),
            helper.make_node("Add", ["m", "b"], ["a"]),
            helper.make_node("Sigmoid", ["a"], ["out"]),
        ],
        {"w": rng.standard_normal((4, 1)).astype(np.float32), "b": np.ones(1, np.float32)},
    )
    model = load_model(source=data)
    assert model.is_binary_logistic and model.classes == (0, 1)
    assert model.summary() == "4 → 1 (sigmoid)"


@pytest.mark.parametrize(("axis", "opset"), [(1, 17), (None, 11)])
def test_it_accepts_softmax_over_the_class_axis(axis, opset):
    attributes = {} if axis is None else {"axis": axis}  # Before opset 13 the default is 1.
    data = _onnx(
        [
            helper.make_node("MatMul", ["x", "w"], ["m"]),
            helper.make_node("Softmax", ["m"], ["out"], **attributes),
        ],
        {"w": np.ones((4, 3), np.float32)},
        opset=opset,
    )
    assert load_model(source=data).output_activation == "softmax"


def test_it_refuses_softmax_over_the_batch_axis():
    data = _onnx(
        [
            helper.make_node("MatMul", ["x", "w"], ["m"]),
            helper.make_node("Softmax", ["m"], ["out"], axis=0, name="soft"),
        ],
        {"w": np.ones((4, 3), np.float32)},
    )
    error = _refusal(data)
    assert error.code == "onnx_unsupported_structure" and error.params["node"] == "soft"


def test_it_refuses_gemm_that_transposes_the_batch():
    data = _onnx(
        [helper.make_node("Gemm", ["x", "w"], ["out"], transA=1, name="g")],
        {"w": np.ones((4, 3), np.float32)},
    )
    error = _refusal(data)
    assert error.code == "onnx_unsupported_structure" and "transA" in error.params["reason"]


def test_it_refuses_an_unsupported_operator_naming_it():
    w = np.ones((4, 3), np.float32)
    data = _onnx(
        [
            helper.make_node("MatMul", ["x", "w"], ["m"]),
            helper.make_node("LeakyRelu", ["m"], ["out"], name="act_1"),
        ],
        {"w": w},
    )
    error = _refusal(data)
    assert error.code == "onnx_unsupported_operator"
    assert error.params["op_type"] == "LeakyRelu" and error.params["node"] == "act_1"
    assert "LeakyRelu" in error.message and "act_1" in error.message


def test_it_refuses_a_branching_graph():
    w = np.ones((4, 4), np.float32)
    data = _onnx(
        [
            helper.make_node("MatMul", ["x", "w"], ["m"]),
            helper.make_node("Add", ["m", "x"], ["out"], name="residual"),
        ],
        {"w": w},
    )
    error = _refusal(data)
    assert error.code == "onnx_unsupported_structure" and error.params["node"] == "residual"


def test_it_refuses_non_float_weights_in_onnx():
    data = _onnx(
        [helper.make_node("MatMul", ["x", "w"], ["out"])], {"w": np.ones((4, 2), np.float16)}
    )
    error = _refusal(data)
    assert error.code == "model_bad_dtype" and error.params["dtype"] == "float16"


def test_it_refuses_onnx_weights_in_external_files():
    graph_model = onnx.load_model_from_string(
        _onnx([helper.make_node("MatMul", ["x", "w"], ["out"])], {"w": np.ones((4, 2), np.float32)})
    )
    tensor = graph_model.graph.initializer[0]
    tensor.ClearField("raw_data")
    tensor.data_location = TensorProto.EXTERNAL
    tensor.external_data.add(key="location", value="/etc/passwd")
    error = _refusal(graph_model.SerializeToString())
    assert error.code == "onnx_external_data" and error.params == {"name": "w"}


def test_it_reads_class_labels_from_a_zipmap_export(digits_classifier):
    from skl2onnx import to_onnx

    onnx_model = to_onnx(digits_classifier, np.zeros((1, 64), np.float32))  # With ZipMap.
    model = load_model(source=onnx_model.SerializeToString())
    assert model.classes == tuple(range(10))
    assert model.summary() == "64 → 64 (relu) → 10 (softmax)"
