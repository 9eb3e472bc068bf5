"""Reading an uploaded file (path, bytes or file object) whole, refusing it above a size limit."""

from __future__ import annotations

import os
from typing import BinaryIO

DEFAULT_MAX_BYTES = 256 * 1024 * 1024

Source = str | os.PathLike | bytes | BinaryIO


def read_source(source: Source, *, max_bytes: int, too_large_code: str, error_type) -> bytes:
    """Read the whole source, refusing anything above ``max_bytes`` before reading it."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        size = len(data)
    elif isinstance(source, (str, os.PathLike)):
        try:
            size = os.path.getsize(source)
        except OSError as exc:
            raise error_type(reason=exc.strerror or str(exc)) from exc
        if size > max_bytes:
            raise error_type(too_large_code, size_mib=size / 2**20, limit_mib=max_bytes / 2**20)
        with open(source, "rb") as handle:
            data = handle.read(max_bytes + 1)
        size = len(data)
    else:
        # File-like (e.g. a Django UploadedFile): read one byte past the limit to detect it.
        data = source.read(max_bytes + 1)
        size = len(data)
    if size > max_bytes:
        raise error_type(too_large_code, size_mib=size / 2**20, limit_mib=max_bytes / 2**20)
    return data
