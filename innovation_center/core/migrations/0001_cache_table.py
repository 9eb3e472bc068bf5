# The database cache's table (settings.CACHE_TABLE), made by `migrate` so that every path that
# prepares a database (make run, the tests, the acceptance scripts) has it: the login
# throttles count failures there when no Redis is configured. It is made whichever cache is
# configured, so switching to the database cache later needs no extra step.

from django.core.management import call_command
from django.db import migrations

CACHE_TABLE = "ic_cache"  # settings.CACHE_TABLE


def create_cache_table(apps, schema_editor):
    # createcachetable skips a table that already exists.
    call_command(
        "createcachetable", CACHE_TABLE, database=schema_editor.connection.alias, verbosity=0
    )


def drop_cache_table(apps, schema_editor):
    quoted = schema_editor.quote_name(CACHE_TABLE)
    schema_editor.execute(f"DROP TABLE IF EXISTS {quoted}")


class Migration(migrations.Migration):
    dependencies: list = []

    operations = [migrations.RunPython(create_cache_table, drop_cache_table, elidable=False)]
