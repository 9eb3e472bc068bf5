"""`manage.py backup` and `restore`: a restore into a fresh database finds every balance equal.

The database copies are made by other processes (pg_dump) or connections (SQLite's backup
API), so the seeded rows must be committed: these tests are transactional.
"""

import json
import os
import sqlite3
from decimal import Decimal
from pathlib import Path

import psycopg2
import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection

from innovation_center.compute.ledger import exact_hours, ledger_reserve, ledger_settle
from innovation_center.compute.models import Allocation, LedgerEntry
from innovation_center.compute.selectors import allocation_balances
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

ON_POSTGRESQL = connection.vendor == "postgresql"
postgresql_only = pytest.mark.skipif(not ON_POSTGRESQL, reason="pg_dump/pg_restore: PostgreSQL")


@pytest.fixture
def seeded():
    """Two companies, three allocations, every kind of ledger movement, files in MEDIA_ROOT."""
    first, second = factories.company("Backup One"), factories.company("Backup Two")
    grants = [
        factories.allocation(first, hours="1000"),
        factories.allocation(first, hours="12.5"),
        factories.allocation(second, hours="300"),
    ]
    settled = factories.job(grants[0])  # its model artifact writes a file to MEDIA_ROOT
    ledger_reserve(allocation=grants[0], workload=settled.workload, amount="40.25")
    ledger_settle(workload=settled.workload, used="17.000001")
    running = factories.job(grants[2])
    ledger_reserve(allocation=grants[2], workload=running.workload, amount="3.5")
    return grants


def balances_now() -> dict:
    return allocation_balances(allocation_ids=Allocation.objects.values_list("pk", flat=True))


def table_counts() -> dict[str, str]:
    return {
        model._meta.db_table: model._base_manager.count()
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }


BALANCE_SQL = (
    "SELECT allocation_id, SUM(available), SUM(reserved), "
    "SUM(CASE WHEN kind = 'charge' THEN reserved ELSE 0 END) "
    f"FROM {LedgerEntry._meta.db_table} GROUP BY allocation_id"
)


def read_restored(cursor) -> tuple[dict, dict]:
    """Balances and row counts read with plain SQL, not with the code under test."""
    cursor.execute(BALANCE_SQL)
    balances = {
        allocation_id: (exact_hours(available), exact_hours(reserved), -exact_hours(spent))
        for allocation_id, available, reserved, spent in cursor.fetchall()
    }
    counts = {}
    for table in table_counts():
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
        counts[table] = cursor.fetchone()[0]
    return balances, counts


@pytest.fixture
def fresh_database(tmp_path):
    """A new, empty database of the runtime's engine: (its URL, a cursor factory)."""
    if not ON_POSTGRESQL:
        path = tmp_path / "restored.sqlite3"
        yield f"sqlite:///{path}", lambda: sqlite3.connect(path)
        return
    settings_dict = connection.settings_dict
    params = {
        key: settings_dict[name]
        for key, name in (("host", "HOST"), ("port", "PORT"), ("user", "USER"))
        if settings_dict.get(name)
    }
    if settings_dict.get("PASSWORD"):
        params["password"] = settings_dict["PASSWORD"]
    name = f"test_restore_{os.getpid()}"
    admin = psycopg2.connect(dbname="postgres", **params)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    user = params.get("user", "")
    password = f":{params['password']}" if "password" in params else ""
    host = params.get("host", "")
    port = f":{params['port']}" if "port" in params else ""
    url = f"postgres://{user}{password}@{host}{port}/{name}"
    opened = []

    def connect():
        opened.append(psycopg2.connect(dbname=name, **params))
        return opened[-1]

    yield url, connect
    for restored in opened:
        restored.close()
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def back_up(tmp_path) -> Path:
    output = tmp_path / "backup"
    call_command("backup", output=output, stdout=open(os.devnull, "w"))
    return output


def test_it_restores_into_a_fresh_database_with_every_balance_equal(
    seeded, fresh_database, tmp_path, capsys
):
    url, connect = fresh_database
    expected_balances = {pk: (b.available, b.reserved, b.spent) for pk, b in balances_now().items()}
    expected_counts = table_counts()
    backup = back_up(tmp_path)

    call_command("restore", input=backup, database_url=url, media_root=tmp_path / "restored")

    restored = connect()
    balances, counts = read_restored(restored.cursor())
    assert balances == expected_balances
    assert len(balances) == 3
    assert balances[seeded[0].pk] == (Decimal("982.999999"), Decimal("0"), Decimal("17.000001"))
    assert counts == expected_counts
    output = capsys.readouterr().out
    assert "allocation_balances: all 3 equal to the backup's" in output
    assert "Restored 2 media files" in output


