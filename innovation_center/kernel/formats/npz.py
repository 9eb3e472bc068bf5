"""The ``.npz`` model format: ``W0, b0, W1, b1, ...`` and a JSON ``manifest``, never unpickled.

Read with ``allow_pickle=False``; the uncompressed size counts against the limit too.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any, BinaryIO

import numpy as np

from innovation_center.kernel.errors import ModelFormatError
from innovation_center.kernel.labels import json_label, normalise_label
from innovation_center.kernel.model import ModelSpec, build_model
from innovation_center.kernel.sources import DEFAULT_MAX_BYTES, read_npz

MANIFEST_FORMAT = "innovation-center-mlp"


def load_npz_model(*, data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> ModelSpec:
    """Parse an ``.npz`` archive of ``W0, b0, W1, b1, ...`` plus a JSON ``manifest`` entry.

    Manifest: ``{"format": "innovation-center-mlp", "version": 1, "activations": [...],
    "classes": [...]}`` stored as a 0-d/1-d str array or a 1-d uint8 array of UTF-8 JSON.
    """
    arrays = read_npz(
        data, max_bytes=max_bytes, too_large_code="model_too_large", error_type=ModelFormatError
    )
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
        "classes": None if classes is None else [json_label(normalise_label(c)) for c in classes],
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
