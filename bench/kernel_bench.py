"""Compare the compiled kernel with the NumPy reference, onnxruntime and bare sgemm, side by side.

Usage: .venv/bin/python bench/kernel_bench.py [--repeats 5] [--threads 2] [--samples-scale 1.0]
       [--batch-rows 65536]

Three models (random float32 weights): forward pass, softmax, loss and top-1 on the whole set.
Prints the machine's estimated peak, the BLAS/OpenMP libraries actually loaded, then the median
GFLOP/s of each implementation and the ratios. For the two wide models it also times the bare
float32 matrix products of the same layer shapes (numpy matmul on numpy's OpenBLAS,
scipy.linalg.blas.sgemm on scipy's OpenBLAS, which the kernel calls), so the kernel can be
compared with the matrix product it is built on.

The script re-executes itself without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (set on these machines
for the tests; they force slower BLAS kernels) and with passive OpenMP/OpenBLAS wait policies, so
threads left spinning by one contender do not steal the cores from the next. This only affects
the benchmark's own process. Contenders run in an order rotated on every repeat; medians are
reported. The machine is shared and noisy: compare within one run, never across runs.
"""

from __future__ import annotations

import os
import sys

# Must run before numpy/scipy are imported: OpenBLAS and libgomp read these when they load.
_CLEARED_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
_WAIT_POLICY = {
    "OMP_WAIT_POLICY": "PASSIVE",  # libgomp: idle threads sleep at once...
    "GOMP_SPINCOUNT": "0",  # ...without spinning first.
    "OPENBLAS_THREAD_TIMEOUT": "4",  # OpenBLAS workers spin 2**4 cycles, not 2**28, then sleep.
}
_REEXEC_MARK = "KERNEL_BENCH_CLEARED"


def _reexec_with_clean_environment() -> None:
    """Re-run this script without the test-only OpenBLAS overrides and with passive waits."""
    cleared = [f"{name}={os.environ[name]}" for name in _CLEARED_VARIABLES if name in os.environ]
    policy_set = all(os.environ.get(name) == value for name, value in _WAIT_POLICY.items())
    if not cleared and policy_set:
        return
    environment = {k: v for k, v in os.environ.items() if k not in _CLEARED_VARIABLES}
    environment.update(_WAIT_POLICY)
    environment[_REEXEC_MARK] = " ".join(cleared) or "none"
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], environment)


if __name__ == "__main__":
    _reexec_with_clean_environment()

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from innovation_center.kernel import _reference, build_model, run_kernel  # noqa: E402
from innovation_center.kernel.backend import chunk_rows_for, kernel_arguments  # noqa: E402

MODELS = {
    "digits 64-128-64-10": ([64, 128, 64, 10], 1797),
    "784-1024-1024-10": ([784, 1024, 1024, 10], 65_536),
    "512-2048x3-100": ([512, 2048, 2048, 2048, 100], 262_144),
}
# Models whose bare matrix products are timed too (the wide ones, where sgemm is the work).
SGEMM_MODELS = {"784-1024-1024-10", "512-2048x3-100"}
# Rows per call for every contender: the NumPy reference and onnxruntime hold whole-layer
# activations, 262144 x 2048 x 4 B = 2 GiB each; 65536 rows keep that at 512 MiB.
DEFAULT_BATCH_ROWS = 65_536


# --- machine --------------------------------------------------------------------------------


