"""Backup: copy the default database and MEDIA_ROOT into a directory, with a manifest
(core.backup)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Mapping
from pathlib import Path

import django
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils.translation import gettext as _

from innovation_center.core.backup.connections import (
    _engine,
    _pg_command,
    _run,
    _sqlite_file_config,
    _sqlite_path,
    default_database,
)
from innovation_center.core.backup.manifest import (
    DATABASE_FILES,
    FORMAT_VERSION,
    MANIFEST,
    MEDIA_ARCHIVE,
    BackupError,
    database_snapshot,
)
from innovation_center.core.backup.media import _media_archive

# Backup -----------------------------------------------------------------------------------


def backup_create(*, output: Path) -> dict:
    """Copy the default database and MEDIA_ROOT into `output`, with a manifest.

    The manifest's counts and checks come from the same snapshot as the database copy (on
    PostgreSQL pg_dump reads the snapshot exported by the transaction that counted; on
    SQLite they are counted in the copy itself), so they hold even while the center runs.
    The media folder is copied after the database: every file a copied row points to was
    written before its row committed.
    """
    output = Path(output)
    if (output / MANIFEST).exists():
        raise BackupError(
            _("%(dir)s already holds a backup; choose a new directory for each backup.")
            % {"dir": output}
        )
    connection = connections[DEFAULT_DB_ALIAS]
    config = connection.settings_dict
    engine = _engine(config)
    output.mkdir(parents=True, exist_ok=True)
    database_file = output / DATABASE_FILES[engine]
    if engine == "postgresql":
        snapshot = _backup_postgresql(config, database_file)
    else:
        snapshot = _backup_sqlite(config, database_file)
    media = _media_archive(Path(settings.MEDIA_ROOT), output / MEDIA_ARCHIVE)
    manifest = {
        "format": FORMAT_VERSION,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "engine": engine,
        "database_name": str(config.get("NAME")),
        "database_file": database_file.name,
        "media_file": MEDIA_ARCHIVE,
        "media": media,
        "django": django.get_version(),
        **snapshot,
    }
    (output / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def _backup_postgresql(config: Mapping, database_file: Path) -> dict:
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.in_atomic_block:
        raise BackupError(_("A backup must start outside a transaction."))
    args, env = _pg_command("pg_dump", config)
    with transaction.atomic():
        with connection.cursor() as cursor:
            # The first statement of the transaction, as PostgreSQL requires.
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            (snapshot_id,) = cursor.fetchone()
        snapshot = database_snapshot()
        # The snapshot lives as long as this transaction: pg_dump runs inside it.
        _run(
            [
                *args,
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot_id}",
                f"--file={database_file}",
                f"--dbname={config['NAME']}",
            ],
            env,
            "pg_dump",
        )
    return snapshot


def _backup_sqlite(config: Mapping, database_file: Path) -> dict:
    source_path = _sqlite_path(config)
    source = sqlite3.connect(source_path, timeout=20)
    target = sqlite3.connect(database_file)
    try:
        # The online backup API copies a consistent snapshot while others keep writing.
        source.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()
        source.close()
    with default_database(_sqlite_file_config(config, database_file)):
        return database_snapshot()
