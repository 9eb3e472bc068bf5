"""Restore: read a backup's manifest, restore it into a database and MEDIA_ROOT, verify what
came back (core.backup)."""

from __future__ import annotations

import json
import sqlite3
import tarfile
from collections.abc import Mapping
from pathlib import Path

import dj_database_url
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.loader import MigrationLoader
from django.utils.translation import gettext as _

from innovation_center.core.backup.connections import (
    _engine,
    _pg_command,
    _run,
    _sqlite_path,
    default_database,
)
from innovation_center.core.backup.manifest import (
    DATABASE_FILES,
    ENGINE_NAMES,
    FORMAT_VERSION,
    MANIFEST,
    BackupError,
    RestoreReport,
    database_snapshot,
)
from innovation_center.core.backup.media import _media_files

# Restore ----------------------------------------------------------------------------------


def backup_manifest(directory: Path) -> dict:
    directory = Path(directory)
    if not directory.is_dir():
        raise BackupError(
            _("%(dir)s is not a directory: give the directory that `backup --output` made.")
            % {"dir": directory}
        )
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
    except FileNotFoundError as error:
        raise BackupError(
            _("%(dir)s has no %(manifest)s: it is not a backup made by `manage.py backup`.")
            % {"dir": directory, "manifest": MANIFEST}
        ) from error
    except ValueError as error:
        raise BackupError(
            _("%(file)s is not valid JSON (%(error)s): the backup is damaged.")
            % {"file": directory / MANIFEST, "error": error}
        ) from error
    if manifest.get("format") != FORMAT_VERSION or manifest.get("engine") not in DATABASE_FILES:
        raise BackupError(
            _("%(file)s is not a manifest this version can read (format %(format)s).")
            % {"file": directory / MANIFEST, "format": manifest.get("format")}
        )
    for name in (manifest["database_file"], manifest["media_file"]):
        if not (directory / name).is_file():
            raise BackupError(
                _("%(file)s is missing: the backup is incomplete.") % {"file": directory / name}
            )
    return manifest


def _target_config(database_url: str | None) -> dict:
    if database_url:
        try:
            return dj_database_url.parse(database_url)
        except ValueError as error:
            raise BackupError(
                _("The database URL is not valid (%(error)s), e.g. %(example)s.")
                % {"error": error, "example": "postgres://user@host:5432/name"}
            ) from error
    return dict(connections[DEFAULT_DB_ALIAS].settings_dict)


def _table_names(config: Mapping) -> list[str]:
    if _engine(config) == "sqlite" and not _sqlite_path(config).exists():
        return []
    try:
        with default_database(config) as connection:
            with connection.cursor() as cursor:
                return connection.introspection.table_names(cursor)
    except DatabaseError as error:
        raise BackupError(
            _(
                "Cannot open the database %(name)s (%(error)s): create it first (createdb) "
                "and check the connection settings."
            )
            % {"name": config.get("NAME"), "error": str(error).strip()}
        ) from error


def backup_restore(
    *,
    directory: Path,
    database_url: str | None = None,
    media_root: Path | None = None,
    force: bool = False,
) -> RestoreReport:
    """Restore a backup into a database (the default one, or `database_url`) and a media folder.

    Refuses a database that has tables, or a media folder that has files, unless `force`;
    then restores and compares the restored database with the manifest (row counts,
    migrations, every registered check such as each allocation's balance), raising
    BackupError on any difference.
    """
    directory = Path(directory)
    manifest = backup_manifest(directory)
    config = _target_config(database_url)
    engine = _engine(config)
    if engine != manifest["engine"]:
        raise BackupError(
            _(
                "This backup is of a %(backup)s database and the target is %(target)s: "
                "restore it into a %(backup)s database (set DATABASE_URL or --database-url)."
            )
            % {"backup": ENGINE_NAMES[manifest["engine"]], "target": ENGINE_NAMES[engine]}
        )
    media_root = Path(media_root or settings.MEDIA_ROOT)
    if not force:
        tables = _table_names(config)
        if tables:
            raise BackupError(
                _(
                    "The database %(name)s is not empty (%(count)s tables): restore into a "
                    "new, empty database, or add --force to replace its contents."
                )
                % {"name": config.get("NAME"), "count": len(tables)}
            )
        if _media_files(media_root):
            raise BackupError(
                _(
                    "The media folder %(dir)s is not empty: give an empty --media-root, or "
                    "add --force to write the backup's files over it."
                )
                % {"dir": media_root}
            )
    database_file = directory / manifest["database_file"]
    if engine == "postgresql":
        _restore_postgresql(config, database_file, force=force)
    else:
        _restore_sqlite(config, database_file)
    media_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(directory / manifest["media_file"], "r:gz") as tar:
        # The "data" filter refuses absolute paths, links out of the folder and devices.
        tar.extractall(media_root, filter="data")
    return _verify(manifest, config, media_root)