def cpu_description(*, cores: int) -> tuple[list[str], float | None]:
    """Lines describing the CPU and its estimated single-precision peak (GFLOP/s, or None)."""
    fields: dict[str, str] = {}
    try:
        first_cpu = Path("/proc/cpuinfo").read_text().split("\n\n")[0]
    except OSError:
        first_cpu = ""
    for line in first_cpu.splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    flags = set(fields.get("flags", "").split())
    model = fields.get("model name", "unknown CPU")
    vendor, family = fields.get("vendor_id", ""), fields.get("cpu family", "?")
    lines = [
        f"cpu: {model} ({vendor} family {family}), {cores} usable cores"
        + (" (virtual machine: vCPUs)" if "hypervisor" in flags else "")
        + f", cpu cores={fields.get('cpu cores', '?')} siblings={fields.get('siblings', '?')}"
    ]

    ghz, source = None, ""
    try:
        khz = Path("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq").read_text()
        ghz, source = int(khz) / 1e6, "cpufreq cpuinfo_max_freq"
    except (OSError, ValueError):
        if "cpu MHz" in fields:
            ghz = float(fields["cpu MHz"]) / 1e3
            source = "'cpu MHz' of /proc/cpuinfo (no cpufreq; boost clock unknown)"

    fma = "fma" in flags
    if "avx512f" in flags:
        lanes, isa = 16, "avx512f"
    elif "avx2" in flags or "avx" in flags:
        lanes, isa = 8, "avx2" if "avx2" in flags else "avx"
    else:
        lanes, isa = 4, "sse"
    # Two vector FMA (or add + mul) pipes of the full width per core, 2 FLOPs per lane for FMA.
    flops_per_cycle = 2 * lanes * (2 if fma else 1)
    pipes_note = "2 pipes of that width"
    if isa == "avx512f" and vendor == "AuthenticAMD" and family == "25":
        flops_per_cycle //= 2  # Zen 4 runs 512-bit FMAs as two 256-bit halves.
        pipes_note = "Zen 4: 512-bit FMAs in two 256-bit halves"
    lines.append(
        f"simd: {isa}{' + fma' if fma else ''} -> {flops_per_cycle} single-precision "
        f"FLOPs/cycle/core ({pipes_note})"
    )
    if ghz is None:
        lines.append("estimated peak: unknown (no frequency in /proc/cpuinfo or cpufreq)")
        return lines, None
    peak = cores * ghz * flops_per_cycle
    lines.append(f"frequency: {ghz:.2f} GHz from {source}")
    lines.append(
        f"estimated peak: {cores} cores x {ghz:.2f} GHz x {flops_per_cycle} FLOPs/cycle = "
        f"{peak:.0f} GFLOP/s single precision (an estimate from the flags, not a measurement)"
    )
    return lines, peak


def library_lines(*, threads: int) -> list[str]:
    """Which BLAS kernels and OpenMP runtime are loaded, as threadpoolctl reports them."""
    import onnxruntime
    import scipy
    import scipy.linalg.blas  # noqa: F401  (loads scipy's OpenBLAS)
    from threadpoolctl import threadpool_info

    from innovation_center.kernel import _kernel  # noqa: F401  (loads the OpenMP runtime)

    cleared = os.environ.get(_REEXEC_MARK)
    lines = [
        "environment: "
        + (f"unset for this process only: {cleared}; " if cleared and cleared != "none" else "")
        + " ".join(f"{name}={os.environ.get(name)}" for name in _WAIT_POLICY),
        f"numpy {np.__version__}, scipy {scipy.__version__}, onnxruntime "
        f"{onnxruntime.__version__} (CPU provider, intra_op threads={threads}, spinning off)",
    ]
    for pool in threadpool_info():
        path = pool.get("filepath", "")
        if "numpy.libs" in path:
            owner = "numpy's BLAS (reference, sgemm-np)"
        elif "scipy.libs" in path or "scipy_openblas" in path:
            owner = "scipy's BLAS (compiled kernel, sgemm-sp)"
        elif pool.get("user_api") == "openmp":
            owner = "OpenMP (compiled kernel's prange)"
        else:
            owner = pool.get("user_api", "?")
        details = [
            f"internal_api={pool.get('internal_api')}",
            f"version={pool.get('version')}",
        ]
        if "architecture" in pool:
            details.append(f"architecture={pool['architecture']}")
        if "threading_layer" in pool:
            details.append(f"threading={pool['threading_layer']}")
        details.append(f"num_threads={pool.get('num_threads')}")
        lines.append(f"{owner}: " + " ".join(details) + f" [{os.path.basename(path)}]")
    return lines


# --- problem and contenders -----------------------------------------------------------------


def make_model(*, dims: list[int], seed: int = 0):
    rng = np.random.default_rng(seed)
    layers = []
    for index, (inputs, outputs) in enumerate(zip(dims, dims[1:], strict=False)):
        weight = (rng.standard_normal((inputs, outputs)) * np.sqrt(2 / inputs)).astype(np.float32)
        bias = (rng.standard_normal(outputs) * 0.1).astype(np.float32)
        layers.append((weight, bias, "softmax" if index == len(dims) - 2 else "relu"))
    return build_model(layers=layers)


def make_data(*, model, samples: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    # Drawn directly in float32: no float64 copy of a 512 MiB input.
    X = rng.standard_normal((samples, model.input_dim), dtype=np.float32)
    y = rng.integers(0, model.output_dim, samples)
    return X, y


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
    # Idle pool threads must sleep, not spin on the cores the next contender needs.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(
        onnx_model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )


def batches(samples: int, batch_rows: int) -> list[slice]:
    return [
        slice(start, min(start + batch_rows, samples)) for start in range(0, samples, batch_rows)
    ]


