from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "innovation_center.evaluation"
    verbose_name = _("Evaluation")

    def ready(self) -> None:
        # Connects the answers to the scheduler's signals: jobs move with their workloads.
        from innovation_center.evaluation import receivers  # noqa: F401
