# The database cache's table (settings.CACHE_TABLE), made by `migrate` so that every path that
# prepares a database (make run, the tests, the acceptance scripts) has it: the login
# throttles count failures there when no Redis is configured. It is made whichever cache is
# configured, so switching to the database cache later needs no extra step.

import io

from django.core.management import call_command
from django.db import migrations

CACHE_TABLE = "ic_cache"  # settings.CACHE_TABLE


def create_cache_table(apps, schema_editor):
    connection = schema_editor.connection
    if CACHE_TABLE in connection.introspection.table_names():
        return
    # Silent: commands that print one JSON line (bench_jobs) migrate databases too.
    call_command(
        "createcachetable",
        CACHE_TABLE,
        database=connection.alias,
        verbosity=0,
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )


def drop_cache_table(apps, schema_editor):
    quoted = schema_editor.quote_name(CACHE_TABLE)
    schema_editor.execute(f"DROP TABLE IF EXISTS {quoted}")


class Migration(migrations.Migration):
    dependencies: list = []

    operations = [migrations.RunPython(create_cache_table, drop_cache_table, elidable=False)]
