"""The database a backup reads or a restore writes: engine, connection, pg_dump's command line
(core.backup)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.translation import gettext as _

from innovation_center.core.backup.manifest import BackupError

# pg_dump and pg_restore of a large database take minutes, not hours.
PG_TIMEOUT_SECONDS = 6 * 3600


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