def _restore_postgresql(config: Mapping, database_file: Path, *, force: bool) -> None:
    args, env = _pg_command("pg_restore", config)
    clean = ["--clean", "--if-exists"] if force else []
    _run(
        [
            *args,
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            *clean,
            f"--dbname={config['NAME']}",
            str(database_file),
        ],
        env,
        "pg_restore",
    )


def _restore_sqlite(config: Mapping, database_file: Path) -> None:
    target_path = _sqlite_path(config)
    # Django's own connection to the file would hold a stale view of it.
    for connection in connections.all(initialized_only=True):
        if connection.vendor == "sqlite" and str(connection.settings_dict["NAME"]) == str(
            target_path
        ):
            connection.close()
    target_path.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(database_file)
    target = sqlite3.connect(target_path, timeout=20)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def _differences(expected: Mapping, found: Mapping, limit: int = 5) -> list[str]:
    keys = sorted(set(expected) | set(found))
    different = [k for k in keys if expected.get(k) != found.get(k)]
    return [f"{k}: {expected.get(k)!r} → {found.get(k)!r}" for k in different[:limit]]


def _verify(manifest: Mapping, config: Mapping, media_root: Path) -> RestoreReport:
    with default_database(config) as connection:
        found = database_snapshot()
        loader = MigrationLoader(connection, ignore_no_migrations=True)
        unapplied = sorted(
            f"{app}.{name}"
            for app, name in set(loader.graph.nodes) - set(loader.applied_migrations)
        )
    problems = []
    if found["migrations"] != manifest["migrations"]:
        problems.append(
            _("applied migrations differ: %(diff)s")
            % {
                "diff": ", ".join(
                    sorted(set(manifest["migrations"]) ^ set(found["migrations"]))[:5]
                )
            }
        )
    counts = {k: v for k, v in found["counts"].items() if k in manifest["counts"]}
    if counts != manifest["counts"]:
        problems.append(
            _("row counts differ: %(diff)s")
            % {"diff": "; ".join(_differences(manifest["counts"], counts))}
        )
    for name, expected in manifest["checks"].items():
        check = found["checks"].get(name)
        if check is None:
            problems.append(_("check %(name)s is not registered in this code") % {"name": name})
        elif check["rows"] != expected["rows"] or check["totals"] != expected["totals"]:
            problems.append(
                _("%(name)s differ: %(diff)s")
                % {"name": name, "diff": "; ".join(_differences(expected["rows"], check["rows"]))}
            )
    files = _media_files(media_root)
    if len(files) < manifest["media"]["files"]:
        problems.append(
            _("%(root)s holds %(found)s files, the backup %(expected)s")
            % {"root": media_root, "found": len(files), "expected": manifest["media"]["files"]}
        )
    if problems:
        raise BackupError(
            _("The restored database does not match the backup's manifest: %(problems)s.")
            % {"problems": "; ".join(problems)}
        )
    return RestoreReport(
        engine=manifest["engine"],
        database=str(config.get("NAME")),
        created_at=manifest["created_at"],
        tables=len(manifest["counts"]),
        rows=sum(manifest["counts"].values()),
        checks={name: len(check["rows"]) for name, check in manifest["checks"].items()},
        totals={name: check["totals"] for name, check in manifest["checks"].items()},
        media_files=manifest["media"]["files"],
        media_root=str(media_root),
        unapplied_migrations=unapplied,
    )