def test_it_restores_the_media_files_byte_for_byte(seeded, tmp_path, fresh_database, settings):
    url, _connect = fresh_database
    uploads = {
        path.relative_to(settings.MEDIA_ROOT): path.read_bytes()
        for path in Path(settings.MEDIA_ROOT).rglob("*")
        if path.is_file()
    }
    backup = back_up(tmp_path)

    call_command("restore", input=backup, database_url=url, media_root=tmp_path / "restored")

    restored = {
        path.relative_to(tmp_path / "restored"): path.read_bytes()
        for path in (tmp_path / "restored").rglob("*")
        if path.is_file()
    }
    assert restored == uploads
    assert len(restored) == 2


def test_it_writes_a_manifest_with_counts_migrations_and_the_balance_checksum(seeded, tmp_path):
    manifest = json.loads((back_up(tmp_path) / "manifest.json").read_text())

    assert manifest["engine"] == ("postgresql" if ON_POSTGRESQL else "sqlite")
    assert (tmp_path / "backup" / manifest["database_file"]).stat().st_size > 0
    assert manifest["counts"]["compute.LedgerEntry"] == 7
    assert "compute.0001_initial" in manifest["migrations"]
    check = manifest["checks"]["allocation_balances"]
    assert check["rows"][str(seeded[1].pk)] == {
        "available": "12.500000",
        "reserved": "0.000000",
        "spent": "0.000000",
    }
    # 1000 + 12.5 + 300 granted; 17.000001 spent; 3.5 still reserved.
    assert check["totals"] == {
        "available": "1291.999999",
        "reserved": "3.500000",
        "spent": "17.000001",
    }
    assert manifest["media"]["files"] == 2


def test_it_refuses_to_overwrite_a_database_that_has_tables(seeded, tmp_path):
    backup = back_up(tmp_path)

    with pytest.raises(CommandError, match="is not empty .* add --force"):
        call_command("restore", input=backup, media_root=tmp_path / "restored")
    assert LedgerEntry.objects.count() == 7


def test_it_restores_over_a_database_that_has_tables_with_force(seeded, tmp_path):
    expected = balances_now()
    backup = back_up(tmp_path)
    factories.allocation(factories.company("Made after the backup"), hours="5")

    call_command(
        "restore",
        input=backup,
        media_root=tmp_path / "restored",
        force=True,
        stdout=open(os.devnull, "w"),
    )

    connection.close()  # the restore replaced the database under this connection
    assert balances_now() == expected
    assert Allocation.objects.count() == 3


def test_it_refuses_a_missing_directory(tmp_path):
    with pytest.raises(CommandError, match="is not a directory"):
        call_command("restore", input=tmp_path / "nowhere")


def test_it_refuses_a_directory_without_a_manifest(tmp_path):
    with pytest.raises(CommandError, match="has no manifest.json"):
        call_command("restore", input=tmp_path)


def test_it_refuses_a_backup_of_the_other_engine(seeded, tmp_path, fresh_database):
    url, _connect = fresh_database
    backup = back_up(tmp_path)
    manifest = json.loads((backup / "manifest.json").read_text())
    other, other_file = ("sqlite", "x.sqlite3") if ON_POSTGRESQL else ("postgresql", "x.dump")
    (backup / other_file).touch()
    manifest.update(engine=other, database_file=other_file)
    (backup / "manifest.json").write_text(json.dumps(manifest))

    with pytest.raises(CommandError, match="This backup is of a .* database and the target is"):
        call_command("restore", input=backup, database_url=url, media_root=tmp_path / "m")


def test_it_refuses_a_second_backup_into_the_same_directory(seeded, tmp_path):
    backup = back_up(tmp_path)

    with pytest.raises(CommandError, match="already holds a backup"):
        call_command("backup", output=backup)


def test_it_fails_when_the_restored_balances_differ_from_the_manifest(
    seeded, tmp_path, fresh_database
):
    url, _connect = fresh_database
    backup = back_up(tmp_path)
    manifest = json.loads((backup / "manifest.json").read_text())
    manifest["checks"]["allocation_balances"]["rows"][str(seeded[2].pk)]["available"] = "296.5"
    (backup / "manifest.json").write_text(json.dumps(manifest))

    with pytest.raises(CommandError, match="does not match the backup's manifest.*allocation_b"):
        call_command("restore", input=backup, database_url=url, media_root=tmp_path / "m")


@postgresql_only
def test_it_reports_a_pg_restore_failure_with_its_message(seeded, tmp_path, fresh_database):
    url, _connect = fresh_database
    backup = back_up(tmp_path)
    (backup / "database.dump").write_bytes(b"PGDMP not really a dump")

    with pytest.raises(CommandError, match="pg_restore failed .*pg_restore: error"):
        call_command("restore", input=backup, database_url=url, media_root=tmp_path / "m")


@postgresql_only
def test_it_says_when_the_target_database_does_not_exist(seeded, tmp_path):
    backup = back_up(tmp_path)
    url = f"postgres://{connection.settings_dict['USER']}@127.0.0.1:5432/no_such_database_xyz"

    with pytest.raises(CommandError, match="Cannot open the database no_such_database_xyz"):
        call_command("restore", input=backup, database_url=url, media_root=tmp_path / "m")