def run_compiled(*, model, X, y, parts, threads):
    loss, correct = 0.0, 0
    for part in parts:
        result = run_kernel(
            model=model, X=X[part], y_index=y[part], implementation="compiled", n_threads=threads
        )
        loss, correct = loss + result[0], correct + result[1]
    return loss, correct


def run_reference(*, arguments, X, y, parts):
    loss, correct = 0.0, 0
    for part in parts:
        result = _reference.forward_shard(X=X[part], y=y[part], **arguments)
        loss, correct = loss + result[0], correct + result[1]
    return loss, correct


def run_onnxruntime(*, session, X, y, parts, eps):
    loss, correct = 0.0, 0
    for part in parts:
        probabilities = session.run(None, {"x": X[part]})[0]
        labels = y[part]
        # Same outputs as the kernel: summed clipped loss and top-1 count.
        picked = np.clip(probabilities[np.arange(len(labels)), labels], eps, 1 - eps)
        loss += float(-np.log(picked.astype(np.float64)).sum())
        correct += int(np.count_nonzero(probabilities.argmax(axis=1) == labels))
    return loss, correct


def sgemm_runner(*, model, X, parts, library: str) -> Callable[[], None]:
    """Bare chain of the model's matrix products (no bias, activation or head) over the batches.

    Outputs go to two preallocated ping-pong buffers, so only the products are timed.
    """
    from scipy.linalg.blas import sgemm

    rows = max(part.stop - part.start for part in parts)
    hidden = max(model.widths[1:])
    buffers = [np.empty(rows * hidden, dtype=np.float32) for _ in range(2)]
    weights = [layer.weight for layer in model.layers]

    def run() -> None:
        for part in parts:
            source = X[part]
            n = source.shape[0]
            for index, weight in enumerate(weights):
                target = buffers[index % 2][: n * weight.shape[1]].reshape(n, weight.shape[1])
                if library == "numpy":
                    np.matmul(source, weight, out=target)
                else:
                    # Row-major target = source @ W is column-major target^T = W^T source^T:
                    # all three are Fortran-ordered views, so f2py copies nothing.
                    sgemm(1.0, weight.T, source.T, beta=0.0, c=target.T, overwrite_c=1)
                source = target

    return run


def time_rotated(contenders: dict[str, Callable[[], object]], *, repeats: int):
    """Seconds of each contender per repeat; the order is rotated by one on every repeat."""
    names = list(contenders)
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for repeat in range(repeats):
        shift = repeat % len(names)
        for name in names[shift:] + names[:shift]:
            started = time.perf_counter()
            contenders[name]()
            seconds[name].append(time.perf_counter() - started)
    return seconds


# --- main -----------------------------------------------------------------------------------

COLUMNS = ["compiled", "numpy", "onnxrt", "sgemm-np", "sgemm-sp"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)) or 1)
    parser.add_argument(
        "--samples-scale",
        type=float,
        default=1.0,
        help="multiply every sample count (quick runs: 0.05); at least one kernel chunk",
    )
    parser.add_argument(
        "--batch-rows",
        type=int,
        default=DEFAULT_BATCH_ROWS,
        help="rows per call, the same for every contender (memory)",
    )
    arguments = parser.parse_args()
    threads, repeats = arguments.threads, arguments.repeats

    import scipy.linalg.blas  # noqa: F401  (scipy's OpenBLAS, so the limit below reaches it)
    from threadpoolctl import threadpool_limits

    # numpy's and scipy's BLAS at `threads` (run_kernel drops scipy's to 1 inside its call).
    blas_limits = threadpool_limits(limits=threads, user_api="blas")

    print(f"kernel_bench {time.strftime('%Y-%m-%d %H:%M:%S')}")
    print("load average at start: " + " ".join(f"{v:.2f}" for v in os.getloadavg()))
    cpu_lines, peak = cpu_description(cores=threads)
    for line in cpu_lines + library_lines(threads=threads):
        print(line)
    print(
        f"rows per call: {arguments.batch_rows} for every contender (NumPy and onnxruntime "
        "hold whole-layer activations; larger sets go in several calls, the kernel's chunking "
        "inside a call is unchanged)"
    )
    print(
        f"threads={threads} repeats={repeats} samples-scale={arguments.samples_scale:g}: "
        "agreement run first (also the warm-up), then the contenders in an order rotated each "
        "repeat; median GFLOP/s. sgemm-np / sgemm-sp: the model's bare matrix products with "
        "numpy matmul / scipy.linalg.blas.sgemm, 2 FLOPs per multiply-add as for the model."
    )

    results = []
    for name, (dims, samples) in MODELS.items():
        results.append(
            bench_model(
                name=name,
                dims=dims,
                samples=samples,
                scale=arguments.samples_scale,
                batch_rows=arguments.batch_rows,
                threads=threads,
                repeats=repeats,
            )
        )

    print()
    print(f"threads={threads} repeats={repeats} (median GFLOP/s)")
    print(
        f"{'model':<22}{'samples':>8}"
        + "".join(f"{column:>10}" for column in COLUMNS)
        + f"{'cmp/np':>8}{'cmp/ort':>8}{'cmp/sgnp':>9}{'cmp/sgsp':>9}{'cmp/peak':>9}"
    )
    for name, samples, rates in results:
        cells = "".join(
            f"{rates[column]:>10.0f}" if column in rates else f"{'-':>10}" for column in COLUMNS
        )

        def ratio(column: str, width: int, rates=rates) -> str:
            if column not in rates:
                return f"{'-':>{width}}"
            return f"{rates['compiled'] / rates[column]:>{width}.2f}"

        share = f"{rates['compiled'] / peak:>9.0%}" if peak else f"{'-':>9}"
        print(
            f"{name:<22}{samples:>8}{cells}{ratio('numpy', 8)}{ratio('onnxrt', 8)}"
            f"{ratio('sgemm-np', 9)}{ratio('sgemm-sp', 9)}{share}"
        )
    fastest = max(rate for _, _, rates in results for rate in rates.values())
    if peak and fastest > peak:
        print(
            f"note: {fastest:.0f} GFLOP/s measured is above the {peak:.0f} GFLOP/s estimate, so "
            f"the cores ran faster than the frequency read (>= {fastest / peak:.2f} x, boost)"
        )
    print("load average at end: " + " ".join(f"{v:.2f}" for v in os.getloadavg()))
    blas_limits.restore_original_limits()


