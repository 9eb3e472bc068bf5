# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
# cython: language_level=3
"""Compiled evaluation kernel: forward pass, loss, top-1 and confusion matrix for one shard.

The shard is cut into fixed-size row chunks. Each chunk runs the whole network (one sgemm per
layer with a fused bias/activation epilogue, then the softmax/loss/argmax head) on buffers
private to its thread, so a chunk's activations stay in cache. Per-chunk losses land in an
array summed in chunk order at the end, so the result does not depend on thread timing.
"""

import numpy as np

from cython.parallel cimport prange, threadid
from libc.math cimport exp, expf, fabs, log, log1p, tanhf
from libc.stdlib cimport free, malloc
cimport openmp
from scipy.linalg.cython_blas cimport sgemm

# Codes shared with _reference.py.
cdef enum:
    IDENTITY = 0
    RELU = 1
    SIGMOID = 2
    TANH = 3
    HEAD_SOFTMAX = 0


cdef void _epilogue(float *out, const float *bias, int rows, int width, int act) noexcept nogil:
    # One loop per activation so gcc vectorizes each (expf/tanhf go to libmvec).
    cdef int r, j
    cdef float *row
    cdef float v
    for r in range(rows):
        row = out + <Py_ssize_t>r * width
        if act == RELU:
            for j in range(width):
                v = row[j] + bias[j]
                row[j] = v if v > 0 else 0
        elif act == SIGMOID:
            for j in range(width):
                row[j] = 1.0 / (1.0 + expf(-(row[j] + bias[j])))
        elif act == TANH:
            for j in range(width):
                row[j] = tanhf(row[j] + bias[j])
        else:
            for j in range(width):
                row[j] = row[j] + bias[j]


cdef void _chunk(
    const float *x, const long long *y, int rows, int n_layers,
    float **w, float **b, const int *dims, const int *acts,
    int head, int n_classes, double loss_lo, double loss_hi,
    float *buf, Py_ssize_t buf_stride,
    double *loss_out, long long *correct_out, long long *confusion,
) noexcept nogil:
    cdef char trans = b'N'
    cdef float one = 1.0
    cdef float zero = 0.0
    cdef int l, r, j, k_in, m_out, ld_in, t, best
    cdef float *src = <float *>x
    cdef float *dst
    cdef float *row
    cdef float top, rest
    cdef double loss, s, total = 0.0
    cdef long long correct = 0
    ld_in = dims[0]
    for l in range(n_layers):
        k_in = dims[l]
        m_out = dims[l + 1]
        dst = buf + (l % 2) * buf_stride
        # Row-major out[rows, m] = in[rows, k] @ W[k, m] is column-major out^T = W^T in^T.
        sgemm(&trans, &trans, &m_out, &rows, &k_in, &one, w[l], &m_out, src, &ld_in,
              &zero, dst, &m_out)
        _epilogue(dst, b[l], rows, m_out, acts[l])
        src = dst
        ld_in = m_out
    m_out = dims[n_layers]
    for r in range(rows):
        row = src + <Py_ssize_t>r * m_out
        t = <int>y[r]
        if head == HEAD_SOFTMAX:
            best = 0
            top = row[0]
            for j in range(1, m_out):
                if row[j] > top:
                    top = row[j]
                    best = j
            # Sum the other classes' shares apart from the top one so log1p keeps tiny losses.
            rest = 0
            for j in range(m_out):
                if j != best:
                    rest = rest + expf(row[j] - top)
            loss = <double>(top - row[t]) + log1p(<double>rest)
        else:
            best = 1 if row[0] > 0 else 0
            s = row[0]
            if t == 1:
                s = -s
            # -log(sigmoid(score)) of the true class, as a softplus that cannot overflow.
            loss = (s if s > 0 else 0.0) + log1p(exp(-fabs(s)))
        if loss < loss_lo:
            loss = loss_lo
        if loss > loss_hi:
            loss = loss_hi
        total = total + loss
        if best == t:
            correct = correct + 1
        confusion[<Py_ssize_t>t * n_classes + best] += 1
    loss_out[0] = total
    correct_out[0] = correct


