"""Model file formats: ``npz`` (our layer archive) and ``onnx`` (multilayer perceptrons).

Nothing is ever unpickled: ``.npz`` files are read with ``allow_pickle=False`` and ONNX files
are parsed as protobuf without external data. Every check runs before any evaluation, and every
format ends in ``model.build_model`` so a model is validated the same way however it arrived.
"""

from __future__ import annotations

from innovation_center.kernel.errors import ModelFormatError
from innovation_center.kernel.formats.npz import load_npz_model
from innovation_center.kernel.model import ModelSpec
from innovation_center.kernel.sources import DEFAULT_MAX_BYTES, Source, read_source

# What NumPy, protobuf and onnx raise when a file's content contradicts itself.
MALFORMED = (ValueError, TypeError, IndexError, KeyError, OverflowError, RecursionError)


def load_model(
    *, source: Source, max_bytes: int = DEFAULT_MAX_BYTES, filename: str | None = None
) -> ModelSpec:
    """Load and validate a model from a path, bytes or a binary file object.

    The format is chosen by content (a zip archive is ``.npz``, anything else is tried as
    ONNX); ``filename`` only improves messages. Raises ModelFormatError before any evaluation.
    """
    del filename
    data = read_source(
        source, max_bytes=max_bytes, too_large_code="model_too_large", error_type=ModelFormatError
    )
    try:
        if data[:4] == b"PK\x03\x04":
            return load_npz_model(data=data, max_bytes=max_bytes)
        # Imported here: onnx takes seconds to import, and only ONNX uploads need it.
        try:
            from innovation_center.kernel.formats.onnx import load_onnx_model
        except ImportError as exc:  # pragma: no cover - onnx is pinned in requirements.txt
            raise ModelFormatError(reason="the onnx package is not installed") from exc
        return load_onnx_model(data=data)
    except MALFORMED as exc:
        # The checks above name every problem they know; a hostile file may still reach a
        # corner none of them names, and that is a refusal of the file, never a crash.
        raise ModelFormatError(reason="its content is malformed") from exc
