from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgramsConfig(AppConfig):
    name = "innovation_center.programs"
    verbose_name = _("Incubation programs")

    def ready(self) -> None:
        # Imported here: app modules load only once the registry is ready.
        from innovation_center.ecosystem.panels import CompanyPanel, company_panel_register
        from innovation_center.programs.kpi import company_kpi_panel
        from innovation_center.programs.selectors import company_applications

        company_panel_register(
            CompanyPanel("kpi", "programs/kpi/_company_panel.html", company_kpi_panel, 5)
        )
        company_panel_register(
            CompanyPanel(
                "applications", "programs/_company_applications.html", company_applications, 6
            )
        )
