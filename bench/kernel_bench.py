"""Compare the compiled kernel with the NumPy reference and onnxruntime, side by side.

Usage: .venv/bin/python bench/kernel_bench.py [--repeats 5] [--threads 2]

Same three models as docs/PERFORMANCE (random float32 weights): forward pass, softmax, loss and
top-1 on the whole batch. Prints the median GFLOP/s of each implementation and the ratios. The
machine is shared and noisy: compare within one run, never across runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from innovation_center.kernel import _reference, build_model, run_kernel  # noqa: E402
from innovation_center.kernel.backend import kernel_arguments  # noqa: E402

MODELS = {
    "digits 64-128-64-10": ([64, 128, 64, 10], 1797),
    "784-1024-1024-10": ([784, 1024, 1024, 10], 16384),
    "512-2048x3-100": ([512, 2048, 2048, 2048, 100], 4096),
}


def make_problem(*, dims: list[int], samples: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    layers = []
    for index, (inputs, outputs) in enumerate(zip(dims, dims[1:], strict=False)):
        weight = (rng.standard_normal((inputs, outputs)) * np.sqrt(2 / inputs)).astype(np.float32)
        bias = (rng.standard_normal(outputs) * 0.1).astype(np.float32)
        layers.append((weight, bias, "softmax" if index == len(dims) - 2 else "relu"))
    model = build_model(layers=layers)
    X = rng.standard_normal((samples, dims[0])).astype(np.float32)
    y = rng.integers(0, dims[-1], samples)
    return model, X, y


def onnx_session(*, model, threads: int):
    import onnxruntime
    from onnx import TensorProto, helper, numpy_helper

    nodes, initializers, current = [], [], "x"
    for index, layer in enumerate(model.layers):
        initializers += [
            numpy_helper.from_array(layer.weight, f"w{index}"),
            numpy_helper.from_array(layer.bias, f"b{index}"),
        ]
        nodes.append(helper.make_node("MatMul", [current, f"w{index}"], [f"m{index}"]))
        nodes.append(helper.make_node("Add", [f"m{index}", f"b{index}"], [f"a{index}"]))
        op = "Softmax" if layer.activation == "softmax" else "Relu"
        nodes.append(helper.make_node(op, [f"a{index}"], [f"h{index}"]))
        current = f"h{index}"
    graph = helper.make_graph(
        nodes,
        "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, model.input_dim])],
        [helper.make_tensor_value_info(current, TensorProto.FLOAT, [None, model.output_dim])],
        initializers,
    )
    onnx_model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(
        onnx_model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )


def run_onnxruntime(*, session, X, y, eps):
    probabilities = session.run(None, {"x": X})[0]
    # Same outputs as the kernel: summed clipped loss and top-1 count.
    picked = np.clip(probabilities[np.arange(len(y)), y], eps, 1 - eps)
    loss = float(-np.log(picked.astype(np.float64)).sum())
    return loss, int(np.count_nonzero(probabilities.argmax(axis=1) == y))


def median_seconds(function, *, repeats: int) -> float:
    function()  # Warm-up: first-touch of buffers, BLAS thread start.
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    arguments = parser.parse_args()

    print(f"threads={arguments.threads} repeats={arguments.repeats} (median GFLOP/s)")
    header = f"{'model':<22}{'samples':>8}{'compiled':>10}{'numpy':>9}{'onnxrt':>9}"
    print(header + f"{'cmp/np':>8}{'cmp/ort':>8}")
    for name, (dims, samples) in MODELS.items():
        bench_model(
            name=name,
            dims=dims,
            samples=samples,
            threads=arguments.threads,
            repeats=arguments.repeats,
        )


def bench_model(*, name: str, dims: list[int], samples: int, threads: int, repeats: int) -> None:
    """Time the three implementations on one model and print one row."""
    model, X, y = make_problem(dims=dims, samples=samples)
    gflop = model.flops_per_sample * samples / 1e9
    session = onnx_session(model=model, threads=threads)
    numpy_args = kernel_arguments(model)

    compiled = run_kernel(model=model, X=X, y_index=y, implementation="compiled", n_threads=threads)
    reference = _reference.forward_shard(X=X, y=y, **numpy_args)
    ort = run_onnxruntime(session=session, X=X, y=y, eps=model.loss_eps)
    if not (compiled[1] == reference[1] == ort[1]):
        raise SystemExit(f"{name}: implementations disagree on top-1 counts")

    rates = {
        "compiled": gflop
        / median_seconds(
            lambda: run_kernel(
                model=model,
                X=X,
                y_index=y,
                implementation="compiled",
                n_threads=threads,
            ),
            repeats=repeats,
        ),
        "numpy": gflop
        / median_seconds(
            lambda: _reference.forward_shard(X=X, y=y, **numpy_args),
            repeats=repeats,
        ),
        "onnxrt": gflop
        / median_seconds(
            lambda: run_onnxruntime(session=session, X=X, y=y, eps=model.loss_eps),
            repeats=repeats,
        ),
    }
    print(
        f"{name:<22}{samples:>8}{rates['compiled']:>10.0f}{rates['numpy']:>9.0f}"
        f"{rates['onnxrt']:>9.0f}{rates['compiled'] / rates['numpy']:>8.2f}"
        f"{rates['compiled'] / rates['onnxrt']:>8.2f}"
    )


if __name__ == "__main__":
    main()
