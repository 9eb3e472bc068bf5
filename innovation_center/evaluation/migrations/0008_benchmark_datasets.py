"""The benchmark suites' data sets (the held-out parts and their training parts).

A migration of its own: going back deletes rows, which PostgreSQL will not do in the same
transaction as the previous migration's ALTER TABLE.
"""

from django.db import migrations


def create_benchmark_sets(apps, schema_editor):
    from innovation_center.evaluation.builtins import BENCHMARK_DATASETS, ensure_builtin_datasets

    ensure_builtin_datasets(apps.get_model("evaluation", "Dataset"), BENCHMARK_DATASETS)


def remove_benchmark_sets(apps, schema_editor):
    # The older constraint admits no held-out kind: going back drops those rows.
    apps.get_model("evaluation", "Dataset").objects.filter(kind="heldout").delete()



class Migration(migrations.Migration):
    dependencies = [("evaluation", "0007_verified_results")]

    operations = [migrations.RunPython(create_benchmark_sets, remove_benchmark_sets)]
