"""Hostile uploads and the simulator's inputs: every refusal is a 4xx (or the form's message)
with a clear reason, and nothing is left under MEDIA_ROOT for a refused upload."""

import io
import os
import threading
import time
import zipfile

import numpy as np
import pytest
from django.conf import settings
from django.db import connection, connections
from django.urls import reverse
from onnx import AttributeProto, TensorProto, helper, numpy_helper

from innovation_center import kernel
from innovation_center.compute.models import Allocation
from innovation_center.core.errors import ApplicationError
from innovation_center.evaluation import services
from innovation_center.evaluation.models import Dataset, EvaluationJob, ModelArtifact
from innovation_center.evaluation.services import uploads
from tests import factories
from tests.evaluation.helpers import digits_model_bytes, upload

pytestmark = pytest.mark.django_db


def stored_files() -> list[str]:
    root = settings.MEDIA_ROOT
    if not os.path.isdir(root):
        return []
    return sorted(
        os.path.relpath(os.path.join(folder, name), root)
        for folder, _dirs, names in os.walk(root)
        for name in names
    )


# Hostile files ---------------------------------------------------------------------------------


def _onnx(nodes, initializers, *, features=4, outputs=3, metadata=None) -> bytes:
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, features])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, outputs])],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    for key, value in (metadata or {}).items():
        model.metadata_props.add(key=key, value=value)
    return model.SerializeToString()


def _weights(name="W0", shape=(4, 3)):
    return numpy_helper.from_array(np.ones(shape, np.float32), name)


def onnx_declared_but_empty() -> bytes:
    """The acceptance check's file: W0 declares 100,000 × 100,000 values and holds none."""
    weight = TensorProto(name="W0", data_type=TensorProto.FLOAT, dims=[100000, 100000])
    return _onnx(
        [helper.make_node("MatMul", ["x", "W0"], ["y"])],
        [weight],
        features=100000,
        outputs=100000,
    )


def onnx_reshape_to_nan() -> bytes:
    shape = numpy_helper.from_array(np.array([-1, np.nan], np.float32), "shape")
    return _onnx(
        [
            helper.make_node("Reshape", ["x", "shape"], ["flat"]),
            helper.make_node("MatMul", ["flat", "W0"], ["y"]),
        ],
        [shape, _weights()],
    )


def onnx_attribute_of_undefined_type() -> bytes:
    gemm = helper.make_node("Gemm", ["x", "W0"], ["y"])
    gemm.attribute.add(name="alpha", type=AttributeProto.UNDEFINED)
    return _onnx([gemm], [_weights()])


def onnx_classes_that_are_objects() -> bytes:
    return _onnx(
        [helper.make_node("MatMul", ["x", "W0"], ["y"])],
        [_weights()],
        metadata={"classes": '[{"a": 1}, {"b": 2}, {"c": 3}]'},
    )


