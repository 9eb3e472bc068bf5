"""Backup and restore of the database and the media folder (docs/operations.md).

A backup is a directory: `manifest.json`, the database (`database.dump`, pg_dump's custom
format, on PostgreSQL; `database.sqlite3`, SQLite's online backup, on SQLite) and
`media.tar.gz`. The manifest records what the copy holds (row counts, applied migrations and
every check an app registers, such as each allocation's ledger balance), taken from the same
snapshot as the copy, so a restore can prove it got the same data back.

Core imports no app: the apps above register their checks here (`backup_check_register`,
in their AppConfig.ready), as compute does for the allocation balances.
"""

from innovation_center.core.backup.connections import PG_TIMEOUT_SECONDS, default_database
from innovation_center.core.backup.create import backup_create
from innovation_center.core.backup.manifest import (
    DATABASE_FILES,
    ENGINE_NAMES,
    FORMAT_VERSION,
    MANIFEST,
    MEDIA_ARCHIVE,
    BackupError,
    RestoreReport,
    backup_check_register,
    database_snapshot,
)
from innovation_center.core.backup.restore import backup_manifest, backup_restore

__all__ = [
    "BackupError",
    "DATABASE_FILES",
    "ENGINE_NAMES",
    "FORMAT_VERSION",
    "MANIFEST",
    "MEDIA_ARCHIVE",
    "PG_TIMEOUT_SECONDS",
    "RestoreReport",
    "backup_check_register",
    "backup_create",
    "backup_manifest",
    "backup_restore",
    "database_snapshot",
    "default_database",
]
