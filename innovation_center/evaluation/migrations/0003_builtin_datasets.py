"""The built-in benchmark sets every company may use (shipped by scikit-learn)."""

from django.db import migrations

from innovation_center.evaluation.builtins import ensure_builtin_datasets


def create(apps, schema_editor):
    ensure_builtin_datasets(apps.get_model("evaluation", "Dataset"))


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0002_shards_and_heartbeat")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
