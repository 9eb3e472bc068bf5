"""Errors raised by the kernel package.

Every error carries a stable ``code`` and the ``params`` its English message is built from, so
the Django layer can translate it (``gettext(TEMPLATES[code]) % params``) instead of parsing text.
"""

from __future__ import annotations

from typing import Any, ClassVar


def _(message: str) -> str:
    """Marks a template for the translation catalogue; the kernel itself stays English and
    Django-free, and the Django layer looks the English template up in the catalogue."""
    return message


# One English template per code; the Django layer translates it (gettext) and fills it in.
MESSAGES: dict[str, str] = {
    # Models.
    "model_too_large": _(
        "The model file is {size_mib:.1f} MiB, above the {limit_mib:.1f} MiB limit. "
        "Upload a smaller model or ask staff to raise the limit."
    ),
    "model_unknown_format": _(
        "The model file is neither an .npz archive nor an ONNX model. "
        "Upload an .npz file with W0, b0, ... and a manifest, or an ONNX multilayer perceptron."
    ),
    "model_unreadable": _("The model file could not be read ({reason}). Export it again."),
    "model_manifest_missing": _(
        "The .npz model has no 'manifest' entry. Add a JSON manifest with 'activations' and "
        "'classes' (see docs/kernel.md), for example with save_npz_model()."
    ),
    "model_manifest_invalid": _("The .npz model's manifest is not valid: {reason}."),
    "model_unexpected_entry": _(
        "The .npz model has an unexpected entry '{name}'. Only W0, b0, W1, b1, ... and "
        "'manifest' are allowed."
    ),
    "model_missing_entry": _(
        "The .npz model has {name_present} but no {name_missing}. Every layer needs both a "
        "weight matrix Wi and a bias vector bi."
    ),
    "model_no_layers": _("The model has no dense layers. Export a model with at least one layer."),
    "model_bad_dtype": _(
        "Layer {layer} {tensor} has dtype {dtype}; only float32 and float64 weights are "
        "supported. Convert the weights to float32 before export."
    ),
    "model_bad_rank": _(
        "Layer {layer} {tensor} has shape {shape}; weights must be 2-D [inputs, outputs] and "
        "biases 1-D [outputs]."
    ),
    "model_empty_layer": _(
        "Layer {layer} has shape {shape}, which is empty. Every layer needs at least one input "
        "and one output."
    ),
    "model_shape_mismatch": _(
        "Layer {layer} takes {got} inputs but the previous layer produces {expected}. "
        "Consecutive layers must chain."
    ),
    "model_bias_mismatch": _(
        "Layer {layer} has {outputs} outputs but its bias has {bias} entries. "
        "The bias length must equal the layer's output size."
    ),
    "model_not_finite": _(
        "Layer {layer} {tensor} contains {count} NaN or infinite values. "
        "Retrain or clean the model before upload."
    ),
    "model_bad_activation": _(
        "Layer {layer} has activation '{activation}'; supported: {supported}."
    ),
    "model_softmax_not_last": _(
        "Layer {layer} uses softmax but is not the output layer; softmax is only supported "
        "at the output."
    ),
    "model_bad_output": _("The model's output is not a single-label classifier: {reason}."),
    "model_classes_mismatch": _(
        "The model lists {classes} class labels but its output layer gives {outputs} "
        "scores. Fix the 'classes' list."
    ),
    "model_duplicate_classes": _("The model's class labels are not unique: {label!r} repeats."),
    "model_bad_class_label": _(
        "Class label {position} of the model is {label}; a class label must be a whole number, "
        "a finite number or text. Fix the 'classes' list."
    ),
    "archive_entry_too_large": _(
        "The archive entry '{name}' declares an array of shape {shape} ({size_mib:.1f} MiB) but "
        "holds {stored_mib:.1f} MiB of data (the limit is {limit_mib:.1f} MiB). Save the arrays "
        "again with numpy.savez."
    ),
    "onnx_unsupported_operator": _(
        "The ONNX model uses operator {op_type} (node '{node}'), which is not supported. "
        "Supported: {supported}."
    ),
    "onnx_unsupported_structure": _(
        "The ONNX graph is not a supported multilayer perceptron: {reason} (node '{node}')."
    ),
    "onnx_external_data": _(
        "The ONNX model keeps tensor '{name}' in an external file; upload a self-contained "
        "model (save with save_as_external_data=False)."
    ),
    "onnx_bad_tensor": _(
        "The ONNX tensor '{name}' is malformed: {reason}. Export the model again."
    ),
    "onnx_bad_attribute": _(
        "Attribute '{attribute}' of the ONNX node '{node}' is not valid: {reason}. "
        "Export the model again."
    ),
    # Data sets.
    "dataset_unknown_builtin": _(
        "There is no built-in data set '{name}'. Choose one of {choices}."
    ),
    "dataset_too_large": _(
        "The data set file is {size_mib:.1f} MiB, above the {limit_mib:.1f} MiB limit. "
        "Upload a smaller file or split it."
    ),
    "dataset_unreadable": _("The data set could not be read ({reason}). Check the file format."),
    "dataset_missing_array": _(
        "The .npz data set has no '{name}' array. Save features as 'X' and labels as 'y'."
    ),
    "dataset_bad_shape": _("The data set is malformed: {reason}."),
    "dataset_empty": _("The data set has no samples. Upload at least one row."),
    "dataset_not_numeric": _(
        "Row {row}, column {column} of the data set is '{value}', which is not a number. "
        "All columns except the last (the label) must be numeric."
    ),
    "dataset_ragged": _(
        "Row {row} of the data set has {got} columns but the first row has {expected}. "
        "Every row needs the same number of columns."
    ),
    "dataset_not_finite": _(
        "Sample {row} of the data set has a NaN or infinite feature. Clean the data first."
    ),
    "dataset_feature_mismatch": _(
        "The data set has {got} features per sample but the model expects {expected}."
    ),
    "dataset_unknown_label": _(
        "Sample {row} has label {label!r}, which is not one of the model's classes "
        "({classes}). Relabel the data or use a model trained on these labels."
    ),
    # Devices and evaluation.
    "out_of_device_memory": _(
        "A batch of {batch} samples needs {need_gib:.2f} GiB on a {device} but it has "
        "{have_gib:.2f} GiB. {advice}"
    ),
    "weights_exceed_device_memory": _(
        "The model's weights need {need_gib:.2f} GiB but a {device} has {have_gib:.2f} GiB; "
        "every device holds a full copy. Choose a device class with more memory."
    ),
    "device_failed": _("Device {device_id} ({device}) failed while evaluating shard {shard}."),
    "no_healthy_device": _(
        "Shard {shard} could not be evaluated: every device of the job has failed "
        "({failed}). Retry when devices are healthy again."
    ),
    "no_devices": _("No devices were given. Request at least one accelerator."),
    "bad_argument": _("Invalid argument {name}: {reason}."),
    "batch_size_too_large": _(
        "A batch size of {batch_size} rows is more than the simulator accepts ({limit}). "
        "Use a smaller batch size."
    ),
    "kernel_not_built": _(
        "The compiled kernel is not built but IC_KERNEL=compiled was requested. Run "
        "'.venv/bin/python setup.py build_ext --inplace' or unset IC_KERNEL. ({reason})"
    ),
}


