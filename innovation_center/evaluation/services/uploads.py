"""Uploads of models and data sets: validated by the kernel, never unpickled or executed.

A file reaches `MEDIA_ROOT` only after the kernel accepted its bytes, and leaves it again if
its row is not stored; `media_orphans_sweep` removes what a rollback further out left behind.
"""

from __future__ import annotations

import datetime as dt
import posixpath

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from innovation_center import kernel
from innovation_center.accounts.services import audit_record
from innovation_center.core import clock
from innovation_center.core.errors import ApplicationError
from innovation_center.evaluation import runtime
from innovation_center.evaluation.models import Dataset, ModelArtifact, upload_path

NAME_MAX_LENGTH = 200
# The rows that own uploaded files: the sweep looks only in their folders.
UPLOADED_FILE_MODELS = (ModelArtifact, Dataset)


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


def _duplicate_name(name: str) -> ApplicationError:
    message = _("Your company already has one named “%(name)s”; choose another name.") % {
        "name": name
    }
    return ApplicationError(message, code="duplicate_name", field_errors={"name": [message]})


def _check_name(model_class, company, name: str) -> str:
    name = (name or "").strip()
    if not name:
        message = _("Give it a name.")
        raise ApplicationError(message, field_errors={"name": [message]})
    if len(name) > NAME_MAX_LENGTH:
        message = _("The name has %(length)d characters; use at most %(max)d.") % {
            "length": len(name),
            "max": NAME_MAX_LENGTH,
        }
        raise ApplicationError(message, field_errors={"name": [message]})
    if model_class.objects.filter(company=company, name=name).exists():
        raise _duplicate_name(name)
    return name


def _delete_stored_file(row) -> None:
    name = row.file.name
    if name:
        try:
            row.file.storage.delete(name)
        except OSError:
            pass  # the sweep removes it later; the original error is the one to report


def _store(row, *, filename: str, data: bytes, actor, after: dict) -> None:
    """Write the accepted bytes and the row; if the row is not stored, neither is the file.

    The row is saved in a savepoint so that a unique violation — two uploads of one name at
    once, both past `_check_name` — is answered like the name check, on SQLite and on
    PostgreSQL alike. Whatever else fails or rolls back here removes the file again.
    """
    row.file.save(filename, ContentFile(data), save=False)
    try:
        with transaction.atomic():
            row.save()
            audit_record(
                actor=actor,
                instance=row,
                action="upload",
                after=after,
                organisation=row.company.organisation,
            )
    except IntegrityError:
        _delete_stored_file(row)
        if type(row).objects.filter(company=row.company, name=row.name).exists():
            raise _duplicate_name(row.name) from None
        raise
    except BaseException:
        _delete_stored_file(row)
        raise


def model_upload(*, company, actor, name: str, upload) -> ModelArtifact:
    """Validate an uploaded model with the kernel (never unpickled or executed) and store it.

    Guarantees: a refused file (malformed, hostile, too large, a name already taken, even by
    an upload racing this one) raises ApplicationError and leaves nothing under MEDIA_ROOT.
    """
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
    _store(
        artifact,
        filename=f"model.{fmt}",
        data=data,
        actor=actor,
        after={"name": name, "sha256": artifact.sha256, "layers": artifact.layer_summary},
    )
    return artifact


def dataset_upload(*, company, actor, name: str, upload) -> Dataset:
    """Validate an uploaded .npz (X, y) or CSV data set and store it.

    Guarantees the same as `model_upload`: a refusal is an ApplicationError and no file.
    """
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
        sha256=runtime.sha256(data),
    )
    _store(
        dataset,
        filename=f"data.{suffix}",
        data=data,
        actor=actor,
        after={"name": name, "samples": loaded.n_samples},
    )
    return dataset


def _upload_folder(model_class) -> str:
    """The folder `upload_path` puts this model's files in."""
    return posixpath.dirname(upload_path(model_class(), "file.bin"))


def media_orphans_sweep(*, older_than_seconds: int = 3600) -> list[str]:
    """Remove uploaded files no model or data set row points to; return their names.

    Only the upload folders of models and data sets are looked at, and only files older than
    `older_than_seconds`, so an upload whose row is not committed yet is never removed. Such
    orphans are left by a transaction that rolled back after the upload service returned.
    """
    cutoff = clock.now() - dt.timedelta(seconds=older_than_seconds)
    removed: list[str] = []
    for model_class in UPLOADED_FILE_MODELS:
        storage = model_class._meta.get_field("file").storage
        folder = _upload_folder(model_class)
        if not storage.exists(folder):
            continue
        # Read before listing: a file written after this read is young, so it is kept.
        referenced = set(
            model_class.objects.exclude(file="").values_list("file", flat=True).iterator()
        )
        _dirs, files = storage.listdir(folder)
        for filename in files:
            name = posixpath.join(folder, filename)
            if name in referenced:
                continue
            try:
                if storage.get_modified_time(name) >= cutoff:
                    continue
                storage.delete(name)
            except OSError:
                continue  # gone meanwhile, or not ours to remove: the next sweep looks again
            removed.append(name)
    return sorted(removed)
