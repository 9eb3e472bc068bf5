from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComputeConfig(AppConfig):
    name = "innovation_center.compute"
    verbose_name = _("Compute")

    def ready(self) -> None:
        # Imported here: app modules load only once the registry is ready.
        from innovation_center.compute.selectors import company_allocations
        from innovation_center.ecosystem.panels import CompanyPanel, company_panel_register

        company_panel_register(
            CompanyPanel(
                "allocations", "compute/_company_allocations.html", company_allocations, 10
            )
        )