def _npy_header_only(shape) -> bytes:
    """An .npy entry whose header claims `shape` float32 values, with no data after it."""
    buffer = io.BytesIO()
    header = {"descr": "<f4", "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue()


def _npz(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries.items():
            archive.writestr(f"{name}.npy", content)
    return buffer.getvalue()


def _npy(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


HUGE = (2**20, 2**20)  # 2**40 elements: 4 TiB of float32, were it allocated


def npz_model_claiming_2_40_elements() -> bytes:
    return _npz({"W0": _npy_header_only(HUGE), "b0": _npy(np.zeros(3, np.float32))})


def npz_dataset_claiming_2_40_elements() -> bytes:
    return _npz({"X": _npy_header_only(HUGE), "y": _npy(np.zeros(2, np.int64))})


HOSTILE_MODELS = [
    pytest.param(
        onnx_declared_but_empty,
        "declares 10000000000 values but it holds 0",
        id="initializer-dims-without-data",
    ),
    pytest.param(onnx_reshape_to_nan, "the Reshape shape must be integers", id="reshape-nan"),
    pytest.param(
        onnx_attribute_of_undefined_type,
        "Attribute 'alpha' of the ONNX node 'Gemm' is not valid: its type is undefined",
        id="undefined-attribute",
    ),
    pytest.param(
        onnx_classes_that_are_objects,
        "Class label 0 of the model is {'a': 1}",
        id="object-classes",
    ),
    pytest.param(
        npz_model_claiming_2_40_elements,
        "declares an array of shape [1048576, 1048576]",
        id="npy-header-2-40",
    ),
]


@pytest.mark.parametrize(("build", "message"), HOSTILE_MODELS)
def test_it_refuses_a_hostile_model_through_the_api_and_stores_nothing(
    client, member, company, build, message
):
    client.force_login(member)
    response = client.post(
        "/api/v1/models/", {"name": "hostile", "file": upload(build(), "hostile.onnx")}
    )
    assert response.status_code == 400, response.content[:500]
    assert message in response.json()["file"][0]
    assert not ModelArtifact.objects.exists()
    assert stored_files() == []


@pytest.mark.parametrize(("build", "message"), HOSTILE_MODELS)
def test_it_shows_why_a_hostile_model_is_refused_on_the_upload_page(
    client, member, company, build, message
):
    client.force_login(member)
    response = client.post(
        reverse("evaluation:model_upload"),
        {"company": company.pk, "name": "hostile", "file": upload(build(), "hostile.onnx")},
    )
    # The portal's convention: the refusal is the form again, its message next to the file.
    assert response.status_code == 200
    assert message in response.context["form"].errors["file"][0]
    assert not ModelArtifact.objects.exists()
    assert stored_files() == []


def test_it_refuses_a_data_set_whose_npy_header_claims_2_40_elements(client, member, company):
    client.force_login(member)
    data = npz_dataset_claiming_2_40_elements()

    api = client.post("/api/v1/datasets/", {"name": "huge", "file": upload(data, "huge.npz")})
    page = client.post(
        reverse("evaluation:dataset_upload"),
        {"company": company.pk, "name": "huge", "file": upload(data, "huge.npz")},
    )

    assert api.status_code == 400
    assert "declares an array of shape [1048576, 1048576]" in api.json()["file"][0]
    assert page.status_code == 200
    assert "1048576" in page.context["form"].errors["file"][0]
    assert not Dataset.objects.filter(kind=Dataset.Kind.UPLOADED).exists()
    assert stored_files() == []


def test_it_refuses_an_npy_entry_that_holds_less_than_it_declares():
    # Well under the size limit, but 1000 values declared and none stored.
    archive = _npz({"X": _npy_header_only((1000, 1)), "y": _npy(np.zeros(2))})
    with pytest.raises(kernel.DatasetError) as caught:
        kernel.load_dataset(source=archive)
    assert caught.value.code == "archive_entry_too_large"
    assert caught.value.params["shape"] == [1000, 1]


# A name taken by a racing upload -------------------------------------------------------------


def test_it_answers_a_unique_violation_like_the_name_check(monkeypatch, company, owner):
    existing = factories.model_artifact(company, "taken")
    before = stored_files()
    with pytest.raises(ApplicationError) as checked:
        services.model_upload(
            company=company, actor=owner, name="taken", upload=upload(digits_model_bytes())
        )
    # The racing upload got past the name check before the other committed.
    monkeypatch.setattr(uploads, "_check_name", lambda model_class, company, name: name)

    with pytest.raises(ApplicationError) as raced:
        services.model_upload(
            company=company, actor=owner, name="taken", upload=upload(digits_model_bytes())
        )

    assert raced.value.code == checked.value.code == "duplicate_name"
    assert raced.value.field_errors == checked.value.field_errors
    assert list(ModelArtifact.objects.all()) == [existing]
    assert stored_files() == before


def test_it_answers_a_racing_same_name_upload_with_400_through_the_api(
    monkeypatch, client, member, company
):
    factories.uploaded_dataset(company, "pets")
    before = stored_files()
    monkeypatch.setattr(uploads, "_check_name", lambda model_class, company, name: name)
    client.force_login(member)

    response = client.post(
        "/api/v1/datasets/", {"name": "pets", "file": upload(b"1,2,cat\n3,4,dog\n", "pets.csv")}
    )

    assert response.status_code == 400
    assert "already has one named “pets”" in response.json()["name"][0]
    assert stored_files() == before


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_stores_one_of_two_simultaneous_uploads_of_one_name(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("two connections racing need PostgreSQL; CI runs this on PostgreSQL")
    company = factories.company()
    owner = factories.user()
    data = digits_model_bytes()
    barrier = threading.Barrier(2)
    check = uploads._check_name

    def check_then_wait(model_class, company, name):
        # Both uploads pass the check before either inserts: the race, every time.
        name = check(model_class, company, name)
        barrier.wait(timeout=30)
        return name

    monkeypatch.setattr(uploads, "_check_name", check_then_wait)
    results: list = [None, None]

    def run(index: int) -> None:
        try:
            results[index] = services.model_upload(
                company=company, actor=owner, name="same", upload=upload(data)
            )
        except Exception as error:  # noqa: BLE001  (the test inspects what each got)
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    stored = [r for r in results if isinstance(r, ModelArtifact)]
    refused = [r for r in results if isinstance(r, ApplicationError)]
    assert len(stored) == 1 and len(refused) == 1, results
    assert refused[0].code == "duplicate_name"
    assert stored_files() == [stored[0].file.name]


# Files of refused or rolled-back uploads -----------------------------------------------------


def test_it_removes_the_file_when_the_upload_rolls_back_after_saving_it(
    monkeypatch, company, owner
):
    def failing_audit(**kwargs):
        raise RuntimeError("the audit trail is unavailable")

    monkeypatch.setattr(uploads, "audit_record", failing_audit)

    with pytest.raises(RuntimeError):
        services.model_upload(
            company=company, actor=owner, name="digits", upload=upload(digits_model_bytes())
        )

    assert not ModelArtifact.objects.exists()
    assert stored_files() == []


def _age(name: str, seconds: float) -> None:
    path = os.path.join(settings.MEDIA_ROOT, name)
    moment = time.time() - seconds
    os.utime(path, (moment, moment))


def _write(name: str) -> str:
    path = os.path.join(settings.MEDIA_ROOT, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(b"left behind")
    return name


def test_it_sweeps_old_files_no_row_points_to_and_keeps_the_rest(company):
    model = factories.model_artifact(company, "kept")
    dataset = factories.uploaded_dataset(company, "kept")
    old_model_orphan = _write("uploads/modelartifact/orphan.onnx")
    old_dataset_orphan = _write("uploads/dataset/orphan.csv")
    young_orphan = _write("uploads/modelartifact/in-flight.npz")
    elsewhere = _write("reports/old-export.csv")
    for name in (model.file.name, dataset.file.name, old_model_orphan, old_dataset_orphan):
        _age(name, 2 * 3600)
    _age(elsewhere, 2 * 3600)
    _age(young_orphan, 60)

    removed = services.media_orphans_sweep(older_than_seconds=3600)

    assert removed == sorted([old_dataset_orphan, old_model_orphan])
    assert stored_files() == sorted([model.file.name, dataset.file.name, young_orphan, elsewhere])


def test_it_sweeps_nothing_when_nothing_was_uploaded():
    assert services.media_orphans_sweep() == []


# The simulator's inputs ------------------------------------------------------------------------


@pytest.fixture
def job_inputs(company, owner):
    grant = factories.allocation(company, hours="50", device_cap=4)
    factories.fleet(2)
    model = services.model_upload(
        company=company, actor=owner, name="digits-mlp", upload=upload(digits_model_bytes())
    )
    return {
        "model": model.pk,
        "dataset": factories.builtin_dataset("digits").pk,
        "allocation": grant.pk,
        "devices": 2,
        "priority": 0,
    }


ABSURD_BATCH = 999_999_999_999


def test_it_refuses_an_absurd_batch_size_on_the_portal(client, member, company, job_inputs):
    client.force_login(member)
    for step in ("estimate", "confirm"):
        response = client.post(
            reverse("evaluation:job_submit"),
            {**job_inputs, "company": company.pk, "batch_size": ABSURD_BATCH, "step": step},
        )
        assert response.status_code == 200
        error = response.context["form"].errors["batch_size"][0]
        assert "at most 1000000 rows" in error
    assert not EvaluationJob.objects.exists()


@pytest.mark.parametrize("path", ["/api/v1/jobs/", "/api/v1/jobs/estimate/"])
def test_it_refuses_an_absurd_batch_size_through_the_api(client, member, job_inputs, path):
    client.force_login(member)
    response = client.post(
        path, {**job_inputs, "batch_size": ABSURD_BATCH}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "at most 1000000 rows" in response.json()["batch_size"][0]
    assert not EvaluationJob.objects.exists()


def test_the_estimate_service_refuses_a_batch_size_above_the_limit(company, job_inputs):
    fields = {
        "company": company,
        "model": ModelArtifact.objects.get(),
        "dataset": Dataset.objects.get(pk=job_inputs["dataset"]),
        "allocation": Allocation.objects.get(company=company),
        "devices": 2,
    }
    with pytest.raises(ApplicationError) as caught:
        services.job_estimate(**fields, batch_size=services.MAX_BATCH_SIZE + 1)
    message = caught.value.field_errors["batch_size"][0]
    assert "from 1 to 1000000 rows, not 1000001" in message
    services.job_estimate(**fields, batch_size=services.MAX_BATCH_SIZE)


@pytest.mark.parametrize("batch_size", [ABSURD_BATCH, 10**400], ids=["12-digits", "400-digits"])
def test_the_simulator_raises_its_own_error_for_an_absurd_batch_size(batch_size):
    model = kernel.build_model(
        layers=[(np.ones((4, 3), np.float32), np.zeros(3, np.float32), "softmax")]
    )
    with pytest.raises(kernel.KernelError) as caught:
        kernel.estimate_device_seconds(
            model=model,
            n_samples=100,
            spec=kernel.get_preset("sim-h200"),
            devices=2,
            batch_size=batch_size,
        )
    assert caught.value.code == "batch_size_too_large"
    assert str(kernel.MAX_BATCH_SIZE) in caught.value.message