class KernelError(Exception):
    """Base of every error the kernel package raises on purpose.

    ``code`` is stable across releases; ``params`` holds only JSON-serialisable values.
    """

    default_code: ClassVar[str] = "bad_argument"

    def __init__(self, code: str | None = None, **params: Any) -> None:
        self.code = code or self.default_code
        self.params = params
        template = MESSAGES.get(self.code, self.code)
        try:
            self.message = template.format(**params)
        except (KeyError, IndexError, ValueError):
            # A missing parameter must not hide the real error behind a formatting one.
            self.message = f"{template} {params!r}"
        super().__init__(self.message)

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": type(self).__name__,
            "code": self.code,
            "params": self.params,
            "message": self.message,
        }


class ModelFormatError(KernelError):
    """The model file is missing, malformed, unsupported or unsafe."""

    default_code = "model_unreadable"


class DatasetError(KernelError):
    """The data set is malformed or does not match the model."""

    default_code = "dataset_unreadable"


class OutOfDeviceMemory(KernelError):
    """A shard's weights and activations do not fit the device's memory."""

    default_code = "out_of_device_memory"


class DeviceFailed(KernelError):
    """A simulated device failed; its shard may be retried elsewhere."""

    default_code = "device_failed"


class KernelUnavailable(KernelError):
    """The compiled kernel was requested but is not built."""

    default_code = "kernel_not_built"
