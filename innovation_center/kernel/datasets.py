"""Data sets: scikit-learn's shipped benchmark sets and uploaded ``.npz``/CSV files.

Uploaded files are size-limited before parsing and never unpickled. ``encode_labels`` is the one
place a data set is checked against a model (feature count, labels within the model's classes).
Built-ins include fixed train / held-out splits for benchmarks (``BUILTIN_SEEDS``), the same on
every machine; ``dataset_sha256`` is the content hash results record.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from innovation_center.kernel.errors import DatasetError
from innovation_center.kernel.labels import json_label, normalise_label
from innovation_center.kernel.sources import DEFAULT_MAX_BYTES, Source, read_npz, read_source

NATURAL_BUILTINS = ("digits", "iris", "breast_cancer", "wine")
# Seed of the train / held-out splits (and of the generated set): never change it, results
# recorded against these sets would stop reproducing.
SPLIT_SEED = 2026
SPLIT_TEST_SIZE = 0.3
SPLIT_BUILTINS = (
    "digits_train",
    "digits_holdout",
    "breast_cancer_train",
    "breast_cancer_holdout",
    "synthetic_train",
    "synthetic_holdout",
)
BUILTINS = NATURAL_BUILTINS + SPLIT_BUILTINS
# The seed each built-in depends on: None for a natural set used whole.
BUILTIN_SEEDS: dict[str, int | None] = {
    **{name: None for name in NATURAL_BUILTINS},
    **{name: SPLIT_SEED for name in SPLIT_BUILTINS},
}


@dataclass(frozen=True)
class Dataset:
    """Features ``X`` (float32 [n, d], finite) and labels ``y`` (1-d, one per row)."""

    name: str
    X: np.ndarray
    y: np.ndarray

    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    def labels(self) -> list[Any]:
        """Distinct labels in first-seen order, JSON-serialisable."""
        seen: dict[Any, None] = {}
        for value in self.y.tolist():
            seen.setdefault(normalise_label(value), None)
        return [json_label(v) for v in seen]

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "n_samples": self.n_samples,
            "n_features": self.n_features,
            "labels": self.labels(),
        }


def _checked(*, name: str, X: Any, y: Any) -> Dataset:
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim != 2:
        raise DatasetError(
            "dataset_bad_shape", reason=f"X must be 2-D [samples, features], not {list(X.shape)}"
        )
    if y.ndim != 1:
        raise DatasetError("dataset_bad_shape", reason=f"y must be 1-D, not {list(y.shape)}")
    if X.shape[0] != y.shape[0]:
        raise DatasetError(
            "dataset_bad_shape",
            reason=f"X has {X.shape[0]} rows but y has {y.shape[0]} labels",
        )
    if X.shape[0] == 0:
        raise DatasetError("dataset_empty")
    if X.shape[1] == 0:
        raise DatasetError("dataset_bad_shape", reason="X has no feature columns")
    if X.dtype.kind not in "biuf":
        raise DatasetError("dataset_bad_shape", reason=f"X must be numeric, not {X.dtype}")
    if y.dtype.kind not in "biuUS":
        # Object labels would need pickling and float labels must be whole numbers.
        if y.dtype.kind == "f" and np.all(np.isfinite(y)) and np.all(y == np.round(y)):
            y = y.astype(np.int64)
        else:
            raise DatasetError(
                "dataset_bad_shape",
                reason=f"labels must be integers or strings, not {y.dtype}",
            )
    with np.errstate(over="ignore"):
        features = np.ascontiguousarray(X, dtype=np.float32)
    finite = np.isfinite(features).all(axis=1)
    if not finite.all():
        raise DatasetError("dataset_not_finite", row=int(np.argmin(finite)))
    features.setflags(write=False)
    return Dataset(name=name, X=features, y=y)


def load_builtin(name: str) -> Dataset:
    """A built-in set (no download), cached: its arrays are read-only.

    ``digits``, ``iris``, ``breast_cancer``, ``wine``: scikit-learn's shipped sets, whole.
    ``digits_*``, ``breast_cancer_*``: ``*_train`` / ``*_holdout`` of
    ``train_test_split(test_size=0.3, random_state=2026, stratify=y)``. ``synthetic_*``: the
    same split of ``make_classification(n_samples=24000, n_features=64, n_informative=40,
    n_redundant=8, n_classes=10, n_clusters_per_class=2, class_sep=1.5, random_state=2026)``.
    """
    if name not in BUILTINS:
        raise DatasetError("dataset_unknown_builtin", name=name, choices=", ".join(BUILTINS))
    return _load_builtin(name)


@functools.lru_cache(maxsize=len(BUILTINS))
def _load_builtin(name: str) -> Dataset:
    if name in NATURAL_BUILTINS:
        X, y = _natural(name)
    else:
        base, _, part = name.rpartition("_")
        X_train, X_holdout, y_train, y_holdout = _split(base)
        X, y = (X_train, y_train) if part == "train" else (X_holdout, y_holdout)
    dataset = _checked(name=name, X=X, y=np.array(y))
    dataset.y.setflags(write=False)
    return dataset


def _natural(name: str) -> tuple[np.ndarray, np.ndarray]:
    from sklearn import datasets

    loaders = {
        "digits": datasets.load_digits,
        "iris": datasets.load_iris,
        "breast_cancer": datasets.load_breast_cancer,
        "wine": datasets.load_wine,
    }
    return loaders[name](return_X_y=True)


@functools.lru_cache(maxsize=4)
def _split(base: str) -> tuple[np.ndarray, ...]:
    """``(X_train, X_holdout, y_train, y_holdout)`` of a natural or the generated set."""
    from sklearn.datasets import make_classification
    from sklearn.model_selection import train_test_split

    if base == "synthetic":
        X, y = make_classification(
            n_samples=24000,
            n_features=64,
            n_informative=40,
            n_redundant=8,
            n_classes=10,
            n_clusters_per_class=2,
            class_sep=1.5,
            random_state=SPLIT_SEED,
        )
    else:
        X, y = _natural(base)
    parts = train_test_split(X, y, test_size=SPLIT_TEST_SIZE, random_state=SPLIT_SEED, stratify=y)
    for part in parts:
        part.setflags(write=False)
    return tuple(parts)


def dataset_sha256(dataset: Dataset) -> str:
    """SHA-256 (hex) of the data set's content, whatever file or loader it came from.

    The bytes hashed: ``b"X"``, the shape as two little-endian int64, the features as
    C-contiguous little-endian float32, ``b"y"``, then the labels as compact JSON
    (``json.dumps([json_label(v) ...], separators=(",", ":"))``, UTF-8; bytes labels are
    decoded as UTF-8 first).
    """
    X = np.ascontiguousarray(dataset.X, dtype="<f4")
    digest = hashlib.sha256()
    digest.update(b"X")
    digest.update(np.asarray(X.shape, dtype="<i8").tobytes())
    digest.update(X.tobytes())
    digest.update(b"y")
    labels = [
        json_label(v.decode("utf-8") if isinstance(v, bytes) else v) for v in dataset.y.tolist()
    ]
    digest.update(json.dumps(labels, separators=(",", ":")).encode("utf-8"))
    return digest.hexdigest()


def load_dataset(
    *, source: Source, max_bytes: int = DEFAULT_MAX_BYTES, name: str = "uploaded"
) -> Dataset:
    """Load an uploaded data set: an ``.npz`` with ``X`` and ``y``, else CSV (by content)."""
    data = read_source(
        source, max_bytes=max_bytes, too_large_code="dataset_too_large", error_type=DatasetError
    )
    try:
        if data[:4] == b"PK\x03\x04":
            return load_npz_dataset(data=data, max_bytes=max_bytes, name=name)
        return load_csv_dataset(data=data, name=name)
    except (ValueError, TypeError, IndexError, OverflowError, csv.Error) as exc:
        # The checks name every problem they know; a hostile file may still reach a corner
        # none of them names, and that is a refusal of the file, never a crash.
        raise DatasetError(reason="its content is malformed") from exc


def load_npz_dataset(*, data: bytes, max_bytes: int = DEFAULT_MAX_BYTES, name: str) -> Dataset:
    arrays = read_npz(
        data, max_bytes=max_bytes, too_large_code="dataset_too_large", error_type=DatasetError
    )
    for key in ("X", "y"):
        if key not in arrays:
            raise DatasetError("dataset_missing_array", name=key)
    return _checked(name=name, X=arrays["X"], y=arrays["y"])


def load_csv_dataset(*, data: bytes, name: str) -> Dataset:
    """Numeric feature columns then the label in the last column; an optional header row.

    The first row is a header when any of its feature cells is not a number.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DatasetError(reason="the CSV file is not UTF-8 text") from exc
    try:
        sample = text[:4096]
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t") if sample.strip() else csv.excel
    except csv.Error:
        dialect = csv.excel
    rows = [row for row in csv.reader(io.StringIO(text), dialect) if any(c.strip() for c in row)]
    if not rows:
        raise DatasetError("dataset_empty")
    start = 1 if not _all_numeric(rows[0][:-1]) else 0
    width = len(rows[start]) if start < len(rows) else len(rows[0])
    if width < 2:
        raise DatasetError(
            "dataset_bad_shape", reason="a CSV row needs at least one feature and a label"
        )
    features: list[list[float]] = []
    labels: list[Any] = []
    for index in range(start, len(rows)):
        row = rows[index]
        line = index + 1
        if len(row) != width:
            raise DatasetError("dataset_ragged", row=line, got=len(row), expected=width)
        values = []
        for column, cell in enumerate(row[:-1], start=1):
            try:
                values.append(float(cell))
            except ValueError:
                raise DatasetError(
                    "dataset_not_numeric", row=line, column=column, value=cell[:40]
                ) from None
        features.append(values)
        labels.append(normalise_label(row[-1]))
    if not features:
        raise DatasetError("dataset_empty")
    if all(isinstance(v, int) for v in labels):
        y = np.asarray(labels, dtype=np.int64)
    else:
        y = np.asarray([str(v) for v in labels])
    return _checked(name=name, X=np.asarray(features, dtype=np.float64), y=y)