def forward_shard(
    *,
    const float[:, ::1] X,
    const long long[::1] y,
    weights,
    biases,
    const int[::1] activations,
    int head,
    int n_classes,
    double eps,
    int n_threads=0,
    int chunk_rows=0,
):
    """Return ``(loss_sum, correct, confusion)`` for one shard; see _reference.forward_shard.

    Runs with the GIL released on ``n_threads`` OpenMP threads (0: all) over chunks of
    ``chunk_rows`` rows (0: 256). The caller limits BLAS to one thread when n_threads > 1.
    """
    cdef Py_ssize_t n = X.shape[0]
    cdef int n_layers = len(weights)
    cdef int l, ci, tid, rows
    cdef int max_width = 0
    if n_layers == 0 or len(biases) != n_layers or activations.shape[0] != n_layers:
        raise ValueError("weights, biases and activations must have the same non-zero length")
    if y.shape[0] != n:
        raise ValueError("X and y must have the same number of rows")
    if chunk_rows <= 0:
        chunk_rows = 256
    if n_threads <= 0:
        n_threads = openmp.omp_get_max_threads()
    cdef Py_ssize_t n_chunks = (n + chunk_rows - 1) // chunk_rows
    if n_threads > n_chunks:
        n_threads = <int>max(n_chunks, 1)

    # Keep typed views alive for the raw pointers handed to the nogil section.
    views_w = []
    views_b = []
    cdef const float[:, ::1] wv
    cdef const float[::1] bv
    cdef float **w = <float **>malloc(n_layers * sizeof(float *))
    cdef float **b = <float **>malloc(n_layers * sizeof(float *))
    cdef int *dims = <int *>malloc((n_layers + 1) * sizeof(int))
    if w == NULL or b == NULL or dims == NULL:
        free(w)
        free(b)
        free(dims)
        raise MemoryError()
    try:
        dims[0] = X.shape[1]
        for l in range(n_layers):
            wv = weights[l]
            bv = biases[l]
            if wv.shape[0] != dims[l] or bv.shape[0] != wv.shape[1]:
                raise ValueError(f"layer {l} does not chain with the previous one")
            views_w.append(wv)
            views_b.append(bv)
            w[l] = <float *>&wv[0, 0]
            b[l] = <float *>&bv[0]
            dims[l + 1] = <int>wv.shape[1]
            if dims[l + 1] > max_width:
                max_width = dims[l + 1]
        if head == HEAD_SOFTMAX:
            if dims[n_layers] != n_classes:
                raise ValueError("softmax head needs one output per class")
        elif dims[n_layers] != 1 or n_classes != 2:
            raise ValueError("binary logistic head needs one output and two classes")
        y_arr = np.asarray(y)
        if n and (y_arr.min() < 0 or y_arr.max() >= n_classes):
            raise ValueError("class index out of range")

        buf_stride = <Py_ssize_t>chunk_rows * max_width
        buffers_np = np.empty(n_threads * 2 * buf_stride, dtype=np.float32)
        chunk_loss_np = np.zeros(n_chunks, dtype=np.float64)
        chunk_correct_np = np.zeros(n_chunks, dtype=np.int64)
        confusion_np = np.zeros((n_threads, n_classes * n_classes), dtype=np.int64)
        result = _run(X, y, n_layers, w, b, dims, &activations[0], head, n_classes,
                      -log1p(-eps), -log(eps), chunk_rows, n_chunks, n_threads,
                      buffers_np, buf_stride, chunk_loss_np, chunk_correct_np, confusion_np)
    finally:
        free(w)
        free(b)
        free(dims)
    # Fixed-order sums: identical results whatever the thread timing.
    loss_sum = float(np.sum(chunk_loss_np))
    correct = int(chunk_correct_np.sum())
    confusion = confusion_np.sum(axis=0).reshape(n_classes, n_classes)
    return loss_sum, correct, confusion


cdef int _run(
    const float[:, ::1] X, const long long[::1] y, int n_layers,
    float **w, float **b, const int *dims, const int *acts,
    int head, int n_classes, double loss_lo, double loss_hi,
    int chunk_rows, Py_ssize_t n_chunks, int n_threads,
    float[::1] buffers, Py_ssize_t buf_stride,
    double[::1] chunk_loss, long long[::1] chunk_correct, long long[:, ::1] confusion,
) except -1:
    cdef Py_ssize_t n = X.shape[0]
    cdef Py_ssize_t ci, r0
    cdef int rows, tid
    if n == 0:
        return 0
    with nogil:
        for ci in prange(n_chunks, num_threads=n_threads, schedule="dynamic"):
            tid = threadid()
            r0 = ci * chunk_rows
            rows = <int>(n - r0 if n - r0 < chunk_rows else chunk_rows)
            _chunk(&X[r0, 0], &y[r0], rows, n_layers, w, b, dims, acts, head, n_classes,
                   loss_lo, loss_hi, &buffers[tid * 2 * buf_stride], buf_stride,
                   &chunk_loss[ci], &chunk_correct[ci], &confusion[tid, 0])
    return 0