def bench_model(
    *,
    name: str,
    dims: list[int],
    samples: int,
    scale: float,
    batch_rows: int,
    threads: int,
    repeats: int,
) -> tuple[str, int, dict[str, float]]:
    """Check that the contenders agree on one model, time them, return the median rates."""
    model = make_model(dims=dims)
    samples = max(round(samples * scale), chunk_rows_for(model))
    X, y = make_data(model=model, samples=samples)
    parts = batches(samples, batch_rows)
    gflop = model.flops_per_sample * samples / 1e9
    session = onnx_session(model=model, threads=threads)
    numpy_args = kernel_arguments(model)

    contenders: dict[str, Callable[[], object]] = {
        "compiled": lambda: run_compiled(model=model, X=X, y=y, parts=parts, threads=threads),
        "numpy": lambda: run_reference(arguments=numpy_args, X=X, y=y, parts=parts),
        "onnxrt": lambda: run_onnxruntime(
            session=session, X=X, y=y, parts=parts, eps=model.loss_eps
        ),
    }
    # Agreement before timing; these runs are also the three contenders' warm-up.
    outcome = {column: contenders[column]() for column in contenders}
    counts = {column: result[1] for column, result in outcome.items()}
    losses = {column: result[0] for column, result in outcome.items()}
    loss_gap = max(abs(loss - losses["numpy"]) for loss in losses.values()) / max(
        abs(losses["numpy"]), 1e-30
    )
    print(
        f"{name}: {samples} samples in {len(parts)} call(s) of <= {batch_rows} rows, "
        f"{gflop:.1f} GFLOP per pass; top-1 "
        + " ".join(f"{column}={count}" for column, count in counts.items())
        + f"; loss sums agree to {loss_gap:.1e} (relative)"
    )
    if len(set(counts.values())) != 1:
        raise SystemExit(f"{name}: implementations disagree on top-1 counts")
    if loss_gap > 1e-3:
        raise SystemExit(f"{name}: implementations disagree on the loss sum")

    if name in SGEMM_MODELS:
        for column, library in (("sgemm-np", "numpy"), ("sgemm-sp", "scipy")):
            contenders[column] = sgemm_runner(model=model, X=X, parts=parts, library=library)
            contenders[column]()  # Warm-up: first touch of the output buffers.

    seconds = time_rotated(contenders, repeats=repeats)
    rates = {column: gflop / statistics.median(times) for column, times in seconds.items()}
    print(
        "  GFLOP/s median [min-max]: "
        + ", ".join(
            f"{column} {rates[column]:.0f} [{gflop / max(times):.0f}-{gflop / min(times):.0f}]"
            for column, times in seconds.items()
        )
        + "  load "
        + " ".join(f"{v:.2f}" for v in os.getloadavg())
    )
    sys.stdout.flush()
    return name, samples, rates


if __name__ == "__main__":
    main()