def _all_numeric(cells: list[str]) -> bool:
    try:
        for cell in cells:
            float(cell)
    except ValueError:
        return False
    return True


def encode_labels(*, dataset_X: np.ndarray, y: np.ndarray, input_dim: int, classes) -> np.ndarray:
    """Check features against the model and map labels to class indices (int64).

    Raises DatasetError naming the feature counts, or the first sample whose label is not one
    of the model's classes.
    """
    if dataset_X.ndim != 2 or dataset_X.shape[1] != input_dim:
        got = dataset_X.shape[1] if dataset_X.ndim == 2 else list(dataset_X.shape)
        raise DatasetError("dataset_feature_mismatch", got=got, expected=input_dim)
    index = {label: position for position, label in enumerate(classes)}
    if y.dtype.kind in "iu" and all(isinstance(c, int) for c in classes):
        # Vectorised path for the common integer case.
        values = np.asarray(classes, dtype=np.int64)
        order = np.argsort(values)
        positions = np.searchsorted(values[order], y)
        positions = np.clip(positions, 0, len(values) - 1)
        found = values[order][positions] == y
        if not found.all():
            row = int(np.argmin(found))
            raise DatasetError(
                "dataset_unknown_label",
                row=row,
                label=json_label(normalise_label(y[row])),
                classes=_classes_text(classes),
            )
        return order[positions].astype(np.int64)
    encoded = np.empty(y.shape[0], dtype=np.int64)
    for row, value in enumerate(y.tolist()):
        key = normalise_label(value)
        position = index.get(key)
        if position is None:
            raise DatasetError(
                "dataset_unknown_label",
                row=row,
                label=json_label(key),
                classes=_classes_text(classes),
            )
        encoded[row] = position
    return encoded


def _classes_text(classes) -> str:
    shown = [str(json_label(c)) for c in list(classes)[:20]]
    return ", ".join(shown) + (" ..." if len(classes) > 20 else "")
