"""Real model files for evaluation tests: small, deterministic, built without training."""

import io

import numpy as np
from django.core.files.uploadedfile import SimpleUploadedFile

from innovation_center import kernel


def digits_model_bytes(seed: int = 0, hidden: int = 32) -> bytes:
    """A 64-hidden-10 MLP whose first layer is fitted by least squares: better than chance."""
    data = kernel.load_builtin("digits")
    rng = np.random.default_rng(seed)
    w0 = rng.normal(0, 0.1, (64, hidden)).astype(np.float32)
    hidden_out = np.maximum(data.X @ w0, 0)
    targets = np.eye(10, dtype=np.float32)[data.y.astype(int)]
    w1, *_ = np.linalg.lstsq(hidden_out, targets, rcond=None)
    buffer = io.BytesIO()
    kernel.save_npz_model(
        path=buffer,
        weights=[w0, (w1 * 4).astype(np.float32)],
        biases=[np.zeros(hidden, np.float32), np.zeros(10, np.float32)],
        activations=["relu", "softmax"],
        classes=list(range(10)),
    )
    return buffer.getvalue()


def upload(data: bytes, name: str = "model.npz") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")
