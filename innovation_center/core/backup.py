"""Backup and restore of the database and the media folder (docs/operations.md).

A backup is a directory: `manifest.json`, the database (`database.dump`, pg_dump's custom
format, on PostgreSQL; `database.sqlite3`, SQLite's online backup, on SQLite) and
`media.tar.gz`. The manifest records what the copy holds (row counts, applied migrations and
every check an app registers, such as each allocation's ledger balance), taken from the same
snapshot as the copy, so a restore can prove it got the same data back.

Core imports no app: the apps above register their checks here (`backup_check_register`,
in their AppConfig.ready), as compute does for the allocation balances.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import dj_database_url
import django
from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils.translation import gettext as _

MANIFEST = "manifest.json"
MEDIA_ARCHIVE = "media.tar.gz"
DATABASE_FILES = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
ENGINE_NAMES = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}
FORMAT_VERSION = 1
# pg_dump and pg_restore of a large database take minutes, not hours.
PG_TIMEOUT_SECONDS = 6 * 3600

_CHECKS: dict[str, Callable[[], Mapping]] = {}


class BackupError(Exception):
    """A backup or restore was refused or failed; the message says why and what to do."""


def backup_check_register(name: str, snapshot: Callable[[], Mapping]) -> None:
    """Record `snapshot()` in every manifest and compare it after every restore.

    `snapshot` reads the default database and returns {key: value}, each value a Decimal, a
    number, a string or a dataclass/mapping of them; the Decimals of each field are also
    summed into the check's totals.
    """
    _CHECKS[name] = snapshot


@dataclass
class RestoreReport:
    engine: str
    database: str
    created_at: str
    tables: int
    rows: int
    checks: dict[str, int] = field(default_factory=dict)  # name -> entries compared
    totals: dict[str, dict[str, str]] = field(default_factory=dict)
    media_files: int = 0
    media_root: str = ""
    unapplied_migrations: list[str] = field(default_factory=list)


# The snapshot recorded in the manifest ----------------------------------------------------


def _plain(value):
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Decimal):
        return str(value)
    return value


def _totals(rows: Mapping) -> dict[str, str]:
    totals: dict[str, Decimal] = {}
    for value in rows.values():
        items = value.items() if isinstance(value, Mapping) else [("value", value)]
        for name, amount in items:
            if isinstance(amount, str):
                try:
                    totals[name] = totals.get(name, Decimal(0)) + Decimal(amount)
                except ArithmeticError:
                    continue
    return {name: str(amount) for name, amount in sorted(totals.items())}


def database_snapshot() -> dict:
    """Row counts, applied migrations and registered checks of the default database."""
    connection = connections[DEFAULT_DB_ALIAS]
    # A backup older than the code lacks the tables of newer models: count those it has.
    tables = set(connection.introspection.table_names())
    counts = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.db_table not in tables:
            continue
        counts[meta.label] = model._base_manager.count()
    recorder = MigrationRecorder(connection)
    migrations = sorted(f"{app}.{name}" for app, name in recorder.applied_migrations())
    checks = {}
    for name, snapshot in sorted(_CHECKS.items()):
        try:
            # A savepoint: on PostgreSQL a failed query would end the snapshot's transaction.
            with transaction.atomic():
                rows = {str(key): _plain(value) for key, value in snapshot().items()}
        except DatabaseError:
            continue  # a database not migrated that far has nothing to check
        checks[name] = {"rows": rows, "totals": _totals(rows)}
    return {"counts": counts, "migrations": migrations, "checks": checks}


# Connections ------------------------------------------------------------------------------


def _engine(config: Mapping) -> str:
    engine = config.get("ENGINE", "")
    if "postgresql" in engine:
        return "postgresql"
    if "sqlite" in engine:
        return "sqlite"
    raise BackupError(
        _(
            "Backups support PostgreSQL and SQLite only; this database uses %(engine)s. "
            "Use that database's own tools."
        )
        % {"engine": engine}
    )


@contextmanager
def default_database(config: Mapping) -> Iterator:
    """Point the default connection at another database for the block.

    The selectors (the registered checks) read the default connection, so this is how they
    read a backup file or the database just restored; the previous connection comes back
    untouched afterwards.
    """
    original_settings = connections.settings[DEFAULT_DB_ALIAS]
    original = connections[DEFAULT_DB_ALIAS]
    configured = connections.configure_settings({DEFAULT_DB_ALIAS: dict(config)})
    connections.settings[DEFAULT_DB_ALIAS] = configured[DEFAULT_DB_ALIAS]
    replacement = connections.create_connection(DEFAULT_DB_ALIAS)
    connections[DEFAULT_DB_ALIAS] = replacement
    try:
        yield replacement
    finally:
        replacement.close()
        connections[DEFAULT_DB_ALIAS] = original
        connections.settings[DEFAULT_DB_ALIAS] = original_settings


def _sqlite_path(config: Mapping) -> Path:
    name = str(config.get("NAME") or "")
    if not name or name == ":memory:" or name.startswith("file:"):
        raise BackupError(
            _("An in-memory SQLite database cannot be backed up or restored: use a file.")
        )
    return Path(name)


def _sqlite_file_config(config: Mapping, path: Path) -> dict:
    # No WAL init command: the backup file stays one self-contained file.
    return {**config, "NAME": str(path), "OPTIONS": {"timeout": 20}, "CONN_MAX_AGE": 0}


def _pg_command(program: str, config: Mapping) -> tuple[list[str], dict]:
    path = shutil.which(program)
    if path is None:
        raise BackupError(
            _(
                "%(program)s was not found on this machine: install the PostgreSQL client "
                "(apt install postgresql-client), in the version of the server or newer."
            )
            % {"program": program}
        )
    args = [path]
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if config.get(key):
            args += [option, str(config[key])]
    env = dict(os.environ)
    if config.get("PASSWORD"):
        env["PGPASSWORD"] = str(config["PASSWORD"])
    options = config.get("OPTIONS") or {}
    if options.get("sslmode"):
        env["PGSSLMODE"] = str(options["sslmode"])
    return args, env


def _run(args: list[str], env: dict, action: str) -> None:
    try:
        result = subprocess.run(
            args, env=env, capture_output=True, text=True, timeout=PG_TIMEOUT_SECONDS
        )
    except subprocess.TimeoutExpired as error:
        raise BackupError(
            _("%(action)s did not finish within %(seconds)s seconds.")
            % {"action": action, "seconds": PG_TIMEOUT_SECONDS}
        ) from error
    if result.returncode != 0:
        raise BackupError(
            _("%(action)s failed (exit status %(status)s): %(stderr)s")
            % {"action": action, "status": result.returncode, "stderr": result.stderr.strip()}
        )


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
