from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BenchmarksConfig(AppConfig):
    name = "innovation_center.benchmarks"
    verbose_name = _("Benchmarks")

    def ready(self) -> None:
        # Imported here: the receivers answer the evaluation side's job_finished signal.
        from innovation_center.benchmarks import receivers  # noqa: F401
