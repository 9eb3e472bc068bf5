"""Data sets: built-ins, uploads, and their validation against a model."""

import numpy as np
import pytest

from innovation_center.kernel import DatasetError, encode_labels, load_builtin, load_dataset

from .conftest import npz_bytes


@pytest.mark.parametrize(
    ("name", "shape", "classes"),
    [
        ("digits", (1797, 64), 10),
        ("iris", (150, 4), 3),
        ("breast_cancer", (569, 30), 2),
        ("wine", (178, 13), 3),
    ],
)
def test_it_loads_the_builtin_sets(name, shape, classes):
    dataset = load_builtin(name)
    assert dataset.X.shape == shape and dataset.X.dtype == np.float32
    assert len(dataset.labels()) == classes


def test_it_refuses_an_unknown_builtin():
    with pytest.raises(DatasetError) as caught:
        load_builtin("mnist")
    assert caught.value.code == "dataset_unknown_builtin"
    assert "digits" in caught.value.message


def test_it_reads_csv_with_a_header_and_string_labels():
    dataset = load_dataset(source=b"f1,f2,label\n1,2,cat\n3.5,-4,dog\n")
    np.testing.assert_array_equal(dataset.X, [[1, 2], [3.5, -4]])
    assert dataset.y.tolist() == ["cat", "dog"]


def test_it_reads_csv_without_a_header_and_integer_labels():
    dataset = load_dataset(source=b"1;2;0\n3;4;1.0\n")
    assert dataset.y.tolist() == [0, 1] and dataset.n_features == 2


@pytest.mark.parametrize(
    ("content", "code", "params"),
    [
        (b"a,b,y\n1,2,0\n3,x,1\n", "dataset_not_numeric", {"row": 3, "column": 2, "value": "x"}),
        (b"1,2,0\n3,4\n", "dataset_ragged", {"row": 2, "got": 2, "expected": 3}),
        (b"1,nan,0\n", "dataset_not_finite", {"row": 0}),
        (b"a,b,y\n", "dataset_empty", {}),
    ],
)
def test_it_refuses_a_malformed_csv_naming_the_row(content, code, params):
    with pytest.raises(DatasetError) as caught:
        load_dataset(source=content)
    assert caught.value.code == code and caught.value.params == params


def test_it_reads_npz_and_refuses_a_missing_array():
    dataset = load_dataset(source=npz_bytes(X=np.ones((3, 2)), y=np.array([1, 2, 3])))
    assert dataset.n_samples == 3
    with pytest.raises(DatasetError) as caught:
        load_dataset(source=npz_bytes(X=np.ones((3, 2))))
    assert caught.value.params == {"name": "y"}


def test_it_refuses_an_upload_above_the_size_limit():
    with pytest.raises(DatasetError) as caught:
        load_dataset(source=b"1,2,3\n" * 100, max_bytes=50)
    assert caught.value.code == "dataset_too_large"


def test_it_names_the_feature_counts_when_they_do_not_match():
    with pytest.raises(DatasetError) as caught:
        encode_labels(dataset_X=np.zeros((2, 5)), y=np.array([0, 1]), input_dim=64, classes=(0, 1))
    assert caught.value.params == {"got": 5, "expected": 64}
    assert "5 features" in caught.value.message and "expects 64" in caught.value.message


@pytest.mark.parametrize(
    ("labels", "classes", "row", "label"),
    [
        (np.array([0, 1, 7, 1]), (0, 1, 2), 2, 7),
        (np.array(["cat", "emu"]), ("cat", "dog"), 1, "emu"),
    ],
)
def test_it_names_the_first_label_outside_the_models_classes(labels, classes, row, label):
    with pytest.raises(DatasetError) as caught:
        encode_labels(dataset_X=np.zeros((len(labels), 1)), y=labels, input_dim=1, classes=classes)
    assert caught.value.code == "dataset_unknown_label"
    assert caught.value.params["row"] == row and caught.value.params["label"] == label


def test_it_maps_labels_to_class_positions():
    encoded = encode_labels(
        dataset_X=np.zeros((3, 1)), y=np.array([9, 3, 5]), input_dim=1, classes=(9, 5, 3)
    )
    assert encoded.tolist() == [0, 2, 1]
    encoded = encode_labels(
        dataset_X=np.zeros((2, 1)), y=np.array(["3", "b"]), input_dim=1, classes=("b", 3)
    )
    assert encoded.tolist() == [1, 0]
