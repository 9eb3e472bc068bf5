"""A backup's file names, the checks apps register and the snapshot recorded in the manifest
(core.backup)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.migrations.recorder import MigrationRecorder

MANIFEST = "manifest.json"
MEDIA_ARCHIVE = "media.tar.gz"
DATABASE_FILES = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
ENGINE_NAMES = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}
FORMAT_VERSION = 1


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
