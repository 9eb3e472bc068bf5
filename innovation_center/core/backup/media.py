"""The media folder's files and their archive (core.backup)."""

from __future__ import annotations

import tarfile
from pathlib import Path

# Media ------------------------------------------------------------------------------------


def _media_files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(path for path in root.rglob("*") if path.is_file())


def _media_archive(root: Path, archive: Path) -> dict:
    files = _media_files(root)
    with tarfile.open(archive, "w:gz") as tar:
        for path in files:
            tar.add(path, arcname=path.relative_to(root).as_posix(), recursive=False)
    return {"files": len(files), "bytes": sum(path.stat().st_size for path in files)}
