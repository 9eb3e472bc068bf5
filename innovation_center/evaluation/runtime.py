"""The bridge between Django rows and the kernel package (which knows nothing of Django)."""

from __future__ import annotations

import functools
import hashlib

from django.conf import settings
from django.db.models import Count
from django.utils.translation import gettext

from innovation_center import kernel
from innovation_center.compute.models import AcceleratorType, Allocation


def kernel_error_text(error: kernel.KernelError) -> str:
    """The kernel's message in the user's language (the templates are in the catalogue)."""
    template = kernel.MESSAGES.get(error.code)
    if template is None:
        return error.message
    params = dict(error.params)
    if "max_batch_per_device" in params:
        # The kernel's advice is an English sentence; say the same from its figure.
        params["advice"] = gettext(
            "Use a batch size of at most %(fits)d per device, or more devices."
        ) % {"fits": params["max_batch_per_device"]}
    try:
        return gettext(template).format(**params)
    except (KeyError, IndexError, ValueError):
        return error.message


def device_spec(accelerator_type: AcceleratorType) -> kernel.AcceleratorSpec:
    """The simulator's view of a device class, from the figures staff keep in the database."""
    preset = kernel.PRESETS.get(accelerator_type.preset)
    return kernel.AcceleratorSpec(
        name=accelerator_type.preset or accelerator_type.name,
        peak_tflops=float(accelerator_type.peak_tflops),
        memory_gib=float(accelerator_type.memory_gib),
        memory_bandwidth_gbps=float(accelerator_type.memory_bandwidth_gbps),
        interconnect_gbps=float(accelerator_type.interconnect_gbps),
        launch_overhead_s=float(accelerator_type.launch_overhead_us) / 1e6,
        interconnect_latency_s=preset.interconnect_latency_s if preset else 5e-6,
        board_power_w=float(accelerator_type.board_power_w),
        power_source=accelerator_type.power_source,
    )


def allocation_device_type(allocation: Allocation) -> AcceleratorType | None:
    """The device class an allocation runs on: its own, or the commonest at its site."""
    if allocation.accelerator_type_id:
        return allocation.accelerator_type
    return (
        AcceleratorType.objects.filter(accelerators__site_id=allocation.site_id)
        .annotate(n=Count("accelerators"))
        .order_by("-n", "name")
        .first()
    )


def read_upload(upload) -> bytes:
    upload.seek(0)
    data = upload.read(settings.MAX_UPLOAD_BYTES + 1)
    upload.seek(0)
    return data


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@functools.lru_cache(maxsize=8)
def _model_from_path(path: str, digest: str) -> kernel.ModelSpec:
    del digest  # part of the cache key: a replaced file is loaded again
    return kernel.load_model(source=path, max_bytes=settings.MAX_UPLOAD_BYTES)


def load_model_artifact(artifact) -> kernel.ModelSpec:
    return _model_from_path(artifact.file.path, artifact.sha256)


@functools.lru_cache(maxsize=8)
def _dataset_from(key: str, path: str | None) -> kernel.Dataset:
    if path is None:
        return kernel.load_builtin(key)
    return kernel.load_dataset(source=path, max_bytes=settings.MAX_UPLOAD_BYTES, name=key)


def load_dataset_row(dataset) -> kernel.Dataset:
    if dataset.builtin_name:
        return _dataset_from(dataset.builtin_name, None)
    return _dataset_from(f"{dataset.pk}", dataset.file.path)
