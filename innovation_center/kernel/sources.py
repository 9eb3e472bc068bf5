"""Reading an uploaded file (path, bytes or file object) whole, refusing it above a size limit,
and the arrays of an ``.npz`` archive without trusting its headers."""

from __future__ import annotations

import io
import math
import os
import zipfile
from typing import BinaryIO

import numpy as np
from numpy.lib import format as npy

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


def read_npz(data: bytes, *, max_bytes: int, too_large_code: str, error_type) -> dict:
    """The arrays of an ``.npz`` archive by name, never unpickled, none allocated unchecked.

    numpy allocates an entry's declared shape before it reads the data, so a header claiming
    2**40 elements would exhaust memory: each header is read first and its declared size held
    against the data the entry stores and against ``max_bytes``. Raises ``error_type`` for a
    broken archive, an entry that is not a plain array, or a size above the limit.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise error_type(reason=f"not a valid .npz archive: {exc}") from exc
    # The uncompressed size counts too, so a small compressed file cannot exhaust memory.
    unpacked = sum(info.file_size for info in members)
    if unpacked > max_bytes:
        raise error_type(too_large_code, size_mib=unpacked / 2**20, limit_mib=max_bytes / 2**20)
    arrays = {}
    for info in members:
        name = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
        try:
            with archive.open(info) as member:
                version = npy.read_magic(member)
                if version == (1, 0):
                    shape, _fortran, dtype = npy.read_array_header_1_0(member)
                elif version == (2, 0):
                    shape, _fortran, dtype = npy.read_array_header_2_0(member)
                else:
                    raise ValueError(f"unsupported .npy version {version}")
                header_bytes = member.tell()
            if any(int(n) < 0 for n in shape):
                raise ValueError(f"negative dimension in shape {list(shape)}")
            if dtype.hasobject or dtype.fields is not None:
                raise ValueError(f"dtype {dtype} is not plain numbers or text")
            declared = math.prod(int(n) for n in shape) * dtype.itemsize
            if declared > max_bytes or declared > info.file_size - header_bytes:
                raise error_type(
                    "archive_entry_too_large",
                    name=name,
                    shape=[int(n) for n in shape],
                    size_mib=declared / 2**20,
                    stored_mib=max(0, info.file_size - header_bytes) / 2**20,
                    limit_mib=max_bytes / 2**20,
                )
            with archive.open(info) as member:
                arrays[name] = npy.read_array(member, allow_pickle=False)
        except (ValueError, OSError, EOFError, zipfile.BadZipFile, NotImplementedError) as exc:
            # Object arrays land here too: allow_pickle=False refuses them.
            raise error_type(
                reason=f"entry '{name}' is not a plain numeric or text array: {exc}"
            ) from exc
        if not isinstance(arrays[name], np.ndarray):  # pragma: no cover - read_array's contract
            raise error_type(reason=f"entry '{name}' is not an array")
    return arrays
