"""Held-out benchmark sets: fixed splits, the same bytes on every machine, content hashes."""

import numpy as np
import pytest

from innovation_center.kernel import (
    BUILTIN_SEEDS,
    BUILTINS,
    Dataset,
    dataset_sha256,
    load_builtin,
)

# The content hash of each built-in, as recorded with results. A change here means results
# recorded against the set no longer reproduce: it must come with a new kernel version.
PINNED_SHA256 = {
    "digits": "8e76b97ea4f0c8790e773d0ed1390ff473d2b6e2d0de67380e98a906cdaea907",
    "iris": "ac0ac62c11bedf071c2797d486c186d1155d61ad8ba5a283601f0f8591b5e412",
    "breast_cancer": "951f72d8f102a2aa6eac407e93cd162a378e6802f746dc8816b8d8149c01b842",
    "wine": "4d33da74e0d5519d02d63b0eecd4cfce0d1d02298f5b8a253448003463cf1455",
    "digits_train": "643dd3b4d12a9f9587e3c0cdb69c41cdffbd5872103c2e93ea470a76bc03da97",
    "digits_holdout": "c3394ce0f6d6c85dfb47e09cdf97408efe23732bd29efd1a66c739fb832353df",
    "breast_cancer_train": "6238867130a3f01877b63a16ad4bbddd8335f7677356c9bab2ddd99afd376434",
    "breast_cancer_holdout": "6eedfcb713fbb3af7f23f393f8fb7806bdedccca93f6e9a1ad5bab292f8719d8",
    "synthetic_train": "3244a515ee298cf943af10c7629e5f978ec5e2aff0a5b9c0b3987db3302420fa",
    "synthetic_holdout": "4f3028281180512dc3797f60c7e2f8fe6cf642845403dda4dcd472079fdabe08",
}


@pytest.mark.parametrize(
    ("base", "train_rows", "holdout_rows", "features", "classes"),
    [
        ("digits", 1257, 540, 64, 10),
        ("breast_cancer", 398, 171, 30, 2),
        ("synthetic", 16800, 7200, 64, 10),
    ],
)
def test_it_splits_each_set_into_train_and_holdout(
    base, train_rows, holdout_rows, features, classes
):
    train, holdout = load_builtin(f"{base}_train"), load_builtin(f"{base}_holdout")

    assert train.X.shape == (train_rows, features) and holdout.X.shape == (holdout_rows, features)
    assert train.X.dtype == holdout.X.dtype == np.float32
    assert len(train.labels()) == len(holdout.labels()) == classes
    # Stratified: each class has (nearly) the same share in both parts.
    train_share = np.bincount(train.y, minlength=classes) / train_rows
    holdout_share = np.bincount(holdout.y, minlength=classes) / holdout_rows
    assert np.abs(train_share - holdout_share).max() < 0.01
    assert BUILTIN_SEEDS[f"{base}_train"] == BUILTIN_SEEDS[f"{base}_holdout"] == 2026


@pytest.mark.parametrize("base", ["digits", "breast_cancer"])
def test_the_two_parts_are_the_whole_set_without_overlap(base):
    whole = load_builtin(base)
    parts = [load_builtin(f"{base}_train"), load_builtin(f"{base}_holdout")]

    rows = np.concatenate([np.column_stack([p.X, p.y]) for p in parts])
    expected = np.column_stack([whole.X, whole.y])
    np.testing.assert_array_equal(np.unique(rows, axis=0), np.unique(expected, axis=0))
    assert len(rows) == len(expected)


def test_every_builtin_has_a_seed_entry():
    assert set(BUILTIN_SEEDS) == set(BUILTINS)
    assert [name for name, seed in BUILTIN_SEEDS.items() if seed is None] == [
        "digits",
        "iris",
        "breast_cancer",
        "wine",
    ]


@pytest.mark.parametrize("name", BUILTINS)
def test_builtins_are_the_same_bytes_everywhere(name):
    assert dataset_sha256(load_builtin(name)) == PINNED_SHA256[name]


def test_builtins_are_cached_read_only():
    first = load_builtin("synthetic_holdout")
    assert load_builtin("synthetic_holdout") is first
    for array in (first.X, first.y):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 0


def test_the_content_hash_is_stable_and_sees_one_changed_value():
    first, second = load_builtin("digits_holdout"), load_builtin("digits_holdout")
    copy = Dataset(name="copy", X=first.X.copy(), y=first.y.copy())
    assert dataset_sha256(first) == dataset_sha256(second) == dataset_sha256(copy)

    X = first.X.copy()
    X[17, 5] += 1
    y = first.y.copy()
    y[3] = (y[3] + 1) % 10
    changed = {
        dataset_sha256(Dataset(name="x", X=X, y=first.y)),
        dataset_sha256(Dataset(name="y", X=first.X, y=y)),
        # Same values, another shape: the shape is hashed too.
        dataset_sha256(Dataset(name="shape", X=first.X.reshape(-1, 32), y=np.repeat(first.y, 2))),
    }
    assert dataset_sha256(first) not in changed and len(changed) == 3


def test_the_content_hash_is_the_documented_serialisation():
    import hashlib
    import json

    X = np.array([[1.5, -2.0]], dtype=np.float64)
    dataset = Dataset(name="tiny", X=X, y=np.array(["cat"]))
    payload = (
        b"X"
        + (1).to_bytes(8, "little")
        + (2).to_bytes(8, "little")
        + np.array([1.5, -2.0], dtype="<f4").tobytes()
        + b"y"
        + json.dumps(["cat"], separators=(",", ":")).encode()
    )
    assert dataset_sha256(dataset) == hashlib.sha256(payload).hexdigest()
    assert dataset_sha256(Dataset(name="b", X=X, y=np.array([b"cat"]))) == dataset_sha256(dataset)
