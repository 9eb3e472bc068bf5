"""Evaluate a model file on a data set through the kernel, as a job would, and print the result.

No allocation, no database rows, no worker: the data is split into one contiguous shard per
simulated device (data parallel, as the worker's job_start/shard_execute do) by
``kernel.evaluate``, and the shards are combined the way job_finish combines them. Kernel errors
are shown with the same translated message the portal shows.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from innovation_center import kernel
from innovation_center.evaluation import runtime
from innovation_center.evaluation.forms import JobSubmitForm

# sim-h200 is the calibrated preset (calibration/h200-mlp.json) the kernel docs and tests use.
DEFAULT_ACCELERATOR_TYPE = "sim-h200"
# The batch size the portal's job form offers, so a default run costs what a default job does.
DEFAULT_BATCH_SIZE = JobSubmitForm.base_fields["batch_size"].initial


class Command(BaseCommand):
    @property
    def help(self) -> str:
        # Translated when the parser is built: argparse cannot wrap a lazy string.
        return _(
            "Evaluate a model file on a data set on simulated devices through the evaluation "
            "kernel, without the database or a worker, and print accuracy, loss, confusion "
            "matrix and simulated device time."
        )

    # Nothing here reads the database, and it must run where none is migrated.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--model",
            required=True,
            metavar="FILE",
            help=_("The model: an .npz layer archive or an ONNX multilayer perceptron."),
        )
        parser.add_argument(
            "--dataset",
            required=True,
            metavar="NAME_OR_FILE",
            help=_("A built-in data set (%(names)s) or an .npz/CSV file.")
            % {"names": ", ".join(kernel.BUILTINS)},
        )
        parser.add_argument(
            "--devices",
            type=int,
            required=True,
            metavar="N",
            help=_("Simulated devices that evaluate the data set in parallel."),
        )
        parser.add_argument(
            "--accelerator-type",
            default=DEFAULT_ACCELERATOR_TYPE,
            metavar="NAME",
            help=_("Simulator preset of the devices, one of %(names)s (default: %(default)s).")
            % {"names": ", ".join(sorted(kernel.PRESETS)), "default": DEFAULT_ACCELERATOR_TYPE},
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            metavar="B",
            help=_("Rows per global batch, split evenly across the devices (default: %(default)d).")
            % {"default": DEFAULT_BATCH_SIZE},
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help=_("Print one JSON object instead of the text report."),
        )

    def handle(self, *args, **options):
        devices, batch_size = options["devices"], options["batch_size"]
        if devices < 1:
            raise CommandError(_("The number of devices must be at least 1."))
        if batch_size < 1:
            raise CommandError(_("The batch size must be at least 1."))
        try:
            spec = kernel.get_preset(options["accelerator_type"])
            model = _load_model(options["model"])
            dataset = _load_dataset(options["dataset"])
            result = kernel.evaluate(
                model=model,
                X=dataset.X,
                y=dataset.y,
                devices=[spec] * devices,
                batch_size=batch_size,
            )
        except kernel.KernelError as error:
            # The message path of services.uploads.kernel_failure, so it reads as in the portal.
            raise CommandError(runtime.kernel_error_text(error)) from None
        payload = {
            "model": options["model"],
            "model_summary": model.summary(),
            "dataset": dataset.name,
            "accelerator_type": spec.name,
            "devices_requested": devices,
            "batch_size": batch_size,
            "implementation": result.implementation,
            "samples": result.samples,
            "correct": result.correct,
            "accuracy": result.accuracy,
            "loss": result.mean_loss,
            "mean_loss": result.mean_loss,
            "classes": result.classes,
            "confusion_matrix": result.confusion_matrix,
            "samples_per_second": result.samples_per_s,
            "simulated_seconds": result.simulated_seconds,
            "device_seconds": result.device_seconds_total,
            "device_seconds_per_device": result.device_seconds,
            "wall_seconds": result.wall_seconds,
            "wall_samples_per_second": result.wall_samples_per_s,
            "devices": result.per_device,
        }
        if options["json"]:
            # allow_nan=False: a non-finite figure must fail loudly, not print invalid JSON.
            self.stdout.write(json.dumps(payload, allow_nan=False))
        else:
            self.stdout.write(_text_report(payload))


def _load_model(path: str) -> kernel.ModelSpec:
    try:
        return kernel.load_model(source=path, max_bytes=settings.MAX_UPLOAD_BYTES)
    except OSError as error:  # e.g. a directory: the kernel only catches a failed stat
        raise kernel.ModelFormatError(reason=error.strerror or str(error)) from None


def _load_dataset(name_or_path: str) -> kernel.Dataset:
    """A built-in name, else a file; a bare word that is neither is an unknown built-in."""
    path = Path(name_or_path)
    is_file = name_or_path not in kernel.BUILTINS and (
        path.exists() or path.suffix or os.sep in name_or_path
    )
    if not is_file:
        return kernel.load_builtin(name_or_path)
    try:
        return kernel.load_dataset(
            source=path, max_bytes=settings.MAX_UPLOAD_BYTES, name=name_or_path
        )
    except OSError as error:
        raise kernel.DatasetError(reason=error.strerror or str(error)) from None


def _text_report(payload: dict) -> str:
    lines = [
        _("Model: %(path)s, %(summary)s")
        % {"path": payload["model"], "summary": payload["model_summary"]},
        _("Data set: %(name)s, %(samples)d samples")
        % {"name": payload["dataset"], "samples": payload["samples"]},
        _("Devices: %(count)d × %(type)s, batch size %(batch)d, %(implementation)s kernel")
        % {
            "count": payload["devices_requested"],
            "type": payload["accelerator_type"],
            "batch": payload["batch_size"],
            "implementation": payload["implementation"],
        },
        _("Accuracy: %(accuracy).4f (%(correct)d of %(samples)d correct)")
        % {
            "accuracy": payload["accuracy"],
            "correct": payload["correct"],
            "samples": payload["samples"],
        },
        _("Mean loss: %(loss).6f") % {"loss": payload["loss"]},
        _("Samples per second (simulated): %(rate).1f") % {"rate": payload["samples_per_second"]},
        _("Device-seconds (simulated): %(total).6g in total")
        % {"total": payload["device_seconds"]},
        _("Wall seconds: %(wall).3f") % {"wall": payload["wall_seconds"]},
        "",
        _("Confusion matrix (rows: true class, columns: predicted class):"),
        *_matrix_lines(payload["classes"], payload["confusion_matrix"]),
        "",
        _("Per device:"),
    ]
    for device in payload["devices"]:
        lines.append(
            "  "
            + _(
                "%(device)s: %(samples)d samples, %(compute).6g s compute + %(allreduce).6g s "
                "all-reduce = %(seconds).6g device-seconds, %(wall).3f s wall"
            )
            % {
                "device": device["device_id"],
                "samples": device["samples"],
                "compute": device["compute_seconds"],
                "allreduce": device["allreduce_seconds"],
                "seconds": device["device_seconds"],
                "wall": device["wall_seconds"],
            }
        )
    return "\n".join(lines)


def _matrix_lines(classes: list, matrix: list[list[int]]) -> list[str]:
    labels = [str(label) for label in classes]
    width = max(len(text) for text in labels + [str(v) for row in matrix for v in row])
    header = " " * (width + 2) + " ".join(label.rjust(width) for label in labels)
    rows = [
        "  " + label.rjust(width) + " " + " ".join(str(v).rjust(width) for v in row)
        for label, row in zip(labels, matrix, strict=True)
    ]
    return [header, *rows]
