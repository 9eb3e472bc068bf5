from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "innovation_center.evaluation"
    verbose_name = _("Evaluation")

    def ready(self) -> None:
        # Imported here: app modules load only once the registry is ready. The receivers
        # answer the scheduler's signals (jobs move with their workloads).
        from innovation_center.ecosystem.panels import CompanyPanel, company_panel_register
        from innovation_center.evaluation import receivers  # noqa: F401
        from innovation_center.evaluation.selectors import company_recent_jobs

        company_panel_register(
            CompanyPanel("jobs", "evaluation/_company_jobs.html", company_recent_jobs, 20)
        )
