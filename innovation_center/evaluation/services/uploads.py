"""Uploads of models and data sets: validated by the kernel, never unpickled or executed."""

from __future__ import annotations

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from innovation_center import kernel
from innovation_center.accounts.services import audit_record
from innovation_center.core.errors import ApplicationError
from innovation_center.evaluation import runtime
from innovation_center.evaluation.models import (
    Dataset,
    ModelArtifact,
)


def kernel_failure(error: kernel.KernelError, field: str) -> ApplicationError:
    message = runtime.kernel_error_text(error)
    return ApplicationError(message, code=error.code, field_errors={field: [message]})


def _upload_bytes(upload) -> bytes:
    data = runtime.read_upload(upload)
    if len(data) > settings.MAX_UPLOAD_BYTES:
        limit = settings.MAX_UPLOAD_BYTES / 2**20
        message = _("The file is larger than the %(limit)d MiB limit.") % {"limit": limit}
        raise ApplicationError(message, code="too_large", field_errors={"file": [message]})
    if not data:
        message = _("The file is empty.")
        raise ApplicationError(message, code="empty", field_errors={"file": [message]})
    return data


def _check_name(model_class, company, name: str) -> str:
    name = (name or "").strip()
    if not name:
        message = _("Give it a name.")
        raise ApplicationError(message, field_errors={"name": [message]})
    if model_class.objects.filter(company=company, name=name).exists():
        message = _("Your company already has one named “%(name)s”; choose another name.") % {
            "name": name
        }
        raise ApplicationError(message, code="duplicate_name", field_errors={"name": [message]})
    return name


@transaction.atomic
def model_upload(*, company, actor, name: str, upload) -> ModelArtifact:
    """Validate an uploaded model with the kernel (never unpickled or executed) and store it."""
    name = _check_name(ModelArtifact, company, name)
    data = _upload_bytes(upload)
    try:
        spec = kernel.load_model(source=data, max_bytes=settings.MAX_UPLOAD_BYTES)
    except kernel.KernelError as error:
        raise kernel_failure(error, "file") from None
    fmt = ModelArtifact.Format.NPZ if data[:4] == b"PK\x03\x04" else ModelArtifact.Format.ONNX
    artifact = ModelArtifact(
        company=company,
        uploaded_by=actor,
        name=name,
        format=fmt,
        size_bytes=len(data),
        sha256=runtime.sha256(data),
        input_dim=spec.input_dim,
        classes=spec.describe()["classes"],
        layer_summary=spec.summary()[:500],
        parameter_count=spec.parameter_count,
        flops_per_sample=spec.flops_per_sample,
    )
    artifact.file.save(f"model.{fmt}", ContentFile(data), save=False)
    artifact.save()
    audit_record(
        actor=actor,
        instance=artifact,
        action="upload",
        after={"name": name, "sha256": artifact.sha256, "layers": artifact.layer_summary},
        organisation=company.organisation,
    )
    return artifact


@transaction.atomic
def dataset_upload(*, company, actor, name: str, upload) -> Dataset:
    """Validate an uploaded .npz (X, y) or CSV data set and store it."""
    name = _check_name(Dataset, company, name)
    data = _upload_bytes(upload)
    try:
        loaded = kernel.load_dataset(source=data, max_bytes=settings.MAX_UPLOAD_BYTES, name=name)
    except kernel.KernelError as error:
        raise kernel_failure(error, "file") from None
    suffix = "npz" if data[:4] == b"PK\x03\x04" else "csv"
    dataset = Dataset(
        company=company,
        kind=Dataset.Kind.UPLOADED,
        name=name,
        n_samples=loaded.n_samples,
        n_features=loaded.n_features,
        classes=loaded.labels(),
    )
    dataset.file.save(f"data.{suffix}", ContentFile(data), save=False)
    dataset.save()
    audit_record(
        actor=actor,
        instance=dataset,
        action="upload",
        after={"name": name, "samples": loaded.n_samples},
        organisation=company.organisation,
    )
    return dataset
